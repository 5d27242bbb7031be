import formBody from '@fastify/formbody';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { Rejection } from '../../domain/errors.js';
import { grantToken, type Grant } from '../../use-cases/auth.js';
import { loginLimiter } from '../login-limits.js';
import type { RouteOptions } from '../options.js';
import { problems } from '../schemas.js';
import { tokenRequest, tokenResponse } from './auth-schemas.js';

/*
 * The OAuth 2.0 token endpoint (RFC 6749): the password grant for people and the
 * client_credentials grant for partner apps, with a JSON or form-encoded body.
 */

function required(value: string | undefined, name: string): string {
  if (!value) {
    throw new Rejection('invalid_request', `The ${name} parameter is required for this grant.`, {
      field: name,
    });
  }
  return value;
}

/** RFC 6749 section 2.3.1: client credentials may come in HTTP Basic authentication. */
function basicCredentials(request: FastifyRequest): { id: string; secret: string } | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith('Basic ')) {
    return undefined;
  }
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return undefined;
  }
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return undefined;
  }
}

/** Whom a token request tries to log in as, as sent: what the login limits count it against. */
function loginIdentifier(request: FastifyRequest): string | undefined {
  const body = request.body as z.infer<typeof tokenRequest>;
  if (body.grant_type === 'password') return body.username;
  if (body.grant_type === 'client_credentials') return basicCredentials(request)?.id ?? body.client_id;
  return undefined;
}

/** The grant a token request asks for, each with the parameters it requires. */
function grantOf(request: FastifyRequest, body: z.infer<typeof tokenRequest>): Grant {
  switch (body.grant_type) {
    case 'password':
      return {
        type: 'password',
        username: required(body.username, 'username'),
        password: required(body.password, 'password'),
        timebankId: body.timebank_id,
        timebankSlug: body.timebank_slug,
      };
    case 'client_credentials': {
      const basic = basicCredentials(request);
      return {
        type: 'client_credentials',
        clientId: basic?.id ?? required(body.client_id, 'client_id'),
        clientSecret: basic?.secret ?? required(body.client_secret, 'client_secret'),
        requestedScopes: body.scope?.split(' ').filter(Boolean),
      };
    }
    case 'refresh_token':
      return { type: 'refresh_token', refreshToken: required(body.refresh_token, 'refresh_token') };
    default:
      throw new Rejection('unsupported_grant_type', 'grant_type must be "password", "refresh_token" or "client_credentials".', {
        field: 'grant_type',
      });
  }
}

export const authRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, loginRateLimit, clock, sessions }) => {
  await app.register(formBody, { bodyLimit: 16_384 });

  app.post(
    '/v1/auth/token',
    {
      // Unauthenticated: JSON bodies get the forms' 16 KiB too, so that a body of many unknown
      // keys is refused before it is parsed.
      bodyLimit: 16_384,
      // Counted per address, per address and identifier, and per identifier: see login-limits.
      preHandler: loginLimiter(app, loginRateLimit, loginIdentifier),
      config: { oauthErrors: true },
      schema: {
        operationId: 'createToken',
        summary: 'Get an access token',
        description:
          'RFC 6749 token endpoint. grant_type=password with username (email), password and optional timebank_id or timebank_slug (the answer carries a refresh_token); grant_type=refresh_token with refresh_token (single-use: it is rotated, and presenting a used one revokes its session); or grant_type=client_credentials with client_id and client_secret (in the body or HTTP Basic). JSON or application/x-www-form-urlencoded.',
        tags: ['auth'],
        // No access token: a partner client may send its credentials as HTTP Basic instead.
        security: [{}, { clientBasic: [] }],
        body: tokenRequest,
        response: { 200: tokenResponse, ...problems(400, 401, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const granted = await grantToken(database.db, grantOf(request, request.body), sessions, clock());
      const { accessToken, expiresIn } = app.issueAccessToken(granted.principal, granted.tokenVersion);
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
      return {
        access_token: accessToken,
        token_type: 'Bearer' as const,
        expires_in: expiresIn,
        ...(granted.refreshToken === undefined ? {} : { refresh_token: granted.refreshToken }),
        ...(granted.principal.type === 'client' ? { scope: granted.principal.scopes.join(' ') } : {}),
      };
    },
  );
};
