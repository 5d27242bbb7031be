import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import { freePort, startReadyService, type ReadyService } from '../helpers/process.js';

/*
 * The README's five-minute walkthrough, run as written against a fresh service, so that the
 * README cannot drift from the API.
 *
 * The rule: every ```sh block after the heading "## A five-minute walkthrough", up to the next
 * "## " heading, in order. The one block whose only command is `[VAR=value ...] npm start` is not
 * run: the test starts the service itself, on a fresh database and a free port, with that
 * block's variables. The others are concatenated and run by one bash process with
 * `set -euo pipefail`, after a curl wrapper that fails on any HTTP error, with the README's line
 * `API=http://127.0.0.1:3000` pointed at the test's service.
 */

const HEADING = '## A five-minute walkthrough';
const README_API = 'API=http://127.0.0.1:3000';
const START = /^((?:[A-Z_]+=\S+\s+)*)npm start$/;

type Block = { language: string; code: string };

/** The text under `heading`, up to the next level-2 heading. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`README.md has no heading "${heading}"`);
  const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** Fenced code blocks, in order. */
function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({ language: match[1]!, code: match[2]! }));
}

/** The lines of a shell block that are commands: neither blank nor comments. */
const commands = (code: string) => code.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));

/** The walkthrough: the service's environment, the script to run, and the JSON examples shown. */
function walkthrough(readme: string) {
  const text = section(readme, HEADING);
  const shell = blocks(text).filter((block) => block.language === 'sh');
  const starts = shell.filter((block) => commands(block.code).length === 1 && START.test(commands(block.code)[0]!.trim()));
  if (starts.length !== 1) throw new Error(`the walkthrough should have one block that only runs npm start, not ${starts.length}`);
  const assignments = START.exec(commands(starts[0]!.code)[0]!.trim())![1]!.trim();
  const environment = Object.fromEntries(
    assignments
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]),
  );
  const steps = shell.filter((block) => block !== starts[0]).map((block) => block.code);
  const script = steps.join('\n');
  const apiLines = script.split('\n').filter((line) => line.trim() === README_API);
  if (apiLines.length !== 1) throw new Error(`the walkthrough should set "${README_API}" once, not ${apiLines.length} times`);
  return { environment, steps, script, examples: blocks(text).filter((block) => block.language === 'json').map((block) => block.code) };
}

/** Runs a bash script; resolves with its exit code and output. */
function runBash(script: string, environment: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The first match of `pattern`'s group in `text`, or a failure naming what was looked for. */
function first(text: string, pattern: RegExp, what: string): string {
  const match = pattern.exec(text);
  if (!match) throw new Error(`no ${what} in:\n${text.slice(0, 2000)}`);
  return match[1]!;
}

const readme = readFileSync('README.md', 'utf8');
const walk = walkthrough(readme);
const workDir = mkdtempSync(path.join(tmpdir(), 'timebank-readme-'));
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let service: ReadyService | undefined;
let baseUrl: string;

beforeAll(async () => {
  database = await createTestDatabase();
  baseUrl = `http://127.0.0.1:${await freePort()}`;
  service = await startReadyService(
    {
      ...walk.environment,
      DATABASE_URL: database.url,
      JWT_SECRET: randomBytes(48).toString('base64url'),
      HOST: '127.0.0.1',
      PORT: new URL(baseUrl).port,
      LOG_LEVEL: 'warn',
      CHECK_RESPONSES: 'true',
    },
    baseUrl,
    path.join(workDir, 'service.log'),
  );
}, 90_000);

afterAll(async () => {
  if (service) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await database?.drop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('the README walkthrough', () => {
  it('is found where the rule says', () => {
    expect(walk.environment).toMatchObject({ ADMIN_EMAIL: expect.any(String), ADMIN_PASSWORD: expect.any(String) });
    expect(walk.steps.length).toBeGreaterThanOrEqual(3);
    // curl and node only: nothing a reader may not have.
    expect(walk.script).not.toMatch(/\bjq\b/);
  });

  it('runs as written, and answers what the README says it answers', async () => {
    const script = [
      'set -euo pipefail',
      'shopt -s inherit_errexit',
      // Names the command that failed.
      'trap \'echo "the walkthrough stopped at: $BASH_COMMAND" >&2\' ERR',
      // A 4xx or 5xx anywhere fails the walkthrough, with the problem body on the output.
      'curl() { command curl --fail-with-body --show-error --max-time 30 "$@"; }',
      walk.script.replace(README_API, `API=${baseUrl}`),
    ].join('\n');
    const nodeDir = path.dirname(process.execPath);
    const { code, stdout, stderr } = await runBash(script, { PATH: `${nodeDir}:${process.env.PATH ?? ''}`, HOME: workDir });
    expect(code, `the walkthrough failed:\n${stderr}\n${stdout.slice(-2000)}`).toBe(0);
    expect(stderr).toBe('');

    // 4. Who the token is: Mo, a member, with an account.
    expect(stdout).toMatch(/"role":"member"/);
    expect(stdout).toMatch(/"accountId":"[0-9a-f-]{36}"/);
    // 7. Mo's balance, -150 minutes, and his statement as CSV ending there.
    expect(stdout).toMatch(/"balanceMinutes":-150[,}]/);
    expect(stdout).toMatch(/balanceAfterMinutes/);
    expect(stdout).toMatch(/^(?=.*,-150,).*Lift to the clinic/m);
    // 8. The ledger checks out.
    expect(stdout).toMatch(/"ok":true/);
    // 9. Cora's offer, with the score and components the README shows.
    const shown = walk.examples.find((example) => example.includes('"components"'));
    expect(shown, 'the README shows a match with its components').toBeDefined();
    const componentsPattern = /"components":\s*(\{[^}]*\})/;
    expect(JSON.parse(first(stdout, componentsPattern, 'match components'))).toEqual(JSON.parse(first(shown!, componentsPattern, 'components in the README')));
    const scorePattern = /"score":([0-9.]+)/;
    expect(Number(first(stdout, scorePattern, 'match score'))).toBe(Number(first(shown!, scorePattern, 'score in the README')));
    // 10. The two-way exchange as a cycle of two legs.
    expect(stdout).toMatch(/"members":\["[0-9a-f-]{36}","[0-9a-f-]{36}"\]/);
    expect(stdout.match(/"giverMemberId"/g)).toHaveLength(2);
    // 13-14. Mo's payment to Ana crosses the link, and both ledgers agree on it.
    expect(stdout).toMatch(/"link":\{"linkId":"[0-9a-f-]{36}","peerTimebankId":"[0-9a-f-]{36}","remoteAccountId":"[0-9a-f-]{36}"\},"remoteTransferId":"[0-9a-f-]{36}"/);
    expect(stdout).toMatch(/"localBalanceMinutes":30,"peerBalanceMinutes":-30,"agree":true/);
  }, 120_000);

  it('shows the problem a wrong password gets', async () => {
    const shown = walk.examples.find((example) => example.includes('"code":"invalid_grant"'));
    expect(shown, 'the README shows the problem for a wrong password').toBeDefined();
    const response = await fetch(`${baseUrl}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', username: walk.environment.ADMIN_EMAIL, password: 'not-the-password' }),
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.json()) as Record<string, unknown>;
    for (const field of ['type', 'title', 'detail', 'code', 'error']) {
      expect(body[field], field).toBe(first(shown!, new RegExp(`"${field}":"([^"]*)"`), field));
    }
    expect(body.status).toBe(Number(first(shown!, /"status":(\d+)/, 'status')));
    expect(response.status).toBe(body.status);
  });
});
