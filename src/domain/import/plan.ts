import { quote } from './cells.js';
import { problemAt, type AccountReference, type ImportFormat, type ImportProblem, type MemberRow, type ParsedImport, type TransferRow } from './model.js';

/* The plan: the rows read against the timebank as it is, and what the import writes. */

/** An account of the timebank that the files name: a member's (by externalId) or the commons. */
export type ExistingAccount = {
  accountId: string;
  memberId: string | null;
  externalId: string | null;
  displayName: string;
  balanceMinutes: number;
  /** When its last entry was posted: imported history may not come before it. */
  lastPostedAt: Date | null;
};

export type ImportState = {
  now: Date;
  commons: ExistingAccount;
  /** The timebank's members that have an externalId the files name. */
  membersByExternalId: Map<string, ExistingAccount>;
  /** Which of the files' emails a member of the timebank has already. */
  takenEmails: Set<string>;
};

/** What the import does to one account: a member it creates, or an account of the timebank its history touches. */
export type AccountPreview = {
  kind: 'member' | 'commons';
  externalId: string | null;
  displayName: string;
  newMember: boolean;
  transfers: number;
  givenMinutes: number;
  receivedMinutes: number;
  /** The balance once the import is applied. */
  balanceMinutes: number;
};

export type ImportPlan = {
  problems: ImportProblem[];
  members: MemberRow[];
  /** In the order they are posted: by date, then by line. */
  transfers: TransferRow[];
  accounts: AccountPreview[];
  minutes: number;
  firstPostedAt: Date | null;
  lastPostedAt: Date | null;
};

/** The columns problems name, as each format calls them. */
const columnNames = {
  generic: { externalId: 'externalId', joinedAt: 'joinedAt', payer: 'payerExternalId', payee: 'payeeExternalId', postedAt: 'postedAt' },
  timeoverflow: { externalId: 'member_id', joinedAt: 'entry_date', payer: 'source_id', payee: 'destination_id', postedAt: 'created_at' },
} as const satisfies Record<ImportFormat, Record<string, string>>;
type ColumnNames = (typeof columnNames)[ImportFormat];

const describe = (reference: AccountReference) => (reference.kind === 'commons' ? 'the commons account' : `member ${quote(reference.externalId)}`);

/** Every problem of the rows against the timebank, and, when there is none, what the import writes. */
export function planImport(format: ImportFormat, parsed: ParsedImport, state: ImportState): ImportPlan {
  const column = columnNames[format];
  const problems = [...parsed.problems, ...memberProblems(parsed.members, state, column)];
  const accounts = new Accounts(parsed.members, state);
  const ordered = [...parsed.transfers].sort((a, b) => a.postedAt.getTime() - b.postedAt.getTime() || a.line - b.line);
  for (const transfer of ordered) problems.push(...applyTransfer(transfer, accounts, state.now, column));
  return {
    problems: orderedProblems(problems),
    members: parsed.members,
    transfers: ordered,
    accounts: accounts.previews(),
    minutes: ordered.reduce((sum, transfer) => sum + transfer.minutes, 0),
    firstPostedAt: ordered[0]?.postedAt ?? null,
    lastPostedAt: ordered.at(-1)?.postedAt ?? null,
  };
}

/** Ids and emails given twice in the file or taken in the timebank, and joining dates to come. */
function memberProblems(members: MemberRow[], state: ImportState, column: ColumnNames): ImportProblem[] {
  const problems: ImportProblem[] = [];
  const fileIds = new Map<string, number>();
  const fileEmails = new Map<string, number>();
  for (const member of members) {
    const at = (field: string, message: string) => problems.push(problemAt('members', member.line, field, message));
    const idField = column.externalId;
    if (fileIds.has(member.externalId)) at(idField, `id ${quote(member.externalId)} is given on line ${fileIds.get(member.externalId)} already`);
    else fileIds.set(member.externalId, member.line);
    if (state.membersByExternalId.has(member.externalId)) at(idField, `a member of this timebank has the id ${quote(member.externalId)} already (imported before?)`);
    if (fileEmails.has(member.email)) at('email', `email ${member.email} is given on line ${fileEmails.get(member.email)} already`);
    else fileEmails.set(member.email, member.line);
    if (state.takenEmails.has(member.email)) at('email', `a member of this timebank has the email ${member.email} already`);
    if (member.joinedAt && member.joinedAt > state.now) at(column.joinedAt, 'is in the future');
  }
  return problems;
}

