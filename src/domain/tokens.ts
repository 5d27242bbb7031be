import { Rejection } from './errors.js';
import { clientScopes, type ClientScope, type MemberRole, type Principal } from './principal.js';

/*
 * What an access token says and what the database says now. A token only names who it was
 * issued to, at which token version and in which session; rights come from the caller's current
 * state, read for every request, so that a suspension, a demotion, a password change or a
 * revoked client takes effect from the next request on, in every process.
 */

export type TokenClaims =
  | { typ: 'admin'; sub: string; ver: number; sid: string }
  | { typ: 'member'; sub: string; tbid: string; ver: number; sid: string }
  | { typ: 'client'; sub: string; tbid: string; scope: string };

/** The caller's current state, as one read of the database found it; undefined: gone. */
export type CallerState =
  | { type: 'admin'; tokenVersion: number; sessionRevoked: boolean }
  | {
      type: 'member';
      timebankId: string;
      role: MemberRole;
      status: 'active' | 'suspended' | 'left';
      tokenVersion: number;
      sessionRevoked: boolean;
    }
  | { type: 'client'; timebankId: string; scopes: readonly string[]; revoked: boolean };

export const tokenRevoked = (detail = 'This token has been revoked; log in again.') =>
  new Rejection('token_revoked', detail);

/** The claims a token is issued with. */
export function claimsFor(principal: Principal, tokenVersion: number): TokenClaims {
  switch (principal.type) {
    case 'admin':
      return { typ: 'admin', sub: principal.id, ver: tokenVersion, sid: sessionOf(principal) };
    case 'member':
      return { typ: 'member', sub: principal.id, tbid: principal.timebankId, ver: tokenVersion, sid: sessionOf(principal) };
    case 'client':
      return { typ: 'client', sub: principal.id, tbid: principal.timebankId, scope: principal.scopes.join(' ') };
  }
}

function sessionOf(principal: { sessionId?: string | undefined }): string {
  if (principal.sessionId === undefined) throw new Error('Assertion failed: a person\'s token belongs to a session');
  return principal.sessionId;
}

/**
 * Who the request speaks for now, or the rejection that ends the token. A member's role comes
 * from its current row, not from the token; a client keeps only the scopes it still has.
 */
export function principalNow(claims: TokenClaims, state: CallerState | undefined): Principal | Rejection {
  switch (claims.typ) {
    case 'admin':
      if (state?.type !== 'admin' || state.tokenVersion !== claims.ver || state.sessionRevoked) return tokenRevoked();
      return { type: 'admin', id: claims.sub, sessionId: claims.sid };
    case 'member':
      if (state?.type !== 'member' || state.timebankId !== claims.tbid) return tokenRevoked();
      if (state.status !== 'active') return tokenRevoked(`This membership is ${state.status}.`);
      if (state.tokenVersion !== claims.ver || state.sessionRevoked) return tokenRevoked();
      return { type: 'member', id: claims.sub, timebankId: claims.tbid, role: state.role, sessionId: claims.sid };
    case 'client': {
      if (state?.type !== 'client' || state.timebankId !== claims.tbid || state.revoked) {
        return tokenRevoked('This client has been revoked.');
      }
      const current = new Set(state.scopes);
      const scopes = claims.scope
        .split(' ')
        .filter((scope): scope is ClientScope => (clientScopes as readonly string[]).includes(scope) && current.has(scope));
      return { type: 'client', id: claims.sub, timebankId: claims.tbid, scopes };
    }
  }
}

export type SessionView = { revokedAt: Date | null; expiresAt: Date; refreshTokenHash: string };

/**
 * What presenting a refresh token of a session does. Each refresh token is single-use: the
 * session keeps only the hash of its newest one, so a token of the session that is not the
 * newest was used before, by its holder or by whoever stole it, and the whole session ends
 * (RFC 9700 section 4.14.2).
 */
export function decideRefresh(session: SessionView | undefined, presentedHash: string, now: Date): 'rotate' | 'reuse' | 'invalid' {
  if (!session || session.revokedAt !== null || session.expiresAt <= now) return 'invalid';
  return session.refreshTokenHash === presentedHash ? 'rotate' : 'reuse';
}
