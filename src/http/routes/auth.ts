import formBody from '@fastify/formbody';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Rejection } from '../../domain/errors.js';
import { authenticateClient, authenticateWithPassword } from '../../use-cases/auth.js';
import type { RouteOptions } from '../options.js';
import { problems } from '../schemas.js';

/*
 * The OAuth 2.0 token endpoint (RFC 6749): the password grant for people and the
 * client_credentials grant for partner apps, with a JSON or form-encoded body.
 */

const tokenRequest = z
  .strictObject({
    grant_type: z.string().max(100),
    username: z.string().max(254).optional(),
    password: z.string().max(200).optional(),
    timebank_id: z.uuid().optional(),
    timebank_slug: z.string().max(100).optional().describe('The timebank\'s slug, instead of timebank_id'),
    client_id: z.string().max(100).optional(),
    client_secret: z.string().max(200).optional(),
    scope: z.string().max(500).optional(),
  })
  .meta({ id: 'TokenRequest' });

const tokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.int().describe('Seconds until the token expires'),
    scope: z.string().optional(),
  })
  .meta({ id: 'TokenResponse' });

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

export const authRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, loginRateLimit }) => {
  await app.register(formBody, { bodyLimit: 16_384 });

  app.post(
    '/v1/auth/token',
    {
      config: {
        oauthErrors: true,
        rateLimit: {
          max: loginRateLimit.max,
          timeWindow: loginRateLimit.windowSeconds * 1000,
          hook: 'preHandler',
          // Per address and account name, so that one user's typos do not lock out an office.
          keyGenerator: (request: FastifyRequest) => {
            const body = (request.body ?? {}) as { username?: unknown; client_id?: unknown };
            const name = body.username ?? body.client_id ?? basicCredentials(request)?.id ?? '';
            return `${request.ip}|${String(name).toLowerCase()}`;
          },
        },
      },
      schema: {
        operationId: 'createToken',
        summary: 'Get an access token',
        description:
          'RFC 6749 token endpoint. grant_type=password with username (email), password and optional timebank_id or timebank_slug; or grant_type=client_credentials with client_id and client_secret (in the body or HTTP Basic). JSON or application/x-www-form-urlencoded.',
        tags: ['auth'],
        security: [],
        body: tokenRequest,
        response: { 200: tokenResponse, ...problems(400, 401, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      let principal;
      if (body.grant_type === 'password') {
        principal = await authenticateWithPassword(database.db, {
          username: required(body.username, 'username'),
          password: required(body.password, 'password'),
          timebankId: body.timebank_id,
          timebankSlug: body.timebank_slug,
        });
      } else if (body.grant_type === 'client_credentials') {
        const basic = basicCredentials(request);
        principal = await authenticateClient(database.db, {
          clientId: basic?.id ?? required(body.client_id, 'client_id'),
          clientSecret: basic?.secret ?? required(body.client_secret, 'client_secret'),
          requestedScopes: body.scope?.split(' ').filter(Boolean),
        });
      } else {
        throw new Rejection(
          'unsupported_grant_type',
          'grant_type must be "password" or "client_credentials".',
          { field: 'grant_type' },
        );
      }
      const { accessToken, expiresIn } = app.issueAccessToken(principal);
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
      return {
        access_token: accessToken,
        token_type: 'Bearer' as const,
        expires_in: expiresIn,
        ...(principal.type === 'client' ? { scope: principal.scopes.join(' ') } : {}),
      };
    },
  );
};
