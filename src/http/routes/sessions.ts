import formBody from '@fastify/formbody';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Rejection } from '../../domain/errors.js';
import { isUuid } from '../../domain/identifier.js';
import { revokeSessionByToken } from '../../use-cases/sessions.js';
import { loginLimiter } from '../login-limits.js';
import type { RouteOptions } from '../options.js';
import { problems } from '../schemas.js';

/*
 * RFC 7009 token revocation. It needs no other credential: holding a token is the right to end
 * it. A person's refresh token or access token ends its whole session (every token of that
 * login); a partner client's tokens end only with the client (DELETE).
 */

const revokeRequest = z
  .strictObject({
    token: z.string().min(1).max(4096),
    token_type_hint: z.enum(['access_token', 'refresh_token']).optional(),
  })
  .meta({ id: 'RevocationBody' });

export const sessionRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock, loginRateLimit, sessions }) => {
  await app.register(formBody, { bodyLimit: 16_384 });

  /** The session a person's access token names; undefined for anything else that verifies. */
  const accessTokenSession = (token: string): string | undefined => {
    let payload: Record<string, unknown>;
    try {
      payload = app.jwt.verify<Record<string, unknown>>(token);
    } catch {
      return undefined;
    }
    if (payload.typ === 'client') {
      throw new Rejection('unsupported_token_type', 'A partner client\'s access token cannot be revoked alone: revoke the client (DELETE) to end its tokens at once.');
    }
    return typeof payload.sid === 'string' && isUuid(payload.sid) ? payload.sid : undefined;
  };

  app.post(
    '/v1/auth/revoke',
    {
      bodyLimit: 16_384,
      config: { oauthErrors: true },
      // Unauthenticated, like the token endpoint: limited per address, with its counters.
      preHandler: loginLimiter(app, loginRateLimit, () => undefined),
      schema: {
        operationId: 'revokeToken',
        summary: 'Log out: revoke a refresh or access token and its session (RFC 7009)',
        description:
          'Ends the session of a refresh token or of a person\'s access token: every access and refresh token of that login stops working at the next request. Answers 200 for a token that is unknown, expired or already revoked, as RFC 7009 requires. JSON or application/x-www-form-urlencoded.',
        tags: ['auth'],
        security: [],
        body: revokeRequest,
        response: { 200: z.object({}).meta({ id: 'Revoked' }), ...problems(400, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      await revokeSessionByToken(database.db, request.body.token, accessTokenSession, sessions, clock());
      reply.header('Cache-Control', 'no-store');
      return {};
    },
  );
};
