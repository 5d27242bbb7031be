import { describe, expect, it } from 'vitest';
import { Rejection } from '../../src/domain/errors.js';
import { decideRefresh, principalNow, type CallerState, type TokenClaims } from '../../src/domain/tokens.js';

const member: TokenClaims = { typ: 'member', sub: 'mo', tbid: 'bank', ver: 3, sid: 's1' };
const memberNow = (change: Partial<Extract<CallerState, { type: 'member' }>> = {}): CallerState => ({
  type: 'member',
  timebankId: 'bank',
  role: 'member',
  status: 'active',
  tokenVersion: 3,
  sessionRevoked: false,
  ...change,
});
const codeOf = (outcome: unknown) => (outcome instanceof Rejection ? outcome.code : 'allowed');

describe('principalNow', () => {
  it('takes the role from the current record, not from the token', () => {
    expect(principalNow(member, memberNow({ role: 'coordinator' }))).toEqual({ type: 'member', id: 'mo', timebankId: 'bank', role: 'coordinator', sessionId: 's1' });
  });

  it('ends a member\'s token on a status, version, session or timebank that no longer matches, or when the member is gone', () => {
    expect(codeOf(principalNow(member, memberNow()))).toBe('allowed');
    for (const state of [
      memberNow({ status: 'suspended' }),
      memberNow({ status: 'left' }),
      memberNow({ tokenVersion: 4 }),
      memberNow({ sessionRevoked: true }),
      memberNow({ timebankId: 'elsewhere' }),
      undefined,
    ]) {
      expect(codeOf(principalNow(member, state))).toBe('token_revoked');
    }
  });

  it('ends an admin\'s token on a new version or a revoked session', () => {
    const admin: TokenClaims = { typ: 'admin', sub: 'root', ver: 0, sid: 's2' };
    expect(codeOf(principalNow(admin, { type: 'admin', tokenVersion: 0, sessionRevoked: false }))).toBe('allowed');
    expect(codeOf(principalNow(admin, { type: 'admin', tokenVersion: 1, sessionRevoked: false }))).toBe('token_revoked');
    expect(codeOf(principalNow(admin, { type: 'admin', tokenVersion: 0, sessionRevoked: true }))).toBe('token_revoked');
  });

  it('keeps a client to the scopes it still has, and ends a revoked client\'s token', () => {
    const client: TokenClaims = { typ: 'client', sub: 'app', tbid: 'bank', scope: 'ledger:read members:read' };
    expect(principalNow(client, { type: 'client', timebankId: 'bank', scopes: ['members:read', 'ledger:write'], revoked: false })).toMatchObject({ scopes: ['members:read'] });
    expect(codeOf(principalNow(client, { type: 'client', timebankId: 'bank', scopes: ['members:read'], revoked: true }))).toBe('token_revoked');
  });
});

describe('decideRefresh', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const session = { revokedAt: null, expiresAt: new Date('2026-01-02T00:00:00Z'), refreshTokenHash: 'newest' };

  it('rotates the newest token, calls any other of the session reuse, and refuses ended sessions', () => {
    expect(decideRefresh(session, 'newest', now)).toBe('rotate');
    expect(decideRefresh(session, 'older', now)).toBe('reuse');
    expect(decideRefresh({ ...session, revokedAt: now }, 'newest', now)).toBe('invalid');
    expect(decideRefresh({ ...session, expiresAt: now }, 'newest', now)).toBe('invalid');
    expect(decideRefresh(undefined, 'newest', now)).toBe('invalid');
  });
});
