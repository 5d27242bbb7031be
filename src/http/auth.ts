import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import type { Principal } from '../domain/principal.js';
import { claimsFor, principalNow, type TokenClaims } from '../domain/tokens.js';
import type { Db } from '../db/client.js';
import { readCallerState } from '../db/queries/callers.js';

/*
 * Access tokens are short-lived HS256 JWTs. Their claims say whom the token was issued to, at
 * which token version and in which session; every request then reads the caller's current state
 * (src/domain/tokens.ts), and the routes decide what that principal may do
 * (src/domain/principal.ts).
 */

const claimsSchema = z.discriminatedUnion('typ', [
  z.object({ typ: z.literal('admin'), sub: z.uuid(), ver: z.int().min(0), sid: z.uuid() }),
  z.object({ typ: z.literal('member'), sub: z.uuid(), tbid: z.uuid(), ver: z.int().min(0), sid: z.uuid() }),
  z.object({ typ: z.literal('client'), sub: z.uuid(), tbid: z.uuid(), scope: z.string() }),
]);

const VERIFIED_TOKENS_KEPT = 10_000;

const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] ?? '0') !== '0';

export type AuthOptions = { secret: string; tokenTtlSeconds: number; db: Db };

export const authentication = fp(
  async (app: FastifyInstance, options: AuthOptions) => {
    await app.register(fastifyJwt, {
      secret: options.secret,
      sign: { algorithm: 'HS256', expiresIn: `${options.tokenTtlSeconds}s` },
      // A token without an expiry would never end: refused, whoever signed it.
      verify: { algorithms: ['HS256'], requiredClaims: ['exp'] },
    });

    app.decorate('issueAccessToken', (principal: Principal, tokenVersion: number) => ({
      accessToken: app.jwt.sign(claimsFor(principal, tokenVersion)),
      expiresIn: options.tokenTtlSeconds,
    }));

    // Declared up front so that every request object has the same shape.
    app.decorateRequest<Principal | null>('principal', null);
    app.decorateRequest<TokenClaims | null>('tokenClaims', null);

    // A verified token's claims are remembered until the token expires: partner apps send the
    // same token with every request, and neither its signature nor its claims need checking
    // again. Only the claims: who the caller is now is read for every request. Bounded; the
    // oldest entries go first.
    const verified = new Map<string, { claims: TokenClaims; expiresAt: number }>();
    const remember = (token: string, claims: TokenClaims, expiresAt: number) => {
      if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
      verified.set(token, { claims: Object.freeze(claims), expiresAt });
    };

    const verify = async (request: FastifyRequest): Promise<TokenClaims> => {
      const header = request.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
      const known = token === undefined ? undefined : verified.get(token);
      if (known && known.expiresAt > Date.now()) return known.claims;
      const payload = await request.jwtVerify<Record<string, unknown>>();
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) {
        throw Object.assign(new Error('Unrecognised token claims'), {
          code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
          statusCode: 401,
        });
      }
      if (token !== undefined) remember(token, claims.data, (payload.exp as number) * 1000);
      return claims.data;
    };

    const check = async (request: FastifyRequest, claims: TokenClaims) => {
      const principal = principalNow(claims, await readCallerState(options.db, claims));
      if (principal instanceof Error) throw principal;
      request.principal = principal;
    };

    // The onRequest hook of every route group that needs a token. A bad token is answered at
    // once. Who the caller is now is read once per request, as late as it can be: a request
    // without a body here; one with a body once the body is in (below), since a body can arrive
    // long after the headers (slowly, on purpose), and a caller demoted or suspended meanwhile
    // must not act with the rights it had when it started.
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const claims = await verify(request);
      request.tokenClaims = claims;
      if (!hasBody(request)) await check(request, claims);
    });

    app.addHook('preHandler', async (request) => {
      if (request.tokenClaims !== null && request.principal === null) await check(request, request.tokenClaims);
    });
  },
  { name: 'authentication' },
);

declare module 'fastify' {
  interface FastifyInstance {
    authenticate(request: FastifyRequest): Promise<void>;
    /** An access token for the principal, carrying the token version it was issued at. */
    issueAccessToken(principal: Principal, tokenVersion: number): { accessToken: string; expiresIn: number };
  }
  interface FastifyRequest {
    /** Set by `authenticate`; routes without it never read it. */
    principal: Principal;
    /** The verified claims `authenticate` found, for the check once the body is in. */
    tokenClaims: TokenClaims | null;
  }
}
