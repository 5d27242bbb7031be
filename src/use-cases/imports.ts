import { v7 as uuidv7 } from 'uuid';
import { actorOf, type Acting } from '../domain/audit.js';
import { contentHash } from '../domain/canonical.js';
import { notFound, Rejection } from '../domain/errors.js';
import { transferAudience, type NewEvent } from '../domain/events.js';
import {
  MAX_LISTED_PROBLEMS,
  parseImport,
  planImport,
  referencedExternalIds,
  type AccountPreview,
  type ExistingAccount,
  type ImportFormat,
  type ImportPlan,
  type ImportProblem,
  type ImportState,
  type ParsedImport,
  type TransferRow,
} from '../domain/imports.js';
import { AccountChanges, post, type AccountState } from '../domain/ledger.js';
import { NO_LINK, type PostedEntry, type TransferRecord } from '../domain/transfer-decisions.js';
import type { Db } from '../db/client.js';
import { persist } from '../db/ledger.js';
import { lockAccounts } from '../db/ledger-locks.js';
import { appendEvents } from '../db/queries/events.js';
import {
  accountsNow,
  claimImport,
  findImportByContent,
  importTimebank,
  insertImportedMembers,
  membersByExternalId,
  storeImportResult,
  takenEmails,
  type ImportTimebank,
  type NewImportedMember,
} from '../db/queries/imports.js';
import { isUniqueViolation } from '../db/errors.js';
import { retryContention } from '../db/retry.js';
import { appendAudit } from './audit.js';
import { newEvent } from './events.js';
import { newId } from './ids.js';
import { presentMember } from './present/member.js';
import { presentTransfer } from './present/transfer.js';

/*
 * Import from other timebank software (docs/import.md). A dry run reads the files against the
 * timebank as it is and changes nothing; a real run writes every member and every transfer of
 * history in one transaction, or nothing when any row has a problem. History is posted as it
 * happened: each transfer at its own date, in date order, on the hash chain (sealed after commit
 * as any posting), with the limits not enforced and the override recorded on each transfer and
 * in the audit log. The same content imported again changes nothing and answers the first result.
 */

export type ImportInput = {
  format: ImportFormat;
  members?: string | undefined;
  transfers?: string | undefined;
  dryRun: boolean;
};

export type ImportedAccount = AccountPreview & { memberId: string | null; accountId: string | null };

export type ImportResult = {
  id: string | null;
  dryRun: boolean;
  /** This content was imported before: nothing changed, and this is that import's result. */
  alreadyImported: boolean;
  format: ImportFormat;
  members: number;
  transfers: number;
  minutes: number;
  firstPostedAt: string | null;
  lastPostedAt: string | null;
  accounts: ImportedAccount[];
  problems: ImportProblem[];
  problemsTruncated: boolean;
  createdAt: string | null;
};

export type ImportOutcome = { statusCode: 200 | 201; body: ImportResult };

const COMMONS_NAME = 'Commons';

/** The problems an answer lists: the first MAX_LISTED_PROBLEMS. */
function listed(problems: ImportProblem[]) {
  return { problems: problems.slice(0, MAX_LISTED_PROBLEMS), problemsTruncated: problems.length > MAX_LISTED_PROBLEMS };
}

/** A real run with problems: 422, every problem listed (up to the limit), nothing written. */
export function importInvalid(problems: ImportProblem[]): Rejection {
  const count = problems.length;
  return new Rejection(
    'import_invalid',
    `The import has ${count} ${count === 1 ? 'problem' : 'problems'} and nothing was imported: correct the rows listed in problems (a dry run lists them too) and import again.`,
    listed(problems),
  );
}

/** What the files name, as the timebank has it; with `lock`, the accounts history touches are locked (ascending id order). */
async function loadState(db: Db, timebankId: string, timebank: ImportTimebank, parsed: ParsedImport, now: Date, lock: boolean): Promise<{ state: ImportState; locked: Map<string, AccountState> }> {
  const existing = await membersByExternalId(db, timebankId, referencedExternalIds(parsed));
  const emails = await takenEmails(db, timebankId, parsed.members.map((member) => member.email));
  const touchesCommons = parsed.transfers.some((transfer) => transfer.payer.kind === 'commons' || transfer.payee.kind === 'commons');
  const accountIds = [...existing.map((account) => account.accountId), ...(touchesCommons ? [timebank.commonsAccountId] : [])];
  const locked = lock ? (await lockAccounts(db, timebankId, accountIds)).accounts : new Map<string, AccountState>();
  const current = lock
    ? new Map([...locked].map(([id, account]) => [id, { balanceMinutes: account.balanceMinutes, lastPostedAt: account.lastPostedAt }]))
    : await accountsNow(db, timebankId, accountIds);
  const withCurrent = (account: ExistingAccount): ExistingAccount => ({ ...account, ...current.get(account.accountId) });
  const commons: ExistingAccount = withCurrent({ accountId: timebank.commonsAccountId, memberId: null, externalId: null, displayName: COMMONS_NAME, balanceMinutes: 0, lastPostedAt: null });
  return {
    state: { now, commons, membersByExternalId: new Map(existing.map((account) => [account.externalId!, withCurrent(account)])), takenEmails: emails },
    locked,
  };
}

