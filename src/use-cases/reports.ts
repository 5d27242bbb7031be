import { createHmac } from 'node:crypto';
import { balanceIndex } from '../domain/matching.js';
import { computeFederation } from '../domain/federation-report.js';
import { computeMutuality, ratio } from '../domain/mutuality.js';
import { computeNeedsMet } from '../domain/needs-met.js';
import { crossFlows, linkFacts } from '../db/queries/federation-reports.js';
import { categoryNames, idleOffers, requestFacts, stalledAfterDaysOf } from '../db/queries/needs.js';
import type { Db } from '../db/client.js';
import { decodePinnedCursor, encodePinnedCursor, invalidCursor } from '../db/pagination.js';
import { invalidField } from '../domain/errors.js';
import { inOneSnapshot } from '../db/snapshot.js';
import { activityRows, categoryListings, everyMemberRows, exchangePage, memberRows, membersWithAccounts } from '../db/queries/report-rows.js';
import { scanForReport } from '../db/queries/report-scan.js';
import { chainHeadSequence, ledgerTotals } from '../db/queries/ledger-totals.js';

/*
 * Reports assemble SQL aggregates and the pure mutuality figures. All windows are UTC and
 * half-open, [from, to).
 */

export type ReportWindow = { from: Date; to: Date };

/**
 * Each graph search works at most 2 s (time spent serving other requests between its 20 ms
 * slices does not count); reaching it is reported, never a hang.
 */
const GRAPH_LIMITS = { phaseMilliseconds: 2_000, sliceMilliseconds: 20 };

export async function mutualityReport(
  db: Db,
  timebankId: string,
  options: ReportWindow & { population: 'active' | 'all'; maxCycleLength: number; dormantDays: number; now: Date; throughSequence?: number | undefined },
) {
  // Every read sees the same state of the ledger, so that the figures agree with each other
  // (and ledgerCheck compares them) even while transfers are being written.
  const [[everyone, listings, ledger], scan, needs, federation] = await inOneSnapshot(db, (read) =>
    Promise.all([
      read(async (tx) => [await membersWithAccounts(tx, timebankId, options.to), await categoryListings(tx, timebankId, options.now), await ledgerTotals(tx, timebankId, options.throughSequence)] as const),
      scanForReport(read, timebankId, options.from, options.to, options.throughSequence),
      read((tx) => needsFacts(tx, timebankId, options)),
      // Small reads through the clearing accounts' indexes: one connection for both.
      read(async (tx) => computeFederation(await linkFacts(tx, timebankId, options.to, options.throughSequence), await crossFlows(tx, timebankId, options.from, options.to, options.throughSequence))),
    ]),
  );
  const memberOf = new Map(everyone.map((member) => [member.accountId, member.id]));
  // Accounts map to members one to one: the graph's nodes become members, its edges stay.
  const graph = { ...scan.graph, nodes: scan.graph.accounts.map((account) => memberOf.get(account) ?? account) };
  const members = everyone.filter((member) => member.registered).map(({ accountId, registered: _registered, ...member }) => ({
    ...member,
    firstExchangeInWindowAt: scan.spans.get(accountId)?.firstInWindow ?? null,
    lastExchangeAt: scan.spans.get(accountId)?.last ?? null,
  }));
  const durations = [...scan.durations.entries()];
  const exchanges = {
    count: durations.reduce((sum, [, count]) => sum + count, 0),
    // From the pairs: ledgerCheck compares it with the exchanges' minutes counted by kind.
    minutes: scan.graph.minutes.reduce((sum, minutes) => sum + minutes, 0),
    medianMinutes: medianOfCounts(durations),
  };
  const figures = await computeMutuality({ ...options, members, graph, exchanges, limits: { ...GRAPH_LIMITS, now: Date.now } });
  const uncategorised = scan.categories.get(null);
  const byCategory = [
    ...listings.map((category) => ({ ...category, ...(scan.categories.get(category.categoryId) ?? { exchanges: 0, minutes: 0 }) })),
    ...(uncategorised ? [{ categoryId: null, name: 'Uncategorised', openOffers: 0, openRequests: 0, ...uncategorised }] : []),
  ].map(({ categoryId, name, exchanges: count, minutes, openOffers, openRequests }) => ({ categoryId, name, exchanges: count, minutes, openOffers, openRequests }));
  const window = {
    postedMinutes: Object.values(scan.minutesByKind).reduce((sum, minutes) => sum + minutes, 0),
    exchangeMinutes: scan.minutesByKind.exchange,
    commonsMinutes: scan.minutesByKind.commons,
    reversalMinutes: scan.minutesByKind.reversal,
    reversedMinutes: scan.minutesByKind.reversed,
    crossTimebankMinutes: scan.minutesByKind.crossTimebank,
  };
  return {
    ...figures,
    byCategory,
    needsMet: computeNeedsMet({ ...needs, now: options.now }),
    federation,
    ledgerCheck: {
      ...ledger,
      window,
      balancesSumToZero: ledger.sumOfBalancesMinutes === 0,
      debitsEqualCredits: ledger.totalDebitMinutes === ledger.totalCreditMinutes,
      // Two reads of one snapshot agree: the exchanges' minutes in the figures (summed over the
      // pairs) are the window's posted minutes less commons transfers, reversals, reversed
      // transfers and cross-timebank legs (counted by kind); and those legs are the federation
      // figures' minutes, both ways.
      windowAddsUp:
        window.exchangeMinutes === figures.minutes &&
        window.crossTimebankMinutes === federation.minutesOut + federation.minutesIn &&
        window.postedMinutes === window.exchangeMinutes + window.commonsMinutes + window.reversalMinutes + window.reversedMinutes + window.crossTimebankMinutes,
    },
  };
}

