import type { AccountState } from '../../src/domain/ledger.js';

/**
 * An account as the ledger's decisions see it: a member's (held by `member-<id>`), active, empty,
 * free to owe or earn 600 minutes, with whatever is overridden. A commons or clearing account
 * overrides kind, memberId and holderStatus.
 */
export const account = (id: string, overrides: Partial<AccountState> = {}): AccountState => ({
  id,
  kind: 'member',
  memberId: `member-${id}`,
  holderStatus: 'active',
  balanceMinutes: 0,
  pendingDebitMinutes: 0,
  pendingCreditMinutes: 0,
  minBalanceMinutes: -600,
  maxBalanceMinutes: 600,
  givenMinutes: 0,
  receivedMinutes: 0,
  version: 0,
  openClaims: 0,
  openCommonsClaims: 0,
  lastPostedAt: null,
  ...overrides,
});