type AccountIds = { memberId: string | null; accountId: string | null };

/** The ids of the accounts a preview names that exist (the commons, the timebank's members); null for members not created yet. */
function existingIds(state: ImportState, created: Map<string, AccountIds> = new Map()) {
  return (preview: AccountPreview): AccountIds => {
    if (preview.kind === 'commons') return { memberId: null, accountId: state.commons.accountId };
    const account = state.membersByExternalId.get(preview.externalId!) ?? created.get(preview.externalId!);
    return { memberId: account?.memberId ?? null, accountId: account?.accountId ?? null };
  };
}

function resultOf(plan: ImportPlan, format: ImportFormat, fields: { id: string | null; dryRun: boolean; createdAt: Date | null }, ids: (preview: AccountPreview) => AccountIds): ImportResult {
  return {
    id: fields.id,
    dryRun: fields.dryRun,
    alreadyImported: false,
    format,
    members: plan.members.length,
    transfers: plan.transfers.length,
    minutes: plan.minutes,
    firstPostedAt: plan.firstPostedAt?.toISOString() ?? null,
    lastPostedAt: plan.lastPostedAt?.toISOString() ?? null,
    accounts: plan.accounts.map((preview) => ({ ...preview, ...ids(preview) })),
    ...listed(plan.problems),
    createdAt: fields.createdAt?.toISOString() ?? null,
  };
}

/** The content an import is known by: the same format and files give the same hash. */
export function importContentHash(input: ImportInput): string {
  return contentHash({ format: input.format, members: input.members ?? '', transfers: input.transfers ?? '' });
}

function replay(stored: { id: string; result: Record<string, unknown> }, dryRun: boolean): ImportOutcome {
  return { statusCode: 200, body: { ...(stored.result as ImportResult), id: stored.id, dryRun, alreadyImported: true, problems: [], problemsTruncated: false } };
}

export async function runImport(db: Db, timebankId: string, input: ImportInput, acting: Acting, now: Date): Promise<ImportOutcome> {
  const parsed = parseImport(input.format, input);
  const hash = importContentHash(input);
  const timebank = await importTimebank(db, timebankId);
  if (!timebank) throw notFound('Timebank');
  if (input.dryRun) {
    const stored = await findImportByContent(db, timebankId, hash);
    if (stored) return replay(stored, true);
    const { state } = await loadState(db, timebankId, timebank, parsed, now, false);
    return { statusCode: 200, body: resultOf(planImport(input.format, parsed, state), input.format, { id: null, dryRun: true, createdAt: null }, existingIds(state)) };
  }
  return retryContention(() =>
    db
      .transaction(async (tx) => {
        const importId = newId();
        const actor = actorOf(acting.principal);
        if (!(await claimImport(tx, { timebankId, id: importId, contentHash: hash, format: input.format, actorType: actor.type, actorId: actor.id, now }))) {
          const stored = await findImportByContent(tx, timebankId, hash);
          // Claimed by an import that has since rolled back: claim again.
          if (!stored) throw Object.assign(new Error('import claim vanished'), { code: '40001' });
          return replay(stored, false);
        }
        const { state, locked } = await loadState(tx, timebankId, timebank, parsed, now, true);
        const plan = planImport(input.format, parsed, state);
        if (plan.problems.length > 0) throw importInvalid(plan.problems);
        const created = await apply(tx, { timebankId, importId, timebank, plan, state, locked, acting, now });
        const body = resultOf(plan, input.format, { id: importId, dryRun: false, createdAt: now }, existingIds(state, created));
        await storeImportResult(tx, timebankId, importId, body);
        await appendAudit(
          tx,
          acting,
          {
            timebankId,
            action: 'import.applied',
            target: { type: 'import', id: importId },
            changes: { format: [null, input.format], members: [0, body.members], transfers: [0, body.transfers], minutes: [0, body.minutes], overrideLimits: [false, body.transfers > 0] },
          },
          now,
        );
        return { statusCode: 201 as const, body };
      })
      .catch((error: unknown) => {
        // A member with one of these ids or emails committed by another write since this one
        // read them: start again, and the problems name it.
        if (isUniqueViolation(error, 'members_timebank_external_id_key') || isUniqueViolation(error, 'members_timebank_email_key')) {
          throw Object.assign(new Error('a member was added meanwhile', { cause: error }), { code: '40001' });
        }
        throw error;
      }),
  );
}