type AccountTally = AccountPreview & { lastPostedAt: Date | null };

/** The accounts the history touches, each with its running totals, in the order first named. */
class Accounts {
  private readonly tallies = new Map<string, AccountTally>();
  constructor(
    members: MemberRow[],
    private readonly state: ImportState,
  ) {
    for (const member of members) {
      // One that is a member already is refused by memberProblems; the rows that name it name that member.
      if (state.membersByExternalId.has(member.externalId) || this.tallies.has(member.externalId)) continue;
      this.tallies.set(member.externalId, { kind: 'member', externalId: member.externalId, displayName: member.displayName, newMember: true, transfers: 0, givenMinutes: 0, receivedMinutes: 0, balanceMinutes: 0, lastPostedAt: null });
    }
  }

  /** The account a reference names, or undefined when neither the files nor the timebank have it. */
  of(reference: AccountReference): AccountTally | undefined {
    const key = reference.kind === 'commons' ? '\u0000commons' : reference.externalId;
    const known = this.tallies.get(key);
    if (known) return known;
    const existing = reference.kind === 'commons' ? this.state.commons : this.state.membersByExternalId.get(reference.externalId);
    if (!existing) return undefined;
    const tally = { kind: reference.kind, externalId: existing.externalId, displayName: existing.displayName, newMember: false, transfers: 0, givenMinutes: 0, receivedMinutes: 0, balanceMinutes: existing.balanceMinutes, lastPostedAt: existing.lastPostedAt };
    this.tallies.set(key, tally);
    return tally;
  }

  previews(): AccountPreview[] {
    return [...this.tallies.values()].map(({ lastPostedAt: _last, ...preview }) => preview);
  }
}

/** One transfer's problems, or, when its accounts are found and differ, its minutes added to their totals. */
function applyTransfer(transfer: TransferRow, accounts: Accounts, now: Date, column: ColumnNames): ImportProblem[] {
  const problems: ImportProblem[] = [];
  const at = (field: string | null, message: string) => problems.push(problemAt('transfers', transfer.line, field, message));
  const payer = accounts.of(transfer.payer);
  const payee = accounts.of(transfer.payee);
  if (!payer) at(column.payer, `${describe(transfer.payer)} is neither in the members file nor a member of this timebank`);
  if (!payee) at(column.payee, `${describe(transfer.payee)} is neither in the members file nor a member of this timebank`);
  if (transfer.postedAt > now) at(column.postedAt, 'is in the future');
  if (!payer || !payee) return problems;
  if (payer === payee) {
    at(column.payee, 'the payer and the payee are the same account');
    return problems;
  }
  for (const [side, account] of [['payer', payer], ['payee', payee]] as const) {
    // Rows come in date order: every row dated before the account's last entry is named.
    if (account.lastPostedAt && account.lastPostedAt > transfer.postedAt) {
      at(column.postedAt, `the ${side}'s account (${describe(transfer[side])}) has entries posted after this date (the last on ${account.lastPostedAt.toISOString()}): history can only be added after them`);
    }
  }
  payer.transfers += 1;
  payee.transfers += 1;
  payer.receivedMinutes += transfer.minutes;
  payer.balanceMinutes -= transfer.minutes;
  payee.givenMinutes += transfer.minutes;
  payee.balanceMinutes += transfer.minutes;
  return problems;
}

/** Members' problems first, then the transfers', each by line. */
function orderedProblems(problems: ImportProblem[]): ImportProblem[] {
  const fileOrder = (file: ImportProblem['file']) => (file === 'members' ? 0 : 1);
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => fileOrder(a.problem.file) - fileOrder(b.problem.file) || a.problem.line - b.problem.line || a.index - b.index)
    .map(({ problem }) => problem);
}

/** The account references the files make that are not members of the files: what the shell looks up. */
export function referencedExternalIds(parsed: ParsedImport): string[] {
  const ids = new Set(parsed.members.map((member) => member.externalId));
  for (const transfer of parsed.transfers) {
    for (const reference of [transfer.payer, transfer.payee]) if (reference.kind === 'member') ids.add(reference.externalId);
  }
  return [...ids];
}
