import { EventEmitter } from 'node:events';
import type { Db } from '../db/client.js';
import { claimEventHead, numberEvents, readEvents, timebanksToSequence } from '../db/queries/events.js';
import { eventAsSeenBy, eventVisibility, type Event, type EventType, type NewEvent } from '../domain/events.js';
import { newId } from './ids.js';
import { requireScope, requireTimebankAccess, type Principal } from '../domain/principal.js';
import { principalNow, type TokenClaims } from '../domain/tokens.js';
import { readCallerState } from '../db/queries/callers.js';

/*
 * Events are queued by the writes that cause them and numbered after commit, the way the chain
 * is sealed (sealer.ts): every API process runs a sequencer, one per timebank holds its head at
 * a time, and whatever committed before a crash is numbered when any process starts again.
 * Numbering in one transaction that holds the head makes the feed gap-free: a reader never
 * sees sequence n+1 before n.
 */

export const SEQUENCE_BATCH = 1_000;

/** An event to queue with the change it describes: `data` is the resource as the API returns it. */
export function newEvent(type: EventType, audience: string[], data: unknown, occurredAt: Date): NewEvent {
  return { id: newId(), type, occurredAt, audience, data };
}

/**
 * Wakes the readers waiting in this process when a timebank's feed grows: at once for events
 * this process numbered (notify), and for those another process numbered through one watcher
 * per timebank that has readers, which reads the feed's head every FEED_POLL_MS, however many
 * readers wait (headOf). Without headOf, each reader looks again every FEED_POLL_MS itself.
 */
export class FeedSignal {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly watched = new Map<string, { head: number | undefined; checking: boolean; idle: number; timer: NodeJS.Timeout }>();

  constructor(private readonly headOf?: (timebankId: string) => Promise<number>) {}

  notify(timebankId: string): void {
    this.emitter.emit(timebankId);
  }

  /**
   * Resolves when the feed grows past `knownHead`, after `ms`, or when `abort` fires, whichever
   * comes first.
   */
  wait(timebankId: string, ms: number, knownHead: number, abort?: AbortSignal): Promise<void> {
    const watcher = this.watch(timebankId);
    if (watcher?.head !== undefined && watcher.head > knownHead) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(timebankId, done);
        abort?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.headOf ? ms : Math.min(ms, FEED_POLL_MS));
      this.emitter.on(timebankId, done);
      abort?.addEventListener('abort', done, { once: true });
    });
  }

  private watch(timebankId: string) {
    if (!this.headOf) return undefined;
    let watcher = this.watched.get(timebankId);
    if (!watcher) {
      const timer = setInterval(() => void this.check(timebankId), FEED_POLL_MS);
      timer.unref();
      watcher = { head: undefined, checking: false, idle: 0, timer };
      this.watched.set(timebankId, watcher);
    }
    return watcher;
  }

  private unwatch(timebankId: string): void {
    clearInterval(this.watched.get(timebankId)?.timer);
    this.watched.delete(timebankId);
  }

  private async check(timebankId: string): Promise<void> {
    const watcher = this.watched.get(timebankId);
    if (!watcher || watcher.checking) return;
    // Kept while readers come back to it (between pages nobody waits for a moment), then let go.
    watcher.idle = this.emitter.listenerCount(timebankId) === 0 ? watcher.idle + 1 : 0;
    if (watcher.idle >= 4) return this.unwatch(timebankId);
    watcher.checking = true;
    try {
      const head = await this.headOf!(timebankId);
      if (head !== watcher.head) {
        watcher.head = head;
        this.notify(timebankId);
      }
    } catch {
      // The database is away: the readers' own time-outs bring them back.
    } finally {
      watcher.checking = false;
    }
  }
}

/** Numbers up to `limit` waiting events of one timebank; `busy` if another sequencer holds its head. */
export async function sequenceTimebank(db: Db, timebankId: string, limit = SEQUENCE_BATCH): Promise<{ numbered: number; busy: boolean }> {
  return db.transaction(async (tx) => {
    const head = await claimEventHead(tx, timebankId);
    if (head === undefined) return { numbered: 0, busy: true };
    return { numbered: await numberEvents(tx, timebankId, head, limit), busy: false };
  });
}

/** Numbers every waiting event, timebank by timebank, telling `signal` about each feed that grew. */
export async function sequenceAll(db: Db, signal?: FeedSignal): Promise<{ numbered: number; busy: number }> {
  let numbered = 0;
  let busy = 0;
  for (const timebankId of await timebanksToSequence(db)) {
    for (;;) {
      const outcome = await sequenceTimebank(db, timebankId);
      numbered += outcome.numbered;
      if (outcome.numbered > 0) signal?.notify(timebankId);
      if (outcome.busy) busy += 1;
      if (outcome.busy || outcome.numbered < SEQUENCE_BATCH) break;
    }
  }
  return { numbered, busy };
}

/** Who may read a timebank's feed: anyone of it, and partner clients holding events:read. */
export function requireFeedAccess(principal: Principal, timebankId: string): void {
  requireTimebankAccess(principal, timebankId);
  if (principal.type === 'client') requireScope(principal, 'events:read');
}

export type FeedQuery = { after: number; limit: number; types?: EventType[] | undefined; waitSeconds: number };

/** How often a timebank's feed head is read while readers wait, for events numbered by another process. */
export const FEED_POLL_MS = 500;

/**
 * A page of the events after `after` that the principal may see. With `waitSeconds`, an empty
 * page waits for the first such event (long-poll) and comes back empty at the end of the wait.
 * `lastSequence` is where the next page starts: the last event given, or the feed's head when
 * the page has read everything the principal may see.
 */
export async function readFeed(
  db: Db,
  principal: Principal,
  timebankId: string,
  query: FeedQuery,
  signal: FeedSignal,
  abort?: AbortSignal,
): Promise<{ items: Event[]; lastSequence: number }> {
  requireFeedAccess(principal, timebankId);
  const visibility = eventVisibility(principal, query.types);
  const deadline = Date.now() + query.waitSeconds * 1000;
  let after = query.after;
  for (;;) {
    const page = visibility.types?.length === 0 ? { items: [], head: after } : await readEvents(db, timebankId, { after, limit: query.limit, visibility });
    const last = page.items.at(-1)?.sequence;
    const lastSequence = page.items.length === query.limit && last !== undefined ? last : Math.max(after, page.head, last ?? 0);
    const remaining = deadline - Date.now();
    const items = page.items.flatMap((event) => eventAsSeenBy(event, principal) ?? []);
    if (items.length > 0 || remaining <= 0 || abort?.aborted) return { items, lastSequence };
    // Only events this reader may not see: on from after them.
    after = lastSequence;
    if (page.items.length < query.limit) await signal.wait(timebankId, remaining, page.head, abort);
  }
}

/**
 * Who a stream's token speaks for now, read again as every request does (a stream is one
 * request that can last): undefined once it no longer may, when the member was suspended or
 * logged out everywhere, the client revoked, or the token version bumped.
 */
export async function streamReaderNow(db: Db, claims: TokenClaims): Promise<Principal | undefined> {
  const principal = principalNow(claims, await readCallerState(db, claims));
  return principal instanceof Error ? undefined : principal;
}
