import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { GENESIS_HASH, verifyChain, type ChainMismatch } from '../../domain/chain.js';
import type { Db } from '../client.js';
import { accounts, ledgerHeads, members, transferSeals, transfers, timebanks } from '../schema.js';
import { listLinks } from './links.js';
import { unsealedSummary } from './seals.js';
import { rows } from '../rows.js';

/*
 * Integrity checks and the accounting journal: reads that recompute what the write path
 * maintains, so that a bug or a tampered row shows up.
 */

export type Mismatch =
  | { kind: 'sum_not_zero'; sumMinutes: number }
  | { kind: 'balance_differs_from_entries'; accountId: string; balanceMinutes: number; entriesMinutes: number; lastBalanceAfterMinutes: number | null }
  | { kind: 'version_differs_from_entries'; accountId: string; version: number; entryCount: number }
  | { kind: 'entries_do_not_cancel'; transferId: string; entryCount: number; sumMinutes: number }
  | { kind: 'head_differs'; headSequence: number; headHash: string; chainSequence: number; chainHash: string }
  /** Posted but neither sealed nor waiting for a seal (or sealed but not posted): outside the chain. */
  | { kind: 'outside_chain'; transferId: string; status: string }
  /** A link within this deployment whose two clearing balances are not exact opposites. */
  | { kind: 'link_balances_differ'; linkId: string; localBalanceMinutes: number; peerBalanceMinutes: number }
  /** A cross leg whose other leg is missing, or differs in minutes or status, or names another. */
  | { kind: 'legs_differ'; transferId: string; remoteTransferId: string }
  | ChainMismatch;

const CHAIN_PAGE = 5000;

/** Sealed transfers from `after` on, in sequence order: the chain as verify and the journal read it. */
function sealedPage(db: Db, timebankId: string, after: number) {
  return db
    .select({ transfer: transfers, sequence: transferSeals.sequence, hash: transferSeals.hash })
    .from(transferSeals)
    .innerJoin(transfers, and(eq(transfers.timebankId, transferSeals.timebankId), eq(transfers.id, transferSeals.transferId)))
    .where(and(eq(transferSeals.timebankId, timebankId), gt(transferSeals.sequence, after)))
    .orderBy(asc(transferSeals.sequence))
    .limit(CHAIN_PAGE);
}

export async function verifyLedger(db: Db, timebankId: string, now: Date) {
  const mismatches: Mismatch[] = [];
  const [sum] = await rows(db, sql`SELECT coalesce(sum(balance_minutes), 0) AS sum FROM accounts WHERE timebank_id = ${timebankId}`);
  const sumMinutes = Number(sum?.sum);
  if (sumMinutes !== 0) {
    mismatches.push({ kind: 'sum_not_zero', sumMinutes });
  }
  for (const row of await rows(db, sql`
      SELECT a.id, a.balance_minutes, a.version, coalesce(e.total, 0) AS total, coalesce(e.count, 0) AS count, e.last_after
        FROM accounts a
        LEFT JOIN LATERAL (
          SELECT sum(minutes) AS total, count(*) AS count,
                 (array_agg(balance_after_minutes ORDER BY account_version DESC))[1] AS last_after
            FROM entries WHERE timebank_id = a.timebank_id AND account_id = a.id) e ON true
       WHERE a.timebank_id = ${timebankId}
         AND (a.balance_minutes <> coalesce(e.total, 0) OR a.version <> coalesce(e.count, 0)
              OR a.balance_minutes <> coalesce(e.last_after, 0))`)) {
    if (Number(row.version) !== Number(row.count)) {
      mismatches.push({ kind: 'version_differs_from_entries', accountId: String(row.id), version: Number(row.version), entryCount: Number(row.count) });
    }
    if (Number(row.balance_minutes) !== Number(row.total) || Number(row.balance_minutes) !== Number(row.last_after ?? 0)) {
      mismatches.push({
        kind: 'balance_differs_from_entries',
        accountId: String(row.id),
        balanceMinutes: Number(row.balance_minutes),
        entriesMinutes: Number(row.total),
        lastBalanceAfterMinutes: row.last_after === null ? null : Number(row.last_after),
      });
    }
  }
  for (const row of await rows(db, sql`
      SELECT t.id, count(e.account_id) AS count, coalesce(sum(e.minutes), 0) AS sum,
             bool_and((e.account_id = t.payer_account_id AND e.minutes = -t.minutes)
                   OR (e.account_id = t.payee_account_id AND e.minutes = t.minutes)) AS parties_match
        FROM transfers t LEFT JOIN entries e ON e.timebank_id = t.timebank_id AND e.transfer_id = t.id
       WHERE t.timebank_id = ${timebankId}
       GROUP BY t.id, t.status
      HAVING (t.status = 'posted' AND (count(e.account_id) <> 2 OR coalesce(sum(e.minutes), 0) <> 0
                                       OR NOT coalesce(bool_and((e.account_id = t.payer_account_id AND e.minutes = -t.minutes)
                                                             OR (e.account_id = t.payee_account_id AND e.minutes = t.minutes)), false)))
          OR (t.status <> 'posted' AND count(e.account_id) > 0)`)) {
    mismatches.push({ kind: 'entries_do_not_cancel', transferId: String(row.id), entryCount: Number(row.count), sumMinutes: Number(row.sum) });
  }

  let previous = { sequence: 0, hash: GENESIS_HASH };
  let transferCount = 0;
  for (;;) {
    const page = await sealedPage(db, timebankId, previous.sequence);
    const checked = verifyChain(
      page.map((row) => ({ ...row.transfer, sequence: row.sequence, hash: row.hash, postedAt: row.transfer.postedAt ?? new Date(0) })),
      previous,
    );
    mismatches.push(...checked.mismatches);
    previous = checked.head;
    transferCount += page.length;
    if (page.length < CHAIN_PAGE) break;
  }
  for (const row of await rows(db, sql`
      SELECT t.id, t.status FROM transfers t
       WHERE t.timebank_id = ${timebankId}
         AND (t.status = 'posted') <> (EXISTS (SELECT 1 FROM transfer_seals s WHERE s.timebank_id = t.timebank_id AND s.transfer_id = t.id)
                                       OR EXISTS (SELECT 1 FROM unsealed_transfers u WHERE u.timebank_id = t.timebank_id AND u.transfer_id = t.id))`)) {
    mismatches.push({ kind: 'outside_chain', transferId: String(row.id), status: String(row.status) });
  }
  for (const row of await rows(db, sql`
      SELECT l.id, a.balance_minutes AS local, pa.balance_minutes AS peer
        FROM timebank_links l
        JOIN accounts a ON a.timebank_id = l.timebank_id AND a.id = l.clearing_account_id
        JOIN timebank_links p ON p.timebank_id = l.peer_timebank_id AND p.id = l.peer_link_id
        JOIN accounts pa ON pa.timebank_id = p.timebank_id AND pa.id = p.clearing_account_id
       WHERE l.timebank_id = ${timebankId} AND l.peer_url IS NULL AND a.balance_minutes + pa.balance_minutes <> 0`)) {
    mismatches.push({ kind: 'link_balances_differ', linkId: String(row.id), localBalanceMinutes: Number(row.local), peerBalanceMinutes: Number(row.peer) });
  }
  // Each cross leg here has its other leg there, the same minutes, the same status, naming it back.
  for (const row of await rows(db, sql`
      SELECT t.id, t.remote_transfer_id FROM transfers t
        JOIN timebank_links l ON l.timebank_id = t.timebank_id AND l.id = t.link_id AND l.peer_url IS NULL
        LEFT JOIN transfers r ON r.timebank_id = t.remote_timebank_id AND r.id = t.remote_transfer_id
       WHERE t.timebank_id = ${timebankId} AND t.link_id IS NOT NULL
         AND (r.id IS NULL OR r.minutes <> t.minutes OR r.status <> t.status OR r.remote_transfer_id IS DISTINCT FROM t.id)`)) {
    mismatches.push({ kind: 'legs_differ', transferId: String(row.id), remoteTransferId: String(row.remote_transfer_id) });
  }
  const [head] = await db.select().from(ledgerHeads).where(eq(ledgerHeads.timebankId, timebankId));
  if (head && (head.lastSequence !== previous.sequence || head.lastHash !== previous.hash)) {
    mismatches.push({ kind: 'head_differs', headSequence: head.lastSequence, headHash: head.lastHash, chainSequence: previous.sequence, chainHash: previous.hash });
  }
  return {
    ok: mismatches.length === 0,
    transferCount,
    sumMinutes,
    chainHead: { sequence: previous.sequence, hash: previous.hash },
    ...(await unsealedSummary(db, timebankId, now)),
    mismatches,
  };
}

