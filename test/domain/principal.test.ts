import { codeOf } from '../helpers/rejection.js';
import { describe, expect, it } from 'vitest';
import { checkMemberChange, checkMemberCreation } from '../../src/domain/member.js';
import {
  requireCoordinator,
  requireCoordinatorOrScope,
  requireSelfOrCoordinatorOrScope,
  requireTimebankAccess,
  type Principal,
} from '../../src/domain/principal.js';

const bank = 'bank-a';
const otherBank = 'bank-b';
const admin: Principal = { type: 'admin', id: 'admin' };
const coordinator: Principal = { type: 'member', id: 'cora', timebankId: bank, role: 'coordinator' };
const member: Principal = { type: 'member', id: 'mo', timebankId: bank, role: 'member' };
const foreignCoordinator: Principal = { type: 'member', id: 'fay', timebankId: otherBank, role: 'coordinator' };
const reader: Principal = { type: 'client', id: 'app', timebankId: bank, scopes: ['members:read'] };


describe('access decisions', () => {
  it('hides other timebanks as not_found, whatever the role', () => {
    expect(codeOf(() => requireTimebankAccess(foreignCoordinator, bank))).toBe('not_found');
    expect(codeOf(() => requireCoordinator(foreignCoordinator, bank))).toBe('not_found');
    expect(codeOf(() => requireCoordinatorOrScope({ ...reader, timebankId: otherBank }, bank, 'members:read'))).toBe('not_found');
    expect(codeOf(() => requireTimebankAccess(admin, bank))).toBe('allowed');
  });

  it('tells a member of the timebank why it may not (forbidden), and a client which scope', () => {
    expect(codeOf(() => requireCoordinator(member, bank))).toBe('forbidden');
    expect(codeOf(() => requireCoordinator(coordinator, bank))).toBe('allowed');
    expect(codeOf(() => requireCoordinatorOrScope(reader, bank, 'members:read'))).toBe('allowed');
    expect(codeOf(() => requireCoordinatorOrScope(reader, bank, 'members:write'))).toBe('insufficient_scope');
  });

  it('lets a member see itself but not another member', () => {
    expect(codeOf(() => requireSelfOrCoordinatorOrScope(member, bank, 'mo', 'members:read'))).toBe('allowed');
    expect(codeOf(() => requireSelfOrCoordinatorOrScope(member, bank, 'cora', 'members:read'))).toBe('not_found');
    expect(codeOf(() => requireSelfOrCoordinatorOrScope(coordinator, bank, 'mo', 'members:read'))).toBe('allowed');
  });
});

describe('member changes', () => {
  it('lets coordinators and admins change anything', () => {
    const everything = { displayName: 'x', role: 'coordinator', status: 'left', password: 'p' } as const;
    expect(codeOf(() => checkMemberChange(coordinator, bank, everything))).toBe('allowed');
    expect(codeOf(() => checkMemberChange(admin, bank, everything))).toBe('allowed');
  });

  it('limits members to their profile and clients to everything but role and password', () => {
    expect(codeOf(() => checkMemberChange(member, bank, { displayName: 'x', password: 'p', email: 'e', kind: 'person' }))).toBe('allowed');
    expect(codeOf(() => checkMemberChange(member, bank, { status: 'left' }))).toBe('forbidden');
    expect(codeOf(() => checkMemberChange(reader, bank, { status: 'suspended', displayName: 'x' }))).toBe('allowed');
    expect(codeOf(() => checkMemberChange(reader, bank, { password: 'p' }))).toBe('forbidden');
    // A coordinator of another timebank is no coordinator here.
    expect(codeOf(() => checkMemberChange(foreignCoordinator, bank, { role: 'member' }))).toBe('forbidden');
  });

  it('ignores fields given as undefined, and reserves appointing coordinators', () => {
    expect(codeOf(() => checkMemberChange(member, bank, { role: undefined, displayName: 'x' }))).toBe('allowed');
    expect(codeOf(() => checkMemberCreation(reader, bank, 'member'))).toBe('allowed');
    expect(codeOf(() => checkMemberCreation(reader, bank, 'coordinator'))).toBe('forbidden');
  });
});
