import { createParser } from 'eventsource-parser';
import { json, loadSession, refreshAccessToken } from './api.js';

/*
 * Live pages: the timebank's event feed as Server-Sent Events (docs/events.md). Read with fetch,
 * since EventSource cannot send the Authorization header, and parsed by eventsource-parser.
 */

export type FeedEvent = { id: string; type: string; sequence: number; occurredAt: string; data: Record<string, unknown> };
type FeedPage = { items: FeedEvent[]; lastSequence: number };

export const NUDGE_TYPES = ['transfer.confirmation_due', 'member.dormant', 'listing.expiring', 'account.near_floor'];

/** The events of some types the user may see, the newest `count`, newest first. */
export async function latestEvents(token: string, timebankId: string, types: string[] | null, count: number): Promise<{ items: FeedEvent[]; head: number }> {
  const kept: FeedEvent[] = [];
  let after = 0;
  for (;;) {
    const query = `after=${after}&limit=1000${types ? `&types=${types.join(',')}` : ''}`;
    const page = await json<FeedPage>(token, `/v1/timebanks/${timebankId}/events?${query}`);
    kept.push(...page.items);
    kept.splice(0, Math.max(0, kept.length - count));
    after = page.lastSequence;
    if (page.items.length < 1000) return { items: kept.reverse(), head: after };
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `onEvent` for each event after `after`, as it happens, until the returned function is
 * called. A dropped stream is opened again after the last event seen; an expired token is
 * refreshed, and an ended session stops it.
 */
export function followEvents(timebankId: string, after: number, onEvent: (event: FeedEvent) => void): () => void {
  const controller = new AbortController();
  let last = after;
  const parser = createParser({
    onEvent: (message) => {
      const event = JSON.parse(message.data) as FeedEvent;
      last = event.sequence;
      onEvent(event);
    },
  });
  void (async () => {
    let token = loadSession()?.token ?? null;
    while (!controller.signal.aborted && token) {
      try {
        const response = await fetch(`/v1/timebanks/${timebankId}/events?after=${last}`, {
          headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
          signal: controller.signal,
        });
        if (response.status === 401) {
          token = await refreshAccessToken();
          continue;
        }
        if (response.ok && response.body) {
          parser.reset();
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) parser.feed(chunk.value);
        }
      } catch {
        // Dropped (or stopped): opened again below, unless stopped.
      }
      if (!controller.signal.aborted) await pause(2000);
      token = loadSession()?.token ?? null;
    }
  })();
  return () => controller.abort();
}