/** hledger account names: ':' separates levels and two spaces end the name, so neither may appear. */
function journalName(text: string): string {
  return text.replace(/[:;]/g, ' ').replace(/\s+/g, ' ').trim() || 'unnamed';
}

/**
 * The sealed ledger as an hledger journal: one transaction per sealed transfer, in sequence
 * order, amounts in integer minutes with the commodity "min".
 */
export async function* journalLines(db: Db, timebankId: string): AsyncGenerator<string> {
  const [timebank] = await db.select().from(timebanks).where(eq(timebanks.id, timebankId));
  const holders = await db
    .select({ accountId: accounts.id, kind: accounts.kind, displayName: members.displayName })
    .from(accounts)
    .leftJoin(members, and(eq(members.timebankId, accounts.timebankId), eq(members.id, accounts.memberId)))
    .where(eq(accounts.timebankId, timebankId));
  // A clearing account is the linked timebank on this ledger: named after it, not after a member.
  const peers = new Map((await listLinks(db, timebankId)).map((row) => [row.link.clearingAccountId, row.peerTimebankName]));
  const nameOf = (holder: (typeof holders)[number]) => {
    if (holder.kind === 'commons') return 'commons';
    const label = holder.kind === 'link' ? `links:${journalName(peers.get(holder.accountId) ?? 'linked timebank')}` : `members:${journalName(holder.displayName ?? 'member')}`;
    return `${label} ${holder.accountId.slice(-8)}`;
  };
  const names = new Map(holders.map((holder) => [holder.accountId, nameOf(holder)]));
  yield `; Time credits of ${journalName(timebank?.name ?? timebankId)} (timebank ${timebankId}), in minutes.\n\n`;
  let after = 0;
  for (;;) {
    const page = await sealedPage(db, timebankId, after);
    for (const { transfer, sequence } of page) {
      const date = transfer.postedAt!.toISOString().slice(0, 10);
      const description = journalName(transfer.description ?? (transfer.reversesTransferId ? 'Reversal' : 'Exchange'));
      yield `${date} * ${description}  ; transfer:${transfer.id}, sequence:${sequence}\n` +
        `    ${names.get(transfer.payeeAccountId)}    ${transfer.minutes} min\n` +
        `    ${names.get(transfer.payerAccountId)}    -${transfer.minutes} min\n\n`;
      after = sequence;
    }
    if (page.length < CHAIN_PAGE) break;
  }
}
