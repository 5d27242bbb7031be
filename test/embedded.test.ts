import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postJson, startServiceProcess } from './helpers/process.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'timebank-embedded-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const admin = { ADMIN_EMAIL: 'admin@example.org', ADMIN_PASSWORD: 'embedded-admin-password' };

describe('the service process on the embedded database', () => {
  it('keeps data and its generated JWT secret across a restart, and shuts down gracefully', async () => {
    const first = await startServiceProcess({ DATA_DIR: dataDir, ...admin });
    const login = await postJson(`${first.baseUrl}/v1/auth/token`, {
      grant_type: 'password',
      username: admin.ADMIN_EMAIL,
      password: admin.ADMIN_PASSWORD,
    });
    expect(login.status).toBe(200);
    const token = String(login.body.access_token);
    const created = await postJson(`${first.baseUrl}/v1/timebanks`, { name: 'Persistent bank' }, token);
    expect(created.status).toBe(201);

    // Requests in flight when SIGTERM arrives still get their answers.
    const inFlight = Array.from({ length: 8 }, () =>
      postJson(`${first.baseUrl}/v1/auth/token`, { grant_type: 'password', username: admin.ADMIN_EMAIL, password: admin.ADMIN_PASSWORD }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    first.child.kill('SIGTERM');
    const answers = await Promise.allSettled(inFlight);
    expect(await first.exited, first.output.slice(-8).join('\n')).toBe(0);
    // Every request the server began is answered; the others were refused before they began
    // (503, or a connection refused or reset before a request was read), which clients retry.
    const outcomes = answers.map((answer) =>
      answer.status === 'fulfilled' ? answer.value.status : (answer.reason as { cause?: { code?: string } }).cause?.code,
    );
    expect(outcomes).toContain(200);
    for (const outcome of outcomes) {
      expect([200, 503, 'ECONNREFUSED', 'ECONNRESET']).toContain(outcome);
    }
    const logLines = first.output.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    const begun = logLines.filter((line) => line.msg === 'incoming request').map((line) => line.reqId);
    const finished = new Set(logLines.filter((line) => line.res?.statusCode).map((line) => line.reqId));
    expect(begun.filter((reqId) => !finished.has(reqId))).toEqual([]);
    expect(first.output.join('\n')).not.toContain(admin.ADMIN_PASSWORD);
    expect(statSync(path.join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);

    // No admin variables this time: the admin, the timebank and the secret all persisted.
    const second = await startServiceProcess({ DATA_DIR: dataDir });
    try {
      const read = await fetch(`${second.baseUrl}/v1/timebanks/${String(created.body.id)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ name: 'Persistent bank', commonsAccountId: created.body.commonsAccountId });
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 120_000);

  it('refuses to start on a bad configuration, naming the variable', async () => {
    await expect(startServiceProcess({ DATA_DIR: dataDir, PORT: 'eighty' })).rejects.toThrow(/PORT: must be a whole number/);
    await expect(
      startServiceProcess({ DATABASE_URL: 'postgres://127.0.0.1:1/none' }),
    ).rejects.toThrow(/JWT_SECRET: is required when DATABASE_URL is set/);
  });
});
