import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { and, eq } from 'drizzle-orm';
import { invalidField } from '../domain/errors.js';
import { replayOf } from '../domain/idempotency.js';
import type { Database } from '../db/client.js';
import { claimIdempotencyKey, storeOutcome } from '../db/ledger.js';
import { idempotencyKeys } from '../db/schema.js';
import { callerOf, requestHash } from '../use-cases/ledger-write.js';
import { PROBLEM_CONTENT_TYPE } from './errors.js';

/*
 * Writes that do not move time credits honour an Idempotency-Key when one is given (those that
 * do require one, and handle it inside their ledger transaction). The key is claimed before the
 * handler runs and the response stored after it: a retry gets the first answer again, the same
 * key with another body is 409 idempotency_key_reused, and a retry while the first is still
 * running is 409 idempotency_key_in_use.
 */

const KEY = /^[\x20-\x7e]{1,255}$/;
// Creating a timebank names no timebank yet: its keys live under the nil id.
const NO_TIMEBANK = '00000000-0000-0000-0000-000000000000';

type Claim = { timebankId: string; caller: string; key: string };

export const optionalIdempotency = fp(
  async (app: FastifyInstance, options: { database: Database; clock: () => Date }) => {
    app.decorateRequest<Claim | null>('idempotencyClaim', null);

    const claimKey = async (request: FastifyRequest, reply: FastifyReply) => {
      const key = request.headers['idempotency-key'];
      if (key === undefined) return;
      if (typeof key !== 'string' || !KEY.test(key)) {
        throw invalidField('header', 'idempotency-key', 'must be 1 to 255 printable ASCII characters');
      }
      const claim = { timebankId: timebankOf(request), caller: callerOf(request.principal), key };
      const hash = requestHash({ route: request.routeOptions.url, params: request.params, body: request.body ?? null });
      const outcome = await claimIdempotencyKey(options.database.db, { ...claim, requestHash: hash, now: options.clock() });
      if (outcome === 'claimed') {
        request.idempotencyClaim = claim;
        return;
      }
      const replay = replayOf(outcome, hash);
      reply.header('idempotency-replayed', 'true').code(replay.statusCode);
      if (replay.statusCode >= 400) reply.type(PROBLEM_CONTENT_TYPE);
      return reply.send(replay.body);
    };

    const storeAnswer = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const claim = request.idempotencyClaim;
      if (!claim || typeof payload !== 'string') return payload;
      if (reply.statusCode >= 500) {
        // Nothing was decided: free the key so that a retry can run.
        await options.database.db
          .delete(idempotencyKeys)
          .where(and(eq(idempotencyKeys.timebankId, claim.timebankId), eq(idempotencyKeys.caller, claim.caller), eq(idempotencyKeys.key, claim.key)));
      } else {
        await storeOutcome(options.database.db, { ...claim, statusCode: reply.statusCode, responseBody: payload });
      }
      return payload;
    };

    // Only on the routes that take an optional key: every other request skips both hooks.
    app.addHook('onRoute', (route) => {
      if (route.config?.idempotency !== 'optional') return;
      route.preHandler = [...toArray(route.preHandler), claimKey];
      route.onSend = [...toArray(route.onSend), storeAnswer];
    });
  },
  { name: 'optional-idempotency' },
);

const toArray = <T>(hooks: T | T[] | undefined): T[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]);

function timebankOf(request: FastifyRequest): string {
  const params = request.params as { timebankId?: string } | undefined;
  return params?.timebankId ?? NO_TIMEBANK;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'optional': an Idempotency-Key, when given, makes retries of this write safe. */
    idempotency?: 'optional';
  }
  interface FastifyRequest {
    idempotencyClaim: Claim | null;
  }
}