/** What needsMet is computed from: the window's requests and idle offers, as the report's snapshot has them. */
async function needsFacts(tx: Db, timebankId: string, options: ReportWindow & { throughSequence?: number | undefined }) {
  // One transaction runs its statements one at a time: awaited in turn.
  const requests = await requestFacts(tx, timebankId, options.from, options.to);
  const idle = await idleOffers(tx, timebankId, options.from, options.to, options.throughSequence);
  return { requests, idleOffers: idle, categoryNames: await categoryNames(tx, timebankId), stalledAfterDays: await stalledAfterDaysOf(tx, timebankId) };
}

/** The median of values given as (value, how many times) pairs. */
function medianOfCounts(pairs: Array<[number, number]>): number | null {
  const sorted = [...pairs].sort(([left], [right]) => left - right);
  const total = sorted.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const at = (position: number) => {
    let seen = 0;
    for (const [value, count] of sorted) {
      seen += count;
      if (position < seen) return value;
    }
    return sorted.at(-1)![0];
  };
  return total % 2 === 1 ? at((total - 1) / 2) : (at(total / 2 - 1) + at(total / 2)) / 2;
}

const DAY = 86_400_000;

export async function membersReport(db: Db, timebankId: string, window: ReportWindow, page: { limit: number; start: LedgerPin }) {
  const { afterId, throughSequence } = page.start;
  const found = await memberRows(db, timebankId, window.from, window.to, { limit: page.limit, afterId, throughSequence });
  const items = found.slice(0, page.limit).map((row) => memberRow(row, window));
  return { items, throughSequence, nextCursor: found.length > page.limit ? encodePinnedCursor(throughSequence, items.at(-1)!.memberId) : null };
}

/** Every member's row, in the order of the pages, through one ledger sequence: for the CSV. */
export async function everyMemberReport(db: Db, timebankId: string, window: ReportWindow, throughSequence: number) {
  return (await everyMemberRows(db, timebankId, window.from, window.to, throughSequence)).map((row) => memberRow(row, window));
}

function memberRow(row: Record<string, unknown>, window: ReportWindow) {
  const given = Number(row.given);
  const received = Number(row.received);
  const last = row.last_at ? new Date(row.last_at as string) : null;
  return {
    memberId: String(row.id),
    displayName: String(row.display_name),
    givenMinutes: given,
    receivedMinutes: received,
    balanceMinutes: Number(row.balance),
    balanceIndex: balanceIndex(given, received),
    peopleHelped: Number(row.helped),
    helpers: Number(row.helpers),
    exchanges: Number(row.exchanges),
    firstExchangeAt: row.first_at ? new Date(row.first_at as string).toISOString() : null,
    lastExchangeAt: last ? last.toISOString() : null,
    daysSinceLastExchange: last ? Math.floor((window.to.getTime() - last.getTime()) / DAY) : null,
  };
}

