import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { clientScopes, type Principal } from '../domain/principal.js';

/*
 * Access tokens are short-lived HS256 JWTs. Their claims say who the token speaks for; the
 * routes decide what that principal may do (src/domain/principal.ts).
 */

const claimsSchema = z.discriminatedUnion('typ', [
  z.object({ typ: z.literal('admin'), sub: z.uuid() }),
  z.object({
    typ: z.literal('member'),
    sub: z.uuid(),
    tbid: z.uuid(),
    role: z.enum(['member', 'coordinator']),
  }),
  z.object({
    typ: z.literal('client'),
    sub: z.uuid(),
    tbid: z.uuid(),
    scope: z.string(),
  }),
]);
type Claims = z.infer<typeof claimsSchema>;

function claimsOf(principal: Principal): Claims {
  switch (principal.type) {
    case 'admin':
      return { typ: 'admin', sub: principal.id };
    case 'member':
      return { typ: 'member', sub: principal.id, tbid: principal.timebankId, role: principal.role };
    case 'client':
      return { typ: 'client', sub: principal.id, tbid: principal.timebankId, scope: principal.scopes.join(' ') };
  }
}

function principalOf(claims: Claims): Principal {
  switch (claims.typ) {
    case 'admin':
      return { type: 'admin', id: claims.sub };
    case 'member':
      return { type: 'member', id: claims.sub, timebankId: claims.tbid, role: claims.role };
    case 'client':
      return {
        type: 'client',
        id: claims.sub,
        timebankId: claims.tbid,
        scopes: claims.scope
          .split(' ')
          .filter((scope): scope is (typeof clientScopes)[number] =>
            (clientScopes as readonly string[]).includes(scope),
          ),
      };
  }
}

const VERIFIED_TOKENS_KEPT = 10_000;

export type AuthOptions = { secret: string; tokenTtlSeconds: number };

export const authentication = fp(
  async (app: FastifyInstance, options: AuthOptions) => {
    await app.register(fastifyJwt, {
      secret: options.secret,
      sign: { algorithm: 'HS256', expiresIn: `${options.tokenTtlSeconds}s` },
      verify: { algorithms: ['HS256'] },
    });

    app.decorate('issueAccessToken', (principal: Principal) => ({
      accessToken: app.jwt.sign(claimsOf(principal)),
      expiresIn: options.tokenTtlSeconds,
    }));

    // Declared up front so that every request object has the same shape.
    app.decorateRequest<Principal | null>('principal', null);

    // A verified token's principal is remembered until the token expires: partner apps send the
    // same token with every request, and neither its signature nor its claims need checking
    // again. Bounded; the oldest entries go first.
    const verified = new Map<string, { principal: Principal; expiresAt: number }>();
    const remember = (token: string, principal: Principal, expiresAt: number) => {
      if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
      // Shared by every request that presents the token: nobody may change it.
      if (principal.type === 'client') Object.freeze(principal.scopes);
      verified.set(token, { principal: Object.freeze(principal), expiresAt });
    };

    // The onRequest hook of every route group that needs a token.
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
      const known = token === undefined ? undefined : verified.get(token);
      if (known && known.expiresAt > Date.now()) {
        request.principal = known.principal;
        return;
      }
      const payload = await request.jwtVerify<Record<string, unknown>>();
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) {
        throw Object.assign(new Error('Unrecognised token claims'), {
          code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
          statusCode: 401,
        });
      }
      request.principal = principalOf(claims.data);
      if (token !== undefined && typeof payload.exp === 'number') {
        remember(token, request.principal, payload.exp * 1000);
      }
    });
  },
  { name: 'authentication' },
);

declare module 'fastify' {
  interface FastifyInstance {
    authenticate(request: FastifyRequest): Promise<void>;
    issueAccessToken(principal: Principal): { accessToken: string; expiresIn: number };
  }
  interface FastifyRequest {
    /** Set by `authenticate`; routes without it never read it. */
    principal: Principal;
  }
}
