import { describe, expect, it } from 'vitest';
import { FeedSignal } from '../../src/use-cases/events.js';

/*
 * Readers waiting for a timebank's feed share one watcher of its head: however many wait, the
 * head is read once per interval, and each reader wakes when it grows past what that reader read.
 */

describe('the feed signal', () => {
  it('wakes every waiting reader when another process grows the feed, reading the head once per interval for all of them', async () => {
    let head = 5;
    let reads = 0;
    const signal = new FeedSignal(async () => {
      reads += 1;
      return head;
    });
    const started = Date.now();
    const woken: number[] = [];
    const waiting = Array.from({ length: 20 }, () => signal.wait('tb', 10_000, 5).then(() => woken.push(Date.now() - started)));
    // The watcher's first look wakes the readers once (it learns the head); they read again and wait.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const again = Array.from({ length: 20 }, () => signal.wait('tb', 10_000, 5).then(() => woken.push(Date.now() - started)));
    await Promise.all(waiting);
    head = 6;
    await Promise.all(again);
    expect(woken.length).toBe(40);
    expect(Math.max(...woken)).toBeLessThan(3_000);
    // 20 readers, two rounds, about 2 s: a handful of reads of the head, not one per reader.
    expect(reads).toBeLessThan(8);
    // A reader that read before the head it is known to have moved does not wait at all.
    const at = Date.now();
    await signal.wait('tb', 10_000, 5);
    expect(Date.now() - at).toBeLessThan(100);
  });

  it('wakes readers at once when this process numbers events, and after their time-out otherwise', async () => {
    const signal = new FeedSignal(async () => 0);
    const at = Date.now();
    const woken = signal.wait('tb', 10_000, 0);
    signal.notify('tb');
    await woken;
    expect(Date.now() - at).toBeLessThan(100);
    const timedOut = Date.now();
    await signal.wait('other', 300, 0);
    expect(Date.now() - timedOut).toBeGreaterThanOrEqual(290);
  });
});
