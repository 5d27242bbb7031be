import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { enforce, MEMORY_COUNTERS } from './login-limits.js';

/*
 * Applications to join are taken without a token, and each one hashes a password: they are
 * counted per client address (an IPv6 /64 as one), before the body is read, in the counters of
 * the login limits (login-limits.ts): Redis when REDIS_URL is set, this process's memory
 * otherwise. An unreachable Redis lets applications through, as it lets logins through.
 */

/** Applications one address may send per window: a household or a drop-in session, not a flood. */
export const APPLICATION_LIMIT = { max: 10, windowSeconds: 600 };

export function applicationLimiter(app: FastifyInstance, limit = APPLICATION_LIMIT): onRequestAsyncHookHandler {
  const options = {
    max: limit.max,
    timeWindow: limit.windowSeconds * 1000,
    keyGenerator: (request: FastifyRequest) => `application|${normalizeIP(request.ip, 64)}`,
    // Read by the in-memory store, though createRateLimit's option types leave it out.
    cache: MEMORY_COUNTERS,
  };
  return enforce([{ name: 'application', check: app.createRateLimit(options) }], 'application', 'Too many applications from this address.');
}
