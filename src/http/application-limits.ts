import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

/*
 * Applications to join are taken without a token, and each one hashes a password: they are
 * counted per client address (an IPv6 /64 as one), before the body is read, in the counters of
 * the login limits (login-limits.ts): Redis when REDIS_URL is set, this process's memory
 * otherwise. An unreachable Redis lets applications through, as it lets logins through.
 */

/** Applications one address may send per window: a household or a drop-in session, not a flood. */
export const APPLICATION_LIMIT = { max: 10, windowSeconds: 600 };

/** Entries the in-memory counter keeps; past it the least recently used are forgotten. */
const MEMORY_COUNTERS = 20_000;
const OUTAGE_WARNING_INTERVAL_MS = 60_000;

export function applicationLimiter(app: FastifyInstance, limit = APPLICATION_LIMIT): onRequestAsyncHookHandler {
  const options = {
    max: limit.max,
    timeWindow: limit.windowSeconds * 1000,
    keyGenerator: (request: FastifyRequest) => `application|${normalizeIP(request.ip, 64)}`,
    // Read by the in-memory store, though createRateLimit's option types leave it out.
    cache: MEMORY_COUNTERS,
  };
  const check = app.createRateLimit(options);
  let lastOutageWarning = 0;
  return async (request, reply) => {
    let outcome;
    try {
      outcome = await check(request);
    } catch (err) {
      if (Date.now() - lastOutageWarning > OUTAGE_WARNING_INTERVAL_MS) {
        lastOutageWarning = Date.now();
        request.log.warn({ err }, 'application limit counters unavailable: request not limited');
      }
      return;
    }
    if (!outcome.isAllowed && outcome.isExceeded) {
      request.log.info({ limit: 'application' }, 'application limit reached');
      reply.header('retry-after', String(Math.max(1, outcome.ttlInSeconds)));
      throw Object.assign(new Error('Too many applications from this address.'), { statusCode: 429 });
    }
  };
}
