import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { eq, or } from 'drizzle-orm';
import { loadConfig, loadDotEnvFile } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { timebanks } from '../src/db/schema.js';
import { Rejection } from '../src/domain/errors.js';
import { importFormats, MAX_IMPORT_BYTES, type ImportFormat, type ImportProblem } from '../src/domain/imports.js';
import { SYSTEM_PRINCIPAL_ID } from '../src/domain/principal.js';
import { sequenceAll } from '../src/use-cases/events.js';
import { runImport, type ImportResult } from '../src/use-cases/imports.js';
import { sealAll } from '../src/use-cases/sealer.js';

/*
 * `npm run import -- --timebank <slug or id> --format timeoverflow|generic --members users.csv
 * --transfers transfers.csv [--dry-run]`: the import of POST .../imports (docs/import.md), run
 * from the command line on the database `npm start` uses (DATABASE_URL, or the embedded one in
 * DATA_DIR: stop the service first, the embedded database has one owner at a time). It acts as
 * the service itself, which the audit log shows. Exits 0 when everything was (or would be)
 * imported, 1 when a row has a problem (each printed as file:line column: message), 2 on a usage error.
 */

const usage = `usage: npm run import -- --timebank <slug or id> --format <${importFormats.join('|')}> [--members <file>] [--transfers <file>] [--dry-run]`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function readCsvFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    fail(`Cannot read ${path}: no such file.`);
  }
  if (size > MAX_IMPORT_BYTES) fail(`${path} is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB, the most one import takes: split it.`);
  return readFileSync(path, 'utf8');
}

function printProblems(problems: ImportProblem[], truncated: boolean, files: Record<'members' | 'transfers', string | undefined>) {
  for (const problem of problems) {
    console.error(`${files[problem.file] ?? problem.file}:${problem.line}${problem.field ? ` ${problem.field}` : ''}: ${problem.message}`);
  }
  if (truncated) console.error('... and more: correct these and run it again to see the rest.');
}

function printSummary(result: ImportResult) {
  const verb = result.alreadyImported ? 'were imported before (nothing changed)' : result.dryRun ? 'would be imported' : 'were imported';
  console.log(`${result.members} members and ${result.transfers} transfers (${result.minutes} minutes) ${verb}${result.id ? `: import ${result.id}` : ''}.`);
  if (result.firstPostedAt) console.log(`History from ${result.firstPostedAt} to ${result.lastPostedAt}.`);
  for (const account of result.accounts) {
    const name = account.kind === 'commons' ? 'commons' : `${account.externalId} ${account.displayName}`;
    console.log(`  ${name}: ${account.transfers} transfers, balance ${account.balanceMinutes} minutes${account.newMember ? ' (new member)' : ''}`);
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      timebank: { type: 'string' },
      format: { type: 'string' },
      members: { type: 'string' },
      transfers: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) fail(usage, 0);
  if (!values.timebank) fail(`--timebank is required.\n${usage}`);
  if (!importFormats.includes(values.format as ImportFormat)) fail(`--format must be one of ${importFormats.join(', ')}.\n${usage}`);
  if (values.members === undefined && values.transfers === undefined) fail(`Give --members, --transfers or both.\n${usage}`);
  const files = { members: values.members, transfers: values.transfers };
  const input = { format: values.format as ImportFormat, members: readCsvFile(values.members), transfers: readCsvFile(values.transfers), dryRun: values['dry-run'] };

  loadDotEnvFile();
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  let exitCode = 0;
  try {
    await database.migrate();
    const key = values.timebank;
    const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(key);
    const [timebank] = await database.db
      .select({ id: timebanks.id, name: timebanks.name })
      .from(timebanks)
      .where(isId ? or(eq(timebanks.id, key), eq(timebanks.slug, key)) : eq(timebanks.slug, key));
    if (!timebank) fail(`No timebank has the slug or id ${JSON.stringify(key)}.`);
    console.log(`${input.dryRun ? 'Dry run: checking' : 'Importing'} into "${timebank.name}" (${timebank.id}).`);
    const acting = { principal: { type: 'admin' as const, id: SYSTEM_PRINCIPAL_ID }, requestId: `cli-import-${Date.now()}` };
    try {
      const { body } = await runImport(database.db, timebank.id, input, acting, new Date());
      if (body.problems.length > 0) {
        printProblems(body.problems, body.problemsTruncated, files);
        console.error(`${body.problems.length}${body.problemsTruncated ? '+' : ''} problems: nothing would be imported as it is.`);
        exitCode = 1;
      } else {
        printSummary(body);
        // Sealed and numbered now, as the service would within a second of the commit.
        if (!body.dryRun) {
          await sealAll(database.db);
          await sequenceAll(database.db);
        }
      }
    } catch (error) {
      if (!(error instanceof Rejection) || error.code !== 'import_invalid') throw error;
      const { problems, problemsTruncated } = error.extensions as { problems: ImportProblem[]; problemsTruncated: boolean };
      printProblems(problems, problemsTruncated, files);
      console.error(error.detail);
      exitCode = 1;
    }
  } finally {
    await database.close();
  }
  process.exit(exitCode);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
