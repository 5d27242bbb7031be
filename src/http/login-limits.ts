import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { normalizeIdentifier } from '../domain/identifier.js';

/*
 * Login limits: every token request is counted per client address, per address and identifier
 * (an email or a client id), and per identifier from any address. The counters are
 * @fastify/rate-limit's: in Redis when REDIS_URL is set, so that every process shares them, and
 * in this process's memory otherwise.
 */

export type LoginLimits = Config['loginRateLimit'];

/** Entries each in-memory counter keeps; past it the least recently used are forgotten. */
export const MEMORY_COUNTERS = 20_000;
/** A Redis that does not answer this fast is treated as down, not waited for. */
const REDIS_COMMAND_TIMEOUT_MS = 500;
/** While Redis is down, its warning is logged at most this often per process. */
const OUTAGE_WARNING_INTERVAL_MS = 60_000;

/**
 * Registers @fastify/rate-limit (for routes that ask for it, none globally) with its counters in
 * Redis when configured. A Redis that is down at startup does not stop the service: the client
 * keeps reconnecting, and the limits are skipped, with a warning, until it answers.
 */
export const rateLimitCounters = fp(
  async (app: FastifyInstance, { redis }: { redis: Config['redis'] }) => {
    if (!redis) {
      await app.register(rateLimit, { global: false });
      return;
    }
    const client = new Redis(redis.url, {
      lazyConnect: true,
      // Fail at once when disconnected, rather than holding logins until Redis is back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
    });
    watchConnection(client, app.log);
    await client.connect().catch(() => {
      // Already logged by watchConnection; the client keeps trying in the background.
    });
    app.addHook('onClose', async () => {
      client.disconnect();
    });
    // Keys read `<prefix>login:undefinedundefined-<counter>|...`: @fastify/rate-limit names a
    // counter made by createRateLimit after a route method and URL it does not have.
    await app.register(rateLimit, { global: false, redis: client, nameSpace: `${redis.keyPrefix}login:` });
  },
  { name: 'rate-limit-counters' },
);

/** Logs the start and the end of an outage once each, not every reconnection attempt. */
function watchConnection(client: Redis, log: FastifyBaseLogger): void {
  let reachable: boolean | undefined;
  client.on('ready', () => {
    if (reachable === false) log.info('Redis answers again: login limits are enforced again');
    reachable = true;
  });
  client.on('error', (err: Error) => {
    if (reachable !== false) {
      log.warn({ err }, 'Redis is unreachable: login limits are skipped until it answers');
    }
    reachable = false;
  });
}

export type Counter = { name: string; check: ReturnType<FastifyInstance['createRateLimit']> };

/**
 * The preHandler hook that charges a token request to its counters and refuses it with 429
 * (and Retry-After) once one is over its limit. `identify` names the account the request tries,
 * as sent; it is normalised here exactly as the account lookup normalises it.
 *
 * The counters are checked in order, and a request refused by one is not charged to the next:
 * an address over its limit cannot keep spending an account's allowance, and one address alone
 * cannot use up an account's per-identifier allowance (it is held to `max` first), so locking
 * an account out takes several addresses.
 */
export function loginLimiter(
  app: FastifyInstance,
  limits: LoginLimits,
  identify: (request: FastifyRequest) => string | undefined,
): preHandlerAsyncHookHandler {
  // IPv6 addresses count per /64, the block one subscriber usually holds.
  const address = (request: FastifyRequest) => normalizeIP(request.ip, 64);
  const identifier = (request: FastifyRequest) => {
    const name = identify(request);
    return name ? normalizeIdentifier(name) : undefined;
  };
  const counter = (
    name: string,
    max: number,
    key: (request: FastifyRequest) => string,
    appliesTo: (request: FastifyRequest) => boolean = () => true,
  ): Counter => {
    const options = {
      max,
      timeWindow: limits.windowSeconds * 1000,
      keyGenerator: (request: FastifyRequest) => `${name}|${key(request)}`,
      // Requests without an identifier (another grant) are not counted per identifier.
      allowList: (request: FastifyRequest) => !appliesTo(request),
      // Read by the in-memory store, though createRateLimit's option types leave it out.
      cache: MEMORY_COUNTERS,
    };
    return { name, check: app.createRateLimit(options) };
  };
  const named = (request: FastifyRequest) => identifier(request) !== undefined;
  const counters = [
    counter('address', limits.perAddressMax, address),
    counter('pair', limits.max, (request) => `${address(request)}|${identifier(request)}`, named),
    counter('identifier', limits.perIdentifierMax, (request) => String(identifier(request)), named),
  ];
  return enforce(counters, 'login', 'Too many login attempts.');
}

/**
 * Charges a request to each counter in order and refuses it with 429 and Retry-After at the
 * first one over its limit. Counters that cannot be read (Redis down) let it through, with a
 * warning at most once a minute: a counter store's outage must not stop people logging in or
 * applying.
 */
export function enforce(counters: Counter[], what: string, refusal: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  let lastOutageWarning = 0;
  return async (request, reply) => {
    for (const { name, check } of counters) {
      let outcome;
      try {
        outcome = await check(request);
      } catch (err) {
        if (Date.now() - lastOutageWarning > OUTAGE_WARNING_INTERVAL_MS) {
          lastOutageWarning = Date.now();
          request.log.warn({ err }, `${what} limit counters unavailable: request not limited`);
        }
        return;
      }
      if (!outcome.isAllowed && outcome.isExceeded) {
        request.log.info({ limit: name }, `${what} limit reached`);
        reply.header('retry-after', String(Math.max(1, outcome.ttlInSeconds)));
        throw Object.assign(new Error(refusal), { statusCode: 429 });
      }
    }
  };
}