export async function activityReport(db: Db, timebankId: string, interval: 'week' | 'month', window: ReportWindow, throughSequence: number) {
  const found = await activityRows(db, timebankId, interval, window.from, window.to, throughSequence);
  return {
    interval,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    throughSequence,
    items: found.map((row) => ({
      periodStart: String(row.start),
      exchanges: Number(row.exchanges),
      minutes: Number(row.minutes),
      activeMembers: Number(row.active),
      newMembers: Number(row.joined),
      twoWayShare: ratio(Number(row.two_way), Number(row.active)),
    })),
  };
}

/**
 * A keyed hash of the member id, the timebank and the window: the same on every page of an
 * export (and every export of the same window), different for another window, and not
 * reversible without the server's key.
 */
function pseudonymiser(key: Buffer | undefined, timebankId: string, window: ReportWindow): (memberId: string) => string {
  if (!key) return (memberId) => memberId;
  const scope = `${timebankId}|${window.from.toISOString()}|${window.to.toISOString()}|`;
  return (memberId) => `m_${createHmac('sha256', key).update(scope + memberId).digest('hex').slice(0, 16)}`;
}

export type ExchangeRecord = {
  transferId: string;
  giverMemberId: string;
  receiverMemberId: string;
  minutes: number;
  postedAt: string;
  categoryId: string | null;
  brokered: boolean;
};

/** Where a listing starts (after this id), and the ledger sequence all its pages are read through. */
export type LedgerPin = { afterId: string | undefined; throughSequence: number };

/**
 * The ledger sequence a report or export is read through: the one asked for, the one its
 * cursor carries, or else the chain head now. Reads filtered by it see the ledger (transfers,
 * reversals, balances) as it stood at that sequence, so the pages of one listing agree with
 * each other, and with a mutuality report that read the ledger there over the same window,
 * however the ledger moves meanwhile. Members (who is registered, their names) are not part of
 * the ledger and are read as they are now. Checked before anything is sent, so that a CSV
 * stream never starts for a request that is refused.
 */
export async function ledgerPin(db: Db, timebankId: string, asked: { cursor: string | undefined; throughSequence: number | undefined }): Promise<LedgerPin> {
  const pinned = decodePinnedCursor(asked.cursor);
  if (asked.throughSequence !== undefined && pinned.throughSequence !== undefined && asked.throughSequence !== pinned.throughSequence) {
    throw invalidField('query', 'throughSequence', `differs from the cursor's (${pinned.throughSequence})`);
  }
  const head = await chainHeadSequence(db, timebankId);
  const throughSequence = asked.throughSequence ?? pinned.throughSequence ?? head;
  if (throughSequence > head) {
    // A cursor of this API never carries a sequence the ledger has not reached.
    if (asked.throughSequence === undefined) throw invalidCursor();
    throw invalidField('query', 'throughSequence', `is after the ledger's last sealed transfer (${head})`);
  }
  return { afterId: pinned.afterId, throughSequence };
}

/**
 * The exchanges behind the reports, page by page (the CSV export reads every page), all
 * through one ledger sequence (ledgerPin). Transfers posted and reversals made while a client
 * pages through change none of its pages, and a report's chainHead.sequence gives back exactly
 * the exchanges that report counted.
 */
export async function* exchangeRecords(
  db: Db,
  timebankId: string,
  window: ReportWindow,
  options: { pseudonymKey: Buffer | undefined; pageSize: number; start: LedgerPin; pages?: number },
) {
  const alias = pseudonymiser(options.pseudonymKey, timebankId, window);
  const { throughSequence } = options.start;
  let afterId = options.start.afterId;
  for (let page = 0; page < (options.pages ?? Number.POSITIVE_INFINITY); page += 1) {
    const found = await exchangePage(db, timebankId, window.from, window.to, { limit: options.pageSize, afterId, throughSequence });
    const records: ExchangeRecord[] = found.slice(0, options.pageSize).map((row) => ({
      transferId: String(row.id),
      giverMemberId: alias(String(row.giver)),
      receiverMemberId: alias(String(row.receiver)),
      minutes: Number(row.minutes),
      postedAt: new Date(row.posted_at as string).toISOString(),
      categoryId: (row.category_id as string | null) ?? null,
      brokered: Boolean(row.brokered),
    }));
    const more = found.length > options.pageSize;
    afterId = records.at(-1)?.transferId;
    yield { records, nextCursor: more && afterId ? encodePinnedCursor(throughSequence, afterId) : null };
    if (!more) return;
  }
}
