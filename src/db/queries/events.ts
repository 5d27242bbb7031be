import { sql, type SQL } from 'drizzle-orm';
import type { Event, EventType, EventVisibility, NewEvent } from '../../domain/events.js';
import { column } from '../arrays.js';
import type { Db } from '../client.js';
import { rows } from '../rows.js';

/*
 * The feed's storage (docs/events.md): events queued by the writes that cause them, numbered by
 * one sequencer per timebank at a time, read in sequence order.
 */

/** The INSERT that queues events, in their order: a part of a ledger write's one statement, or a statement of its own. */
export function insertEvents(timebankId: string, queued: NewEvent[]): SQL {
  return sql`INSERT INTO events (timebank_id, id, type, occurred_at, audience, data)
    SELECT ${timebankId}::uuid, v.id, v.type, v.occurred_at, string_to_array(v.audience, ',')::uuid[], v.data
      FROM unnest(${column(queued, 'uuid', (event) => event.id)}, ${column(queued, 'text', (event) => event.type)},
        ${column(queued, 'timestamptz', (event) => event.occurredAt.toISOString())}, ${column(queued, 'text', (event) => event.audience.join(','))},
        ${column(queued, 'jsonb', (event) => JSON.stringify(event.data))}) WITH ORDINALITY AS v(id, type, occurred_at, audience, data, n)
     ORDER BY v.n`;
}

/** Queues events in the transaction of the change they describe (members, listings, maintenance). */
export async function appendEvents(db: Db, timebankId: string, queued: NewEvent[]): Promise<void> {
  if (queued.length > 0) await db.execute(insertEvents(timebankId, queued));
}

/** The timebanks with events waiting for their number. */
export async function timebanksToSequence(db: Db): Promise<string[]> {
  return (await rows(db, sql`SELECT DISTINCT timebank_id FROM events WHERE sequence IS NULL`)).map((row) => String(row.timebank_id));
}

/**
 * The feed's head, locked for this transaction (made at the first event), or undefined when
 * another sequencer holds it: one per timebank at a time, across processes, none waiting.
 */
export async function claimEventHead(db: Db, timebankId: string): Promise<number | undefined> {
  await db.execute(sql`INSERT INTO event_heads (timebank_id, last_sequence) VALUES (${timebankId}, 0) ON CONFLICT DO NOTHING`);
  const [row] = await rows(db, sql`SELECT last_sequence FROM event_heads WHERE timebank_id = ${timebankId} FOR UPDATE SKIP LOCKED`);
  return row ? Number(row.last_sequence) : undefined;
}

/**
 * Numbers the committed events waiting in the queue after `head`, in queue order, and moves the
 * head: a statement of its own after the head is claimed, so its snapshot holds every event
 * whose transaction committed before it. Returns how many it numbered.
 */
export async function numberEvents(db: Db, timebankId: string, head: number, limit: number): Promise<number> {
  const [row] = await rows(
    db,
    sql`WITH waiting AS (
          SELECT id, ${head}::bigint + row_number() OVER (ORDER BY queue_order) AS sequence
            FROM events WHERE timebank_id = ${timebankId} AND sequence IS NULL
           ORDER BY queue_order LIMIT ${limit}),
        numbered AS (
          UPDATE events e SET sequence = w.sequence FROM waiting w
           WHERE e.timebank_id = ${timebankId} AND e.id = w.id RETURNING e.sequence)
        SELECT count(*) AS numbered, max(sequence) AS last FROM numbered`,
  );
  const numbered = Number(row?.numbered ?? 0);
  if (numbered > 0) {
    await db.execute(sql`UPDATE event_heads SET last_sequence = ${Number(row!.last)} WHERE timebank_id = ${timebankId}`);
  }
  return numbered;
}

/** The feed's head of a timebank: the last sequence given (0 before the first). */
export async function feedHead(db: Db, timebankId: string): Promise<number> {
  const [row] = await rows(db, sql`SELECT last_sequence FROM event_heads WHERE timebank_id = ${timebankId}`);
  return row ? Number(row.last_sequence) : 0;
}

/** How many events wait for their number, and since when: for readiness and the bench. */
export async function unsequencedSummary(db: Db, timebankId: string, now: Date) {
  const [row] = await rows(
    db,
    sql`SELECT count(*) AS waiting, min(occurred_at) AS oldest FROM events WHERE timebank_id = ${timebankId} AND sequence IS NULL`,
  );
  const oldest = row?.oldest ? new Date(row.oldest as string | Date) : undefined;
  return { unsequencedCount: Number(row?.waiting ?? 0), oldestUnsequencedSeconds: oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0 };
}

/** A row of `events` (id, type, sequence, occurred_at, data) as the feed gives it; undefined for an empty outer-join row. */
export function eventOf(row: Record<string, unknown>, timebankId: string): Event | undefined {
  if (row.id === null || row.id === undefined) return undefined;
  return {
    id: String(row.id),
    type: row.type as EventType,
    timebankId,
    sequence: Number(row.sequence),
    occurredAt: new Date(row.occurred_at as string | Date).toISOString(),
    data: row.data as Record<string, unknown>,
  };
}

/**
 * A page of the feed after a sequence, in sequence order, with what the reader may see, and
 * the feed's head as the same snapshot saw it: a page shorter than asked for has read
 * everything up to that head, so the next page can start there.
 */
export async function readEvents(
  db: Db,
  timebankId: string,
  page: { after: number; limit: number; visibility: EventVisibility },
): Promise<{ items: Event[]; head: number }> {
  const { audience, types } = page.visibility;
  const found = await rows(
    db,
    sql`SELECT e.id, e.type, e.sequence, e.occurred_at, e.data,
               (SELECT last_sequence FROM event_heads WHERE timebank_id = ${timebankId}) AS head
          FROM (SELECT 1) AS one
          LEFT JOIN LATERAL (
            SELECT id, type, sequence, occurred_at, data FROM events
             WHERE timebank_id = ${timebankId} AND sequence > ${page.after}
               ${audience === undefined ? sql`` : sql`AND ${audience}::uuid = ANY(audience)`}
               ${types === undefined ? sql`` : sql`AND type = ANY(${column(types, 'text', (type) => type)})`}
             ORDER BY sequence LIMIT ${page.limit}) e ON true`,
  );
  const head = Number(found[0]?.head ?? 0);
  const items = found.flatMap((row) => eventOf(row, timebankId) ?? []);
  return { items, head };
}
