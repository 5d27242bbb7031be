import { printCross } from './cross.js';
import type { Load } from './support.js';
import type { Results } from './transfers.js';

/* What `npm run bench -- transfers` prints: every load, every target with its figure, and the checks after the loads. */

export type Target = { value: number; p99Ms?: number; target: string; met: boolean };

/** Every target, its figure and whether the figure meets it. */
export function evaluateTargets(results: Results, firstLoadLabel: string): Record<string, Target> {
  const { ratios, transfers, transfers32x300, baselines } = results;
  // The bare transaction's own mean latency with as many clients: a p99 below it is out of reach.
  const bareMean = (latencyMs: number) => `bare SQL's mean latency ${latencyMs} ms`;
  return {
    'transfers / bare SQL': { value: ratios.transfersOverBareSql, p99Ms: transfers.p99Ms, target: `>= 0.6, p99 <= 50 ms (aim 0.85; ${bareMean(baselines.bareSqlPgbench.latencyMs)})`, met: ratios.transfersOverBareSql >= 0.6 && transfers.p99Ms <= 50 },
    [`transfers (${firstLoadLabel}) / bare SQL (same shape)`]: {
      value: ratios.transfers32x300OverBareSql32x300,
      p99Ms: transfers32x300.p99Ms,
      target: `>= 0.6, p99 <= 50 ms (${bareMean(baselines.bareSqlPgbench32x300.latencyMs)})`,
      met: ratios.transfers32x300OverBareSql32x300 >= 0.6 && transfers32x300.p99Ms <= 50,
    },
    'hot account / uniform': { value: ratios.hotOverUniform, target: '>= 0.3', met: ratios.hotOverUniform >= 0.3 },
    'transfers, one webhook subscribed / none': { value: ratios.webhookOverNone, target: `>= 0.85 (the CPU bound here: ${ratios.webhookBound})`, met: ratios.webhookOverNone >= 0.85 },
    'batch / single (transfers/s)': { value: ratios.batchOverSingle, target: '>= 5', met: ratios.batchOverSingle >= 5 },
    'balance reads / constant route': { value: ratios.readsOverConstantRoute, target: '>= 0.5', met: ratios.readsOverConstantRoute >= 0.5 },
    'peak RSS of the service (MB)': { value: results.peakRssMegabytes, target: '<= 200', met: results.peakRssMegabytes <= 200 },
  };
}

export function printLoads(results: Results, firstLoadLabel: string) {
  const row = (result: Load & { transfersPerSecond?: number }) => ({ 'req/s': result.requestsPerSecond, 'transfers/s': result.transfersPerSecond ?? '', 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms, errors: result.errors, 'non-2xx': result.non2xx });
  const pgbenchRow = (bare: { tps: number; latencyMs: number }) => ({ 'req/s': bare.tps, 'transfers/s': bare.tps, 'p50 ms': `mean ${bare.latencyMs}`, 'p99 ms': '', errors: 0, 'non-2xx': '' });
  const { baselines } = results;
  console.table({
    'POST transfers (uniform)': row(results.transfers),
    'POST transfers (uniform), one webhook subscribed': row(results.transfersWithWebhook),
    [`POST transfers (${firstLoadLabel})`]: row(results.transfers32x300),
    'POST transfers (hot: all to commons)': row(results.hotAccount),
    'POST transfers/batch (100 each, 1 conn.)': row(results.batch),
    'GET accounts/{id}': row(results.balanceReads),
    'baseline: Fastify constant route': row(baselines.constantRoute),
    'reference: Fastify route + one query each': row(baselines.queryRoute),
    'baseline: pgbench bare SQL transaction': pgbenchRow(baselines.bareSqlPgbench),
    [`baseline: pgbench bare SQL (${firstLoadLabel})`]: pgbenchRow(baselines.bareSqlPgbench32x300),
  });
}

export function printTargets(results: Results, targets: Record<string, Target>) {
  const table: Record<string, { figure: number; 'p99 ms': number | string; target: string; met: string }> = {};
  for (const [name, target] of Object.entries(targets)) table[name] = { figure: target.value, 'p99 ms': target.p99Ms ?? '', target: target.target, met: target.met ? 'yes' : 'no' };
  table['balance reads / route + one query'] = { figure: results.ratios.readsOverQueryRoute, 'p99 ms': '', target: '(reference: reads share their queries)', met: '-' };
  table['route + one query / constant route'] = { figure: results.ratios.queryRouteOverConstantRoute, 'p99 ms': '', target: '(reference: the query alone)', met: '-' };
  console.table(table);
  const missed = Object.entries(targets).filter(([, target]) => !target.met).map(([name]) => name);
  console.log(missed.length === 0 ? 'every target met' : `targets missed: ${missed.join('; ')}`);
}

