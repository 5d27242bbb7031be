/** The stored fields of an account that its answer shows whatever the instant it is read at. */
export type AccountRecord = {
  id: string;
  timebankId: string;
  memberId: string | null;
  kind: 'member' | 'commons' | 'link';
  minBalanceMinutes: number;
  maxBalanceMinutes: number;
};

export type Account = {
  id: string;
  timebankId: string;
  memberId: string | null;
  kind: AccountRecord['kind'];
  balanceMinutes: number;
  pendingDebitMinutes: number;
  pendingCreditMinutes: number;
  availableMinutes: number;
  minBalanceMinutes: number;
  maxBalanceMinutes: number;
  givenMinutes: number;
  receivedMinutes: number;
  asOf: string | null;
};

/** The figures that change as transfers post: stored for now, recomputed for an earlier instant. */
export type AccountFigures = Pick<Account, 'balanceMinutes' | 'pendingDebitMinutes' | 'pendingCreditMinutes' | 'givenMinutes' | 'receivedMinutes'>;

export type StatementItem = {
  transferId: string;
  sequence: number | null;
  minutes: number;
  balanceAfterMinutes: number;
  postedAt: string;
  description: string | null;
  counterpartyAccountId: string;
};

export type Statement = {
  accountId: string;
  from: string | null;
  to: string;
  openingBalanceMinutes: number;
  closingBalanceMinutes: number;
  items: StatementItem[];
  nextCursor: string | null;
};

export function presentAccount(row: AccountRecord, figures: AccountFigures, asOf: Date | undefined): Account {
  return {
    id: row.id,
    timebankId: row.timebankId,
    memberId: row.memberId,
    kind: row.kind,
    balanceMinutes: figures.balanceMinutes,
    pendingDebitMinutes: figures.pendingDebitMinutes,
    pendingCreditMinutes: figures.pendingCreditMinutes,
    givenMinutes: figures.givenMinutes,
    receivedMinutes: figures.receivedMinutes,
    // The room above the floor that pending debits do not already hold.
    availableMinutes: Math.max(0, figures.balanceMinutes - figures.pendingDebitMinutes - row.minBalanceMinutes),
    minBalanceMinutes: row.minBalanceMinutes,
    maxBalanceMinutes: row.maxBalanceMinutes,
    asOf: asOf ? asOf.toISOString() : null,
  };
}

/** One entry of a statement, with the other party of its transfer. */
export function presentStatementItem(row: Omit<StatementItem, 'postedAt'> & { postedAt: Date }): StatementItem {
  return {
    transferId: row.transferId,
    sequence: row.sequence,
    minutes: row.minutes,
    balanceAfterMinutes: row.balanceAfterMinutes,
    postedAt: row.postedAt.toISOString(),
    description: row.description,
    counterpartyAccountId: row.counterpartyAccountId,
  };
}
