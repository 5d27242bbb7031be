import { runFederationBench } from './cross-deployments.js';
import { runMatchingBench } from './matching.js';
import { runReportsBench } from './reports.js';
import { runCrossBench, runTransfersBench } from './transfers.js';

/*
 * `npm run bench`: every benchmark, each against its own database on the local PostgreSQL
 * (BENCH_DATABASE_URL or DATABASE_URL to point elsewhere). `npm run bench -- transfers` runs one.
 * `cross` is the cross-timebank section of `transfers` alone (a shorter run); `npm run bench`
 * leaves it out, since `transfers` measures it already. `federation` is cross-timebank transfers
 * between two deployments (two service processes, two databases), about a minute.
 */
const benches: Record<string, () => Promise<unknown>> = {
  transfers: runTransfersBench,
  matching: runMatchingBench,
  reports: runReportsBench,
  cross: runCrossBench,
  federation: runFederationBench,
};
const partOfAnother = new Set(['cross']);

const chosen = process.argv.slice(2).filter((name) => name in benches);
for (const name of chosen.length > 0 ? chosen : Object.keys(benches).filter((bench) => !partOfAnother.has(bench))) {
  console.log(`\n== ${name}`);
  await benches[name]!();
}