type Apply = {
  timebankId: string;
  importId: string;
  timebank: ImportTimebank;
  plan: ImportPlan;
  state: ImportState;
  locked: Map<string, AccountState>;
  acting: Acting;
  now: Date;
};

/** Writes the plan: the members and their accounts, then the history, posted in date order in one statement. Returns the members' ids by externalId. */
async function apply(tx: Db, run: Apply): Promise<Map<string, AccountIds>> {
  const { timebankId, plan, state, now } = run;
  const created: NewImportedMember[] = plan.members.map((member) => ({ ...member, memberId: newId(), accountId: newId() }));
  await insertImportedMembers(tx, timebankId, created, run.timebank, now);
  await appendEvents(
    tx,
    timebankId,
    created.map((member) =>
      newEvent(
        'member.created',
        [member.memberId],
        presentMember({ id: member.memberId, timebankId, accountId: member.accountId, displayName: member.displayName, email: member.email, kind: member.kind, role: 'member', status: 'active', externalId: member.externalId, metadata: {}, notifyClaims: true, notifyDigest: true, phone: member.phone, shareEmail: false, sharePhone: false, federationVisible: false, createdAt: member.joinedAt ?? now }),
        now,
      ),
    ),
  );

  // The accounts history moves: the new ones empty, the timebank's as locked.
  const accountIdOf = new Map<string, { accountId: string; memberId: string | null }>(created.map((member) => [member.externalId, member]));
  for (const [externalId, account] of state.membersByExternalId) accountIdOf.set(externalId, account);
  const fresh = created.map((member): AccountState => ({
    id: member.accountId,
    kind: 'member',
    memberId: member.memberId,
    holderStatus: 'active',
    balanceMinutes: 0,
    pendingDebitMinutes: 0,
    pendingCreditMinutes: 0,
    minBalanceMinutes: run.timebank.defaultMinBalanceMinutes,
    maxBalanceMinutes: run.timebank.defaultMaxBalanceMinutes,
    givenMinutes: 0,
    receivedMinutes: 0,
    version: 0,
    openClaims: 0,
    openCommonsClaims: 0,
    lastPostedAt: null,
  }));
  const accounts = new AccountChanges(new Map([...run.locked, ...fresh.map((account) => [account.id, account] as const)]));
  const accountOf = (reference: TransferRow['payer']) => (reference.kind === 'commons' ? state.commons.accountId : accountIdOf.get(reference.externalId)!.accountId);

  const principal = run.acting.principal;
  const transfers: TransferRecord[] = [];
  const entries: PostedEntry[] = [];
  const events: NewEvent[] = [];
  for (const row of plan.transfers) {
    const payer = accounts.get(accountOf(row.payer), 'payer');
    const payee = accounts.get(accountOf(row.payee), 'payee');
    const id = uuidv7({ msecs: row.postedAt.getTime() });
    const posting = post(payer, payee, row.minutes);
    const latest = (account: AccountState) => (account.lastPostedAt && account.lastPostedAt > row.postedAt ? account.lastPostedAt : row.postedAt);
    accounts.set({ ...posting.payer, lastPostedAt: latest(payer) }, { ...posting.payee, lastPostedAt: latest(payee) });
    const transfer: TransferRecord = {
      timebankId,
      id,
      payerAccountId: payer.id,
      payeeAccountId: payee.id,
      minutes: row.minutes,
      status: 'posted',
      description: row.description,
      categoryId: null,
      requestId: null,
      offerId: null,
      createdByType: principal.type,
      createdById: principal.id,
      brokered: true,
      reversesTransferId: null,
      reason: null,
      // History is taken as it happened, wherever it left the balances: recorded on each transfer.
      overrideLimits: true,
      externalId: null,
      metadata: { importId: run.importId, importLine: String(row.line), ...(row.postId ? { postId: row.postId } : {}) },
      createdAt: row.postedAt,
      autoConfirmAt: null,
      postedAt: row.postedAt,
      resolvedAt: null,
      ...NO_LINK,
    };
    transfers.push(transfer);
    entries.push(...posting.entries.map((entry) => ({ ...entry, transferId: id, postedAt: row.postedAt })));
    events.push(newEvent('transfer.created', transferAudience(transfer, [payer.memberId, payee.memberId]), presentTransfer(transfer, null), now));
  }
  await persist(tx, { timebankId, insertTransfers: transfers, resolveTransfers: [], entries, accounts: accounts.changed(), idempotency: [], events });

  return new Map<string, AccountIds>(created.map((member) => [member.externalId, member]));
}
