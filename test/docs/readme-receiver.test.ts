import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../helpers/process.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * The README's webhook receiver ("For partner apps"), run as written: it must verify a real
 * delivery and refuse a forged one.
 */

const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(readme.indexOf('## For partner apps'), readme.indexOf('## Guarantees'));
const code = /^```js\n([\s\S]*?)^```$/m.exec(section)![1]!;
// Inside node_modules, so that its import of standardwebhooks resolves to this checkout's.
const dir = path.resolve('node_modules/.cache/readme-receiver');
let service: TestService | undefined;
let child: ReturnType<typeof spawn> | undefined;
afterAll(async () => {
  child?.kill();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('verifies a signed delivery, and refuses one that is not', async () => {
  expect(code.split('\n').filter((line) => line.trim() !== '').length).toBeLessThanOrEqual(15);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'receiver.mjs'), code);
  service = await startTestService({ config: { sealIntervalMs: 20, webhookAllowHosts: ['127.0.0.1'] } });
  const seed = await seedTimebank(service);
  const port = await freePort();
  const created = await service.send<{ id: string; secret: string }>('POST', `${seed.base}/webhooks`, { url: `http://127.0.0.1:${port}/`, eventTypes: ['transfer.created'] }, seed.coordinatorToken);
  child = spawn(process.execPath, [path.join(dir, 'receiver.mjs')], { env: { ...process.env, PORT: String(port), WEBHOOK_SECRET: created.secret }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  for (let tries = 0; ; tries += 1) {
    const forged = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}', headers: { 'webhook-id': 'x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' } }).catch(() => undefined);
    if (forged) {
      expect(forged.status).toBe(401);
      break;
    }
    if (tries > 100) throw new Error('the receiver did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const transfer = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 20 }, seed.coordinatorToken)).json();
  const deadline = Date.now() + 10_000;
  while (!output.includes(transfer.id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(output).toMatch(new RegExp(`^\\d+ transfer\\.created ${transfer.id}$`, 'm'));
});