function printSealing({ sealing, twoProcesses }: Results, sealingWaitMs: number) {
  const { unsealedCount, oldestUnsealedSeconds } = twoProcesses;
  const oldest = oldestUnsealedSeconds === undefined ? '(absent)' : (oldestUnsealedSeconds ?? 'none');
  console.log(`ledger/verify ${twoProcesses.ledgerVerifyOk ? 'ok' : 'FAILED'}${unsealedCount === undefined ? '' : `; unsealedCount ${unsealedCount}, oldestUnsealedSeconds ${oldest}`} (${sealing.verifyMs} ms per verify)`);
  const polls = `${sealing.polls} verify call${sealing.polls === 1 ? '' : 's'} of ~${sealing.verifyMs} ms`;
  if (!sealing.reported) {
    console.log('sealing: ledger/verify reports no unsealedCount (transfers sealed at commit)');
  } else if (sealing.caughtUp) {
    const before = sealing.lastSeenUnsealedMs === null ? 'nothing unsealed at the first verify' : `${sealing.unsealedAtFirstPoll} unsealed at the first verify, some still at ${sealing.lastSeenUnsealedMs} ms`;
    console.log(`sealing: caught up by ${sealing.caughtUpByMs} ms after the load stopped (${before}; ${polls})`);
  } else {
    // The sealer promises a seal within about a second of commit.
    const late = typeof oldestUnsealedSeconds === 'number' && oldestUnsealedSeconds > 1 ? '  LATE (sealed within 1 s promised)' : '';
    console.log(`sealing: ${unsealedCount} still unsealed ${sealing.lastSeenUnsealedMs} ms after the load stopped, the oldest posted ${oldest} s before; no later verify began within ${sealingWaitMs / 1000} s (${polls})${late}`);
  }
}

export function printChecks(results: Results, sealingWaitMs: number) {
  const { transfers, twoProcesses } = results;
  const { exactlyOnce: exactly } = twoProcesses;
  console.log(
    `CPU under single transfers: the service ${transfers.cpu.serviceMicrosecondsPerTransfer} µs per transfer; the machine ${transfers.cpu.machineMicrosecondsPerTransfer} µs (service, PostgreSQL and load generator), busy ${Math.round(transfers.cpu.machineBusyShare * 100)}% of its ${results.machine.cpus} cores`,
  );
  console.log(`two processes: ${twoProcesses.transfersPerSecond} transfers/s; acknowledged ${twoProcesses.acknowledged}, stored ${twoProcesses.stored}; ${twoProcesses.racedKeys} keys sent to both at once, ${twoProcesses.racedKeysWithOneTransfer} with one transfer; balances sum ${twoProcesses.balancesSum}`);
  printSealing(results, sealingWaitMs);
  printCross(results.crossTimebank);
  const { lag } = results.transfersWithWebhook;
  console.log(
    `webhook deliveries: ${lag.delivered} delivered, lag from the event to its delivery p50 ${lag.lagP50Ms} ms, p99 ${lag.lagP99Ms} ms; ${lag.caughtUp ? `caught up ${lag.drainMs} ms after the load` : `NOT caught up ${lag.drainMs} ms after the load`}`,
  );
  const { cost } = results.transfersWithWebhook;
  console.log(
    `a delivery alone (${cost.delivered} of ${cost.replayed} replayed, ${cost.deliveriesPerSecond}/s): ${cost.machineMicrosecondsPerDelivery} µs of the machine's CPU, ${cost.serviceMicrosecondsPerDelivery} µs the service's; ` +
      `a transfer under load ${transfers.cpu.machineMicrosecondsPerTransfer} µs, ${cost.eventsPerTransfer} events each: with every event delivered as it is written, a busy machine keeps at most ${results.ratios.webhookBound} of the transfer rate`,
  );
  console.log(`peak RSS of the service so far, after each stage (MB): ${Object.entries(results.peakRssAfter).map(([stage, mb]) => `${stage} ${mb}`).join(', ')}`);
  const exactOk = exactly.acknowledgedFound === exactly.acknowledged && exactly.storedWithExactlyOneKey === exactly.stored;
  console.log(
    `exactly once: ${exactly.acknowledged} transfers acknowledged, all ${exactly.acknowledgedFound === exactly.acknowledged ? 'stored' : 'NOT stored'}; ${exactly.stored} stored, ` +
      `${exactly.storedWithExactlyOneKey === exactly.stored ? 'each the outcome of exactly one key' : 'SOME WITHOUT OR WITH TWO KEYS'} (${exactly.stored - exactly.acknowledged} were in flight when a load stopped)${exactOk ? '' : '  FAILED'}`,
  );
}
