import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postJson, startServiceProcess, type ServiceProcess } from './helpers/process.js';

/*
 * `npm start` on a fresh data directory: the service prints a one-time setup link, the link's
 * page creates the first timebank, and the next start prints no link.
 */

const dataDir = mkdtempSync(path.join(tmpdir(), 'timebank-first-run-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

type LogLine = { msg?: string; url?: string };

async function setupLinks(process: ServiceProcess, settle: boolean): Promise<string[]> {
  const read = () =>
    process.output
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.msg === 'setup link')
      .map((line) => line.url!);
  // The link is logged just after the listen line; a start that logs none is given the same time.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && (settle || read().length === 0)) await new Promise((resolve) => setTimeout(resolve, 100));
  return read();
}

async function stop(process: ServiceProcess) {
  process.child.kill('SIGTERM');
  expect(await process.exited).toBe(0);
}

describe('the first run of the service process', () => {
  it('prints the setup link once, which creates the first timebank, and prints none after that', async () => {
    const first = await startServiceProcess({ DATA_DIR: dataDir });
    let url: URL;
    try {
      const links = await setupLinks(first, false);
      expect(links).toHaveLength(1);
      url = new URL(links[0]!);
      expect(url.pathname).toBe('/app/setup');
      expect(url.origin).toBe(first.baseUrl.replace('127.0.0.1', 'localhost'));
      const token = url.searchParams.get('token')!;
      expect(readFileSync(path.join(dataDir, 'setup-token'), 'utf8').trim()).toBe(token);
      expect(statSync(path.join(dataDir, 'setup-token')).mode & 0o777).toBe(0o600);
    } finally {
      await stop(first);
    }

    // Not used yet: the next start prints the same link.
    const second = await startServiceProcess({ DATA_DIR: dataDir });
    try {
      expect((await setupLinks(second, false)).map((link) => new URL(link).searchParams.get('token'))).toEqual([url.searchParams.get('token')]);
      const body = {
        token: url.searchParams.get('token'),
        timebank: { name: 'Hillside Time Bank' },
        coordinator: { displayName: 'Hana', email: 'hana@hillside.example', password: 'a-long-enough-password' },
      };
      expect((await postJson(`${second.baseUrl}/v1/setup`, body)).status).toBe(201);
      expect((await postJson(`${second.baseUrl}/v1/setup`, body)).status).toBe(410);
      const page = await fetch(`${second.baseUrl}/app/setup?token=whatever`);
      // Served by the web client when built, or the problem saying how to build it.
      expect([200, 503]).toContain(page.status);
    } finally {
      await stop(second);
    }

    const third = await startServiceProcess({ DATA_DIR: dataDir });
    try {
      expect(await setupLinks(third, true)).toEqual([]);
    } finally {
      await stop(third);
    }
  }, 120_000);
});
