import { runMatchingBench } from './matching.js';
import { runReportsBench } from './reports.js';
import { runTransfersBench } from './transfers.js';

/*
 * `npm run bench`: every benchmark, each against its own database on the local PostgreSQL
 * (BENCH_DATABASE_URL or DATABASE_URL to point elsewhere). `npm run bench -- transfers` runs one.
 */
const benches: Record<string, () => Promise<unknown>> = {
  transfers: runTransfersBench,
  matching: runMatchingBench,
  reports: runReportsBench,
};

const chosen = process.argv.slice(2).filter((name) => name in benches);
for (const name of chosen.length > 0 ? chosen : Object.keys(benches)) {
  console.log(`\n== ${name}`);
  await benches[name]!();
}
