import { describe, expect, it } from 'vitest';
import { checkMemberChange, sharedContact } from '../../src/domain/member.js';
import type { Principal } from '../../src/domain/principal.js';
import { codeOf } from '../helpers/rejection.js';

const bank = 'bank-a';
const coordinator: Principal = { type: 'member', id: 'cora', timebankId: bank, role: 'coordinator' };
const member: Principal = { type: 'member', id: 'mo', timebankId: bank, role: 'member' };
const writer: Principal = { type: 'client', id: 'app', timebankId: bank, scopes: ['members:write'] };

const mo = { email: 'mo@example.org', phone: '+44 20 7946 0321', shareEmail: false, sharePhone: false };

describe('what other members see of a member\'s contact details', () => {
  it('is nothing unless the member shares it', () => {
    expect(sharedContact(mo)).toEqual({});
  });

  it('is each detail the member shares, and only those', () => {
    expect(sharedContact({ ...mo, shareEmail: true })).toEqual({ email: 'mo@example.org' });
    expect(sharedContact({ ...mo, sharePhone: true })).toEqual({ phone: '+44 20 7946 0321' });
    expect(sharedContact({ ...mo, shareEmail: true, sharePhone: true })).toEqual({ email: 'mo@example.org', phone: '+44 20 7946 0321' });
  });

  it('has no phone when there is none, even if phone sharing is on', () => {
    expect(sharedContact({ ...mo, phone: null, sharePhone: true })).toEqual({});
  });
});

describe('who may change a phone and its sharing', () => {
  it('lets the member itself and coordinators change both', () => {
    for (const principal of [member, coordinator]) {
      expect(codeOf(() => checkMemberChange(principal, bank, { phone: '555 0100', contactSharing: { email: true, phone: true } }))).toBe('allowed');
    }
  });

  it('lets a partner app record a phone, never share it', () => {
    expect(codeOf(() => checkMemberChange(writer, bank, { phone: '555 0100' }))).toBe('allowed');
    expect(codeOf(() => checkMemberChange(writer, bank, { contactSharing: { phone: true } }))).toBe('forbidden');
  });
});
