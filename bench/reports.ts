import { sql } from 'drizzle-orm';
import { checkpointLedgers } from '../src/use-cases/maintenance.js';
import { createTimebank } from '../src/use-cases/timebanks.js';
import { benchApp, benchDatabase, ratioSummary, summary, timeAgainst, writeResults } from './support.js';

/*
 * The mutuality report at scale: 1,000,000 exchanges among 10,000 members over a year. The
 * baseline, measured in the same run, is one plain `SELECT count(*), sum(minutes)` over the same
 * transfers. The data is generated in SQL (posted transfers with their two entries, balances
 * and versions to match): the benchmark measures reading it, and the write path would take
 * many minutes to produce a million transfers.
 */

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 10_000);
const EXCHANGES = Number(process.env.BENCH_EXCHANGES ?? 1_000_000);

export async function runReportsBench() {
  const { database, finish } = await benchDatabase();
  const db = database.db;
  try {
    const now = new Date();
    const yearAgo = new Date(now.getTime() - 365 * 86_400_000);
    const timebank = await createTimebank(db, { name: 'Report bench', settings: { defaultMinBalanceMinutes: -1_000_000_000, defaultMaxBalanceMinutes: 1_000_000_000 } }, yearAgo);
    const tb = timebank.id;
    console.log(`generating ${MEMBERS} members and ${EXCHANGES} exchanges in SQL ...`);
    const started = Date.now();
    await db.execute(sql`
      INSERT INTO members (timebank_id, id, display_name, email, kind, role, status, created_at, updated_at)
      SELECT ${tb}, gen_random_uuid(), 'Member ' || n, 'member' || n || '@bench.example', 'person', 'member', 'active',
             ${yearAgo.toISOString()}::timestamptz + (n % 200) * interval '1 day', now()
        FROM generate_series(1, ${MEMBERS}) n`);
    await db.execute(sql`
      INSERT INTO accounts (timebank_id, id, member_id, kind, min_balance_minutes, max_balance_minutes, created_at)
      SELECT timebank_id, gen_random_uuid(), id, 'member', -1000000000, 1000000000, created_at FROM members WHERE timebank_id = ${tb}`);
    // Skewed activity: a core trades often, and each member trades with a few dozen others at
    // most, so that pairs repeat as in real communities (the report works on the pairs). A
    // member's partners lie at multiples of 97 places ahead of it, or (one exchange in four)
    // behind it: help flows both ways within pairs and around short loops, so that the graph
    // figures (reciprocity, cycles, indirect reciprocity) count something.
    await db.execute(sql`
      CREATE TEMP TABLE bench_accounts AS
      SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM accounts WHERE timebank_id = ${tb} AND kind = 'member'`);
    await db.execute(sql`
      INSERT INTO transfers (timebank_id, id, payer_account_id, payee_account_id, minutes, status, created_by_type, created_by_id,
                             brokered, override_limits, created_at, posted_at)
      SELECT ${tb}, gen_random_uuid(), p.id, g.id, 15 * (1 + (s % 8)), 'posted', 'admin', '00000000-0000-0000-0000-000000000000',
             s % 5 = 0, false, t, t
        FROM (SELECT s, ${yearAgo.toISOString()}::timestamptz + (s::float8 / ${EXCHANGES}) * interval '364 days' AS t,
                     floor(power(random(), 2) * ${MEMBERS})::int AS payer, (CASE WHEN random() < 0.25 THEN -1 ELSE 1 END) * (1 + floor(power(random(), 3) * 40)::int) AS offset
                FROM generate_series(1, ${EXCHANGES}) s) x
        JOIN bench_accounts p ON p.n = x.payer
        JOIN bench_accounts g ON g.n = (x.payer + x.offset * 97 + 97 * ${MEMBERS}) % ${MEMBERS}`);
    // The entries' limit trigger checks each row; limits here are wide, so load without it.
    await db.execute(sql`ALTER TABLE entries DISABLE TRIGGER entries_within_limits`);
    await db.execute(sql`
      INSERT INTO entries (timebank_id, account_id, account_version, transfer_id, minutes, balance_after_minutes, posted_at)
      SELECT ${tb}, account_id, row_number() OVER w, transfer_id, minutes, sum(minutes) OVER w, posted_at
        FROM (SELECT payer_account_id AS account_id, id AS transfer_id, -minutes AS minutes, posted_at FROM transfers WHERE timebank_id = ${tb}
              UNION ALL
              SELECT payee_account_id, id, minutes, posted_at FROM transfers WHERE timebank_id = ${tb}) e
      WINDOW w AS (PARTITION BY account_id ORDER BY posted_at, transfer_id)`);
    await db.execute(sql`ALTER TABLE entries ENABLE TRIGGER entries_within_limits`);
    await db.execute(sql`
      UPDATE accounts a SET balance_minutes = e.balance, version = e.versions
        FROM (SELECT account_id, sum(minutes) AS balance, count(*) AS versions FROM entries WHERE timebank_id = ${tb} GROUP BY account_id) e
       WHERE a.timebank_id = ${tb} AND a.id = e.account_id`);
    // Sealed in posting order, and the chain head at the last: reads through a ledger sequence
    // (exports, members, activity) see the transfers up to it. The hashes stand in for the
    // chain's (no report reads them).
    await db.execute(sql`
      INSERT INTO transfer_seals (timebank_id, sequence, transfer_id, hash, sealed_at)
      SELECT ${tb}, row_number() OVER (ORDER BY posted_at, id), id, md5(id::text) || md5(posted_at::text), posted_at
        FROM transfers WHERE timebank_id = ${tb}`);
    await db.execute(sql`
      UPDATE ledger_heads h SET last_sequence = s.sequence, last_hash = s.hash, last_posted_at = s.sealed_at
        FROM (SELECT sequence, hash, sealed_at FROM transfer_seals WHERE timebank_id = ${tb} ORDER BY sequence DESC LIMIT 1) s
       WHERE h.timebank_id = ${tb}`);
    await db.execute(sql`ANALYZE`);
    console.log(`generated in ${Math.round((Date.now() - started) / 1000)} s`);
    // The service's maintenance checkpoints the ledger's entry totals within a minute of every
    // thousand transfers; reports then read only the entries since. The first checkpoint of a
    // ledger this size sums every entry once.
    const checkpointStarted = Date.now();
    if ((await checkpointLedgers(db, new Date())) !== 1) throw new Error('the generated ledger was not checkpointed');
    console.log(`ledger checkpointed in ${Date.now() - checkpointStarted} ms`);

    const { app, token } = await benchApp(database);
    const window = `from=${encodeURIComponent(yearAgo.toISOString())}&to=${encodeURIComponent(now.toISOString())}`;

    // Each report is timed against the plain scan of the same exchanges, run by run in turn
    // (timeAgainst): on a shared machine, the ratio of each pair moves less than two medians.
    const yearScan = () => db.execute(sql`SELECT count(*), sum(minutes) FROM transfers WHERE timebank_id = ${tb} AND status = 'posted'`);
    const get = async (url: string, accept = 'application/json') => {
      const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, accept } });
      if (response.statusCode !== 200) throw new Error(response.body);
      return response;
    };
    let figures: {
      exchanges?: number;
      cycles?: Record<string, number>;
      indirectReciprocityShare?: { value: number | null };
      cyclesTruncated?: boolean;
      indirectReciprocityTruncated?: boolean;
    } = {};
    const report = await timeAgainst(5, yearScan, async () => {
      figures = (await get(`/v1/timebanks/${tb}/reports/mutuality?${window}`)).json();
    });
    // The generated community has reciprocal pairs and short loops: a report without them did not look.
    if (!figures.cycles || !(Number(figures.cycles['2']) > 0 && Number(figures.cycles['3']) > 0)) throw new Error(`the report found no short cycles: ${JSON.stringify(figures.cycles)}`);
    // A month's report on the same ledger: its cost follows the window, not the history.
    const monthAgo = new Date(now.getTime() - 30 * 86_400_000);
    const monthReport = await timeAgainst(
      5,
      () => db.execute(sql`SELECT count(*), sum(minutes) FROM transfers WHERE timebank_id = ${tb} AND status = 'posted' AND posted_at >= ${monthAgo.toISOString()}::timestamptz`),
      () => get(`/v1/timebanks/${tb}/reports/mutuality?from=${encodeURIComponent(monthAgo.toISOString())}&to=${encodeURIComponent(now.toISOString())}`),
    );
    // The members report: a page of 100, and every member as CSV (pages of 500).
    const membersUrl = `/v1/timebanks/${tb}/reports/members?${window}`;
    const membersPage = await timeAgainst(5, yearScan, async () => {
      const response = await get(`${membersUrl}&limit=100`);
      if (!response.json<{ items: Array<{ exchanges: number }> }>().items.some((row) => row.exchanges > 0)) throw new Error('a page of the members report without exchanges');
    });
    const membersCsv = await timeAgainst(3, yearScan, () => get(membersUrl, 'text/csv'), 0);
    let weeks: { items: Array<{ exchanges: number }> } = { items: [] };
    const activityWeeks = await timeAgainst(5, yearScan, async () => {
      weeks = (await get(`/v1/timebanks/${tb}/reports/activity?interval=week&${window}`)).json();
    });
    // The reports read the same exchanges (a timed report that read nothing would be fast).
    const weeklyExchanges = weeks.items.reduce((sum, week) => sum + week.exchanges, 0);
    if (weeklyExchanges !== figures.exchanges) throw new Error(`the activity report counts ${weeklyExchanges} exchanges, the mutuality report ${String(figures.exchanges)}`);
    await app.close();

    const timed = (run: { baseline: number[]; action: number[]; ratios: number[] }) => ({ baselineCountSumScan: summary(run.baseline), report: summary(run.action), timesBaseline: ratioSummary(run.ratios) });
    const results = {
      scale: { members: MEMBERS, exchanges: EXCHANGES, reportedExchanges: figures.exchanges },
      // The graph figures, to show they were computed over the whole graph (or that a budget stopped them).
      graph: { cycles: figures.cycles, indirectReciprocityShare: figures.indirectReciprocityShare?.value ?? null },
      mutualityReport: { ...timed(report), cyclesTruncated: figures.cyclesTruncated ?? false, indirectReciprocityTruncated: figures.indirectReciprocityTruncated ?? false },
      lastMonth: timed(monthReport),
      membersReport: { pageOf100: timed(membersPage), csvOfEveryMember: timed(membersCsv) },
      activityReportByWeek: timed(activityWeeks),
    };
    const row = (run: ReturnType<typeof timed>) => ({
      baseline_ms: run.baselineCountSumScan.medianMs,
      report_ms: run.report.medianMs,
      x_baseline: run.timesBaseline.median,
      x_range: `${run.timesBaseline.min} to ${run.timesBaseline.max}`,
    });
    console.table({
      'GET .../reports/mutuality (a year)': row(results.mutualityReport),
      'GET .../reports/mutuality (last 30 days; baseline: their scan)': row(results.lastMonth),
      'GET .../reports/members, a page of 100': row(results.membersReport.pageOf100),
      'GET .../reports/members, every member as CSV': row(results.membersReport.csvOfEveryMember),
      'GET .../reports/activity?interval=week': row(results.activityReportByWeek),
    });
    console.log(`cycles ${JSON.stringify(results.graph.cycles)}, truncated: ${results.mutualityReport.cyclesTruncated}; indirect reciprocity ${results.graph.indirectReciprocityShare}, truncated: ${results.mutualityReport.indirectReciprocityTruncated}`);
    console.log(`written to ${writeResults('reports', results)}`);
    return results;
  } finally {
    await finish();
  }
}
