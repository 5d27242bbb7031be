import { describe, expect, it } from 'vitest';
import { Rejection } from '../../src/domain/errors.js';
import { acceptLink, changeLink, checkLinkActive, clearingLimits, proposeLink, type ClearingAccount, type LinkSide } from '../../src/domain/links.js';
import { codeOf } from '../helpers/rejection.js';
import { LATER, linkSide, NORTH, NOW, SOUTH } from '../helpers/cross-world.js';

/*
 * The rules of a link between two timebanks (src/domain/links.ts): a proposal writes both sides
 * with mirrored limits, the other side accepts, and each side changes its own limits and status
 * within what its clearing account already owes and holds.
 */

const ids = { local: 'link-north', peer: 'link-south', localClearing: 'n-clearing', peerClearing: 's-clearing' };
const propose = (overrides: Partial<Parameters<typeof proposeLink>[0]> = {}) => proposeLink({ timebankId: NORTH, peerTimebankId: SOUTH, ids, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300, now: NOW, ...overrides });

function rejectionOf(action: () => unknown): Rejection {
  try {
    action();
  } catch (error) {
    if (error instanceof Rejection) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('proposing a link', () => {
  it('writes both sides, proposed, each naming the other, with the limits seen from each end', () => {
    const { local, peer } = propose();
    expect(local).toMatchObject({ timebankId: NORTH, id: ids.local, peerTimebankId: SOUTH, peerLinkId: ids.peer, peerUrl: null, status: 'proposed', proposedByUs: true, clearingAccountId: ids.localClearing, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300, createdAt: NOW });
    expect(peer).toMatchObject({ timebankId: SOUTH, id: ids.peer, peerTimebankId: NORTH, peerLinkId: ids.local, peerUrl: null, status: 'proposed', proposedByUs: false, clearingAccountId: ids.peerClearing, maxOwedByUsMinutes: 300, maxOwedToUsMinutes: 600 });
    // What one side may owe, the other may be owed: the clearing accounts' limits mirror each other.
    expect(clearingLimits(local)).toEqual({ minBalanceMinutes: -300, maxBalanceMinutes: 600 });
    expect(clearingLimits(peer)).toEqual({ minBalanceMinutes: -600, maxBalanceMinutes: 300 });
  });

  it('is refused to a timebank linking to itself', () => {
    const rejection = rejectionOf(() => propose({ peerTimebankId: NORTH }));
    expect([rejection.code, rejection.extensions.field]).toEqual(['validation_failed', 'peerTimebankId']);
  });
});

describe('accepting a link', () => {
  it('is for the side that did not propose it, and makes both sides active', () => {
    const { local, peer } = propose();
    expect(codeOf(() => acceptLink(local, peer, LATER))).toBe('forbidden');
    const accepted = acceptLink(peer, local, LATER);
    expect([accepted.local.status, accepted.peer.status]).toEqual(['active', 'active']);
    expect([accepted.local.updatedAt, accepted.peer.updatedAt]).toEqual([LATER, LATER]);
    expect(accepted.local.maxOwedByUsMinutes).toBe(300);
  });

  it('is only for a proposed link', () => {
    const { local, peer } = propose();
    for (const status of ['active', 'suspended'] as const) {
      expect(codeOf(() => acceptLink({ ...peer, status }, { ...local, status }, LATER))).toBe('link_not_proposed');
    }
  });
});

const active = linkSide({ timebankId: NORTH, id: ids.local, peerTimebankId: SOUTH, clearingAccountId: ids.localClearing });
const clearing = (overrides: Partial<ClearingAccount> = {}): ClearingAccount => ({ balanceMinutes: 0, pendingDebitMinutes: 0, pendingCreditMinutes: 0, ...clearingLimits(active), ...overrides });

describe('changing a link', () => {
  it('changes this side\'s limits, listing what changed', () => {
    const changed = changeLink(active, clearing(), { maxOwedByUsMinutes: 900 }, LATER);
    expect(changed.link).toMatchObject({ maxOwedByUsMinutes: 900, maxOwedToUsMinutes: 300, status: 'active', updatedAt: LATER });
    expect(changed.changes).toEqual({ maxOwedByUsMinutes: [600, 900] });
  });

  it('refuses a cap below what this side owes and what pending transfers will make it owe, naming the link\'s field', () => {
    const owing = clearing({ balanceMinutes: 200, pendingCreditMinutes: 50 });
    const rejection = rejectionOf(() => changeLink(active, owing, { maxOwedByUsMinutes: 249 }, LATER));
    expect([rejection.code, rejection.extensions.field]).toEqual(['limit_breaks_balance', 'maxOwedByUsMinutes']);
    expect(changeLink(active, owing, { maxOwedByUsMinutes: 250 }, LATER).link.maxOwedByUsMinutes).toBe(250);
  });

  it('refuses a floor above what the peer owes and what pending transfers will make it owe, naming the link\'s field', () => {
    const owed = clearing({ balanceMinutes: -200, pendingDebitMinutes: 50 });
    const rejection = rejectionOf(() => changeLink(active, owed, { maxOwedToUsMinutes: 249 }, LATER));
    expect([rejection.code, rejection.extensions.field]).toEqual(['limit_breaks_balance', 'maxOwedToUsMinutes']);
    expect(changeLink(active, owed, { maxOwedToUsMinutes: 250 }, LATER).link.maxOwedToUsMinutes).toBe(250);
    // Loosening is always allowed, whatever is owed.
    expect(changeLink(active, clearing({ balanceMinutes: -400, minBalanceMinutes: -300 }), { maxOwedToUsMinutes: 350 }, LATER).changes).toEqual({ maxOwedToUsMinutes: [300, 350] });
  });

  it('suspends and reactivates an active link', () => {
    const suspended = changeLink(active, clearing(), { status: 'suspended' }, LATER);
    expect([suspended.link.status, suspended.changes]).toEqual(['suspended', { status: ['active', 'suspended'] }]);
    expect(changeLink(suspended.link, clearing(), { status: 'active' }, LATER).link.status).toBe('active');
  });

  it('refuses a status change on a proposed link, which only acceptance makes active, but takes its limits', () => {
    const proposed: LinkSide = { ...active, status: 'proposed' };
    for (const status of ['active', 'suspended'] as const) {
      const rejection = rejectionOf(() => changeLink(proposed, clearing(), { status }, LATER));
      expect([rejection.code, rejection.extensions.field]).toEqual(['link_not_active', 'status']);
    }
    expect(changeLink(proposed, clearing(), { maxOwedToUsMinutes: 100 }, LATER).link).toMatchObject({ status: 'proposed', maxOwedToUsMinutes: 100 });
  });

  it('changes nothing, and audits nothing, when asked for what it already is', () => {
    const same = changeLink(active, clearing(), { status: 'active', maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300 }, LATER);
    expect(same.changes).toEqual({});
    expect(same.link).toBe(active);
    expect(changeLink(active, clearing(), {}, LATER).changes).toEqual({});
  });
});

describe('a link crossed by a transfer', () => {
  it('is active on both sides', () => {
    const peer: LinkSide = { ...active, timebankId: SOUTH, peerTimebankId: NORTH };
    expect(codeOf(() => checkLinkActive(active, peer))).toBe('allowed');
    for (const [local, other] of [[{ ...active, status: 'suspended' }, peer], [active, { ...peer, status: 'suspended' }], [active, { ...peer, status: 'proposed' }]] as const) {
      expect(codeOf(() => checkLinkActive(local, other))).toBe('link_not_active');
    }
  });
});
