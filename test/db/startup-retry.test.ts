import { describe, expect, it } from 'vitest';
import { retryConnectionLoss } from '../../src/db/retry.js';

/* Startup steps outlive a lost connection (PostgreSQL restarting, a backend terminated), and nothing else. */

const terminated = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

describe('retryConnectionLoss', () => {
  it('runs the step again while the connection is lost, and answers what it finally returns', async () => {
    let calls = 0;
    const answer = await retryConnectionLoss(async () => {
      calls += 1;
      if (calls < 3) throw new Error('Failed query', { cause: terminated() });
      return 'migrated';
    });
    expect([answer, calls]).toEqual(['migrated', 3]);
  });

  it('throws any other failure at once, and a lasting loss after its attempts', async () => {
    let calls = 0;
    const refused = Object.assign(new Error('permission denied'), { code: '42501' });
    await expect(retryConnectionLoss(async () => { calls += 1; throw refused; })).rejects.toBe(refused);
    expect(calls).toBe(1);
    calls = 0;
    await expect(retryConnectionLoss(async () => { calls += 1; throw terminated(); }, 2)).rejects.toMatchObject({ code: '57P01' });
    expect(calls).toBe(2);
  });
});
