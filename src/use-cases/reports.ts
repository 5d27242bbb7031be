import { createHash, randomBytes } from 'node:crypto';
import { balanceIndex } from '../domain/matching.js';
import { computeMutuality, ratio } from '../domain/mutuality.js';
import type { Db } from '../db/client.js';
import { encodeCursor, decodeCursor } from '../db/pagination.js';
import {
  activityRows,
  categoryFigures,
  exchangeEdges,
  exchangePage,
  exchangeTotals,
  ledgerFigures,
  memberFacts,
  memberRows,
} from '../db/queries/reports.js';

/*
 * Reports assemble SQL aggregates and the pure mutuality figures. All windows are UTC and
 * half-open, [from, to).
 */

export type ReportWindow = { from: Date; to: Date };

/** Bounds on the graph computations, reported when reached (never a hang). */
const GRAPH_LIMITS = { maxCycles: 1_000_000, milliseconds: 3_000 };

export async function mutualityReport(
  db: Db,
  timebankId: string,
  options: ReportWindow & { population: 'active' | 'all'; maxCycleLength: number; dormantDays: number; now: Date },
) {
  const [edges, totals, members, byCategory, ledger] = await Promise.all([
    exchangeEdges(db, timebankId, options.from, options.to),
    exchangeTotals(db, timebankId, options.from, options.to),
    memberFacts(db, timebankId, options.to),
    categoryFigures(db, timebankId, options.from, options.to, options.now),
    ledgerFigures(db, timebankId, options.from, options.to),
  ]);
  const started = Date.now();
  const figures = computeMutuality({
    ...options,
    members,
    edges,
    exchanges: totals,
    limits: { maxCycles: GRAPH_LIMITS.maxCycles, deadline: started + GRAPH_LIMITS.milliseconds, now: Date.now },
  });
  return {
    ...figures,
    byCategory,
    ledgerCheck: {
      ...ledger,
      balancesSumToZero: ledger.sumOfBalancesMinutes === 0,
      debitsEqualCredits: ledger.totalDebitMinutes === ledger.totalCreditMinutes,
      windowAddsUp:
        ledger.window.postedMinutes ===
        ledger.window.exchangeMinutes + ledger.window.commonsMinutes + ledger.window.reversalMinutes + ledger.window.reversedMinutes,
    },
  };
}

const DAY = 86_400_000;

export async function membersReport(db: Db, timebankId: string, window: ReportWindow, page: { limit: number; cursor: string | undefined }) {
  const found = await memberRows(db, timebankId, window.from, window.to, { limit: page.limit, afterId: decodeCursor(page.cursor) });
  const items = found.slice(0, page.limit).map((row) => {
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
  });
  return { items, nextCursor: found.length > page.limit ? encodeCursor(items.at(-1)!.memberId) : null };
}

export async function activityReport(db: Db, timebankId: string, interval: 'week' | 'month', window: ReportWindow) {
  const found = await activityRows(db, timebankId, interval, window.from, window.to);
  return {
    interval,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
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

/** Stable within one export, unlinkable across exports: a salted hash of the member id. */
function pseudonymiser(enabled: boolean): (memberId: string) => string {
  if (!enabled) return (memberId) => memberId;
  const salt = randomBytes(16);
  return (memberId) => `m_${createHash('sha256').update(salt).update(memberId).digest('hex').slice(0, 16)}`;
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

/** The exchanges behind the reports, page by page (the CSV export reads every page). */
export async function* exchangeRecords(db: Db, timebankId: string, window: ReportWindow, options: { pseudonymise: boolean; pageSize: number; cursor?: string | undefined; pages?: number }) {
  const alias = pseudonymiser(options.pseudonymise);
  let afterId = decodeCursor(options.cursor);
  for (let page = 0; page < (options.pages ?? Number.POSITIVE_INFINITY); page += 1) {
    const found = await exchangePage(db, timebankId, window.from, window.to, { limit: options.pageSize, afterId });
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
    yield { records, nextCursor: more && afterId ? encodeCursor(afterId) : null };
    if (!more) return;
  }
}
