import type { CrossState, CrossTransferInput } from '../../src/domain/cross-transfers.js';
import { AccountChanges, type AccountState } from '../../src/domain/ledger.js';
import type { LinkSide } from '../../src/domain/links.js';
import type { Principal } from '../../src/domain/principal.js';
import type { LedgerState } from '../../src/domain/transfer-decisions.js';
import { account } from './account-state.js';

/*
 * Two timebanks of one deployment and the link between them, as the shell of cross transfers
 * loads them under lock (src/use-cases/cross-write.ts): North pays, South is paid. North may owe
 * South up to 600 minutes, and South North up to 300, so North's clearing account lies between
 * -300 and 600 and South's between -600 and 300.
 */

export const NORTH = 'north-timebank';
export const SOUTH = 'south-timebank';

/** The accounts of both ledgers, by id: North's start with n-, South's with s-. */
export const ACCOUNT = {
  payer: 'n-alice-account',
  northOther: 'n-bob-account',
  northClearing: 'n-clearing',
  payee: 's-carol-account',
  southHidden: 's-erin-account',
  southCommons: 's-commons',
  southClearing: 's-clearing',
} as const;

export const principals = {
  alice: { type: 'member', id: 'n-alice', timebankId: NORTH, role: 'member' },
  bob: { type: 'member', id: 'n-bob', timebankId: NORTH, role: 'member' },
  northCoordinator: { type: 'member', id: 'n-coordinator', timebankId: NORTH, role: 'coordinator' },
  northClient: { type: 'client', id: 'n-partner', timebankId: NORTH, scopes: ['ledger:write'] },
  carol: { type: 'member', id: 's-carol', timebankId: SOUTH, role: 'member' },
  dave: { type: 'member', id: 's-dave', timebankId: SOUTH, role: 'member' },
  southCoordinator: { type: 'member', id: 's-coordinator', timebankId: SOUTH, role: 'coordinator' },
} satisfies Record<string, Principal>;

export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const LATER = new Date('2026-03-02T12:00:00.000Z');

const clearing = (id: string, min: number, max: number) => account(id, { kind: 'link', memberId: null, holderStatus: null, minBalanceMinutes: min, maxBalanceMinutes: max });

function side(timebankId: string, accounts: AccountState[]): LedgerState {
  return {
    timebankId,
    accounts: new AccountChanges(new Map(accounts.map((item) => [item.id, item]))),
    references: { categories: new Set(), requests: new Set(), offers: new Set(), externalIds: new Set() },
    settings: { confirmation: 'none', autoConfirmAfterHours: 24, autoConfirmMemberClaims: false, maxOpenClaims: 5 },
  };
}

export function linkSide(overrides: Partial<LinkSide> & Pick<LinkSide, 'timebankId' | 'id' | 'peerTimebankId' | 'clearingAccountId'>): LinkSide {
  return { peerLinkId: null, peerUrl: null, status: 'active', proposedByUs: true, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300, createdAt: NOW, updatedAt: NOW, ...overrides };
}

export type WorldChanges = { accounts?: Record<string, Partial<AccountState>>; link?: Partial<LinkSide>; peer?: Partial<LinkSide> };

/** Both ledgers and both sides of an active link, with any account or link changed as given. */
export function world(changes: WorldChanges = {}): CrossState {
  const changed = (item: AccountState) => ({ ...item, ...changes.accounts?.[item.id] });
  return {
    payerSide: side(NORTH, [
      account(ACCOUNT.payer, { memberId: principals.alice.id }),
      account(ACCOUNT.northOther, { memberId: principals.bob.id }),
      clearing(ACCOUNT.northClearing, -300, 600),
    ].map(changed)),
    payeeSide: side(SOUTH, [
      account(ACCOUNT.payee, { memberId: principals.carol.id }),
      account(ACCOUNT.southHidden, { memberId: 's-erin' }),
      account(ACCOUNT.southCommons, { kind: 'commons', memberId: null, holderStatus: null, minBalanceMinutes: -1_000_000, maxBalanceMinutes: 1_000_000 }),
      clearing(ACCOUNT.southClearing, -600, 300),
    ].map(changed)),
    link: linkSide({ timebankId: NORTH, id: 'link-north', peerTimebankId: SOUTH, peerLinkId: 'link-south', clearingAccountId: ACCOUNT.northClearing, ...changes.link }),
    peer: linkSide({ timebankId: SOUTH, id: 'link-south', peerTimebankId: NORTH, peerLinkId: 'link-north', clearingAccountId: ACCOUNT.southClearing, proposedByUs: false, maxOwedByUsMinutes: 300, maxOwedToUsMinutes: 600, ...changes.peer }),
  };
}

/** Alice pays Carol across the link. */
export const toCarol = (minutes: number, extra: Partial<CrossTransferInput> = {}): CrossTransferInput => ({ payerAccountId: ACCOUNT.payer, payee: { linkId: 'link-north', accountId: ACCOUNT.payee }, minutes, ...extra });

/** Balance and reservations of every account of both ledgers, to show that a refusal moved nothing. */
export function figures(state: CrossState): Record<string, [number, number, number]> {
  const all: Record<string, [number, number, number]> = {};
  for (const id of Object.values(ACCOUNT)) {
    const ledger = id.startsWith('n-') ? state.payerSide : state.payeeSide;
    const found = ledger.accounts.get(id, 'accountId');
    all[id] = [found.balanceMinutes, found.pendingDebitMinutes, found.pendingCreditMinutes];
  }
  return all;
}

export const balanceOf = (state: CrossState, id: string) => (id.startsWith('n-') ? state.payerSide : state.payeeSide).accounts.get(id, 'accountId').balanceMinutes;
