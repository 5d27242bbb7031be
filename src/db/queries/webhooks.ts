import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Event, EventType, NewEvent } from '../../domain/events.js';
import { column } from '../arrays.js';
import type { Db } from '../client.js';
import { rows } from '../rows.js';
import { webhookDeliveries, webhooks } from '../schema.js';
import { appendEvents, eventOf } from './events.js';

/*
 * Webhooks' storage (docs/webhooks.md): the endpoints, each one's place in the feed, the lease a
 * delivery worker holds on it, and the delivery log.
 */

export type WebhookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

export async function insertWebhook(db: Db, row: typeof webhooks.$inferInsert): Promise<WebhookRow> {
  const [inserted] = await db.insert(webhooks).values(row).returning();
  return inserted!;
}

export async function findWebhook(db: Db, timebankId: string, webhookId: string): Promise<WebhookRow | undefined> {
  const [row] = await db.select().from(webhooks).where(and(eq(webhooks.timebankId, timebankId), eq(webhooks.id, webhookId)));
  return row;
}

/** The timebank's endpoints in creation order (ids are time-ordered), or one client's. */
export async function listWebhooks(db: Db, timebankId: string, createdBy?: { type: 'client'; id: string }): Promise<WebhookRow[]> {
  return db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.timebankId, timebankId), createdBy ? eq(webhooks.createdById, createdBy.id) : undefined))
    .orderBy(webhooks.id)
    .limit(1000);
}

export async function updateWebhookRow(db: Db, timebankId: string, webhookId: string, change: Partial<typeof webhooks.$inferInsert>): Promise<WebhookRow | undefined> {
  const [row] = await db.update(webhooks).set(change).where(and(eq(webhooks.timebankId, timebankId), eq(webhooks.id, webhookId))).returning();
  return row;
}

export async function deleteWebhookRow(db: Db, timebankId: string, webhookId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.delete(webhookDeliveries).where(and(eq(webhookDeliveries.timebankId, timebankId), eq(webhookDeliveries.webhookId, webhookId)));
    const removed = await tx.delete(webhooks).where(and(eq(webhooks.timebankId, timebankId), eq(webhooks.id, webhookId))).returning({ id: webhooks.id });
    return removed.length > 0;
  });
}

/** The delivery log of an endpoint, newest event first, a page before a sequence. */
export async function listDeliveries(db: Db, timebankId: string, webhookId: string, page: { limit: number; before?: number | undefined }): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.timebankId, timebankId),
        eq(webhookDeliveries.webhookId, webhookId),
        page.before === undefined ? undefined : lt(webhookDeliveries.sequence, page.before),
      ),
    )
    .orderBy(desc(webhookDeliveries.sequence))
    .limit(page.limit);
}

/**
 * Takes up to `limit` active endpoints that have an event to send and are due, for `leaseMs`:
 * committed at once, so that other workers leave them alone until the lease ends (a worker
 * that dies leaves its endpoints to the others, or to itself after a restart, then).
 */
export async function claimDueWebhooks(db: Db, now: Date, leaseMs: number, leaseId: string, limit: number): Promise<WebhookRow[]> {
  const at = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const claimed = await rows(
    db,
    sql`UPDATE webhooks w SET lease_until = ${until}::timestamptz, lease_id = ${leaseId}
         WHERE (w.timebank_id, w.id) IN (
           SELECT d.timebank_id, d.id FROM webhooks d
            WHERE d.status = 'active' AND d.next_attempt_at <= ${at}::timestamptz
              AND (d.lease_until IS NULL OR d.lease_until < ${at}::timestamptz)
              AND EXISTS (SELECT 1 FROM events e WHERE e.timebank_id = d.timebank_id AND e.sequence > d.delivered_through AND e.type = ANY(d.event_types))
            ORDER BY d.next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING w.timebank_id, w.id`,
  );
  const found: WebhookRow[] = [];
  for (const row of claimed) {
    const webhook = await findWebhook(db, String(row.timebank_id), String(row.id));
    if (webhook) found.push(webhook);
  }
  return found;
}

/** The next events after `after` of the given types, in order, and the feed's head as the same snapshot saw it. */
export async function nextEventsFor(db: Db, timebankId: string, after: number, types: EventType[], limit: number): Promise<{ events: Event[]; head: number }> {
  const found = await rows(
    db,
    sql`SELECT (SELECT last_sequence FROM event_heads WHERE timebank_id = ${timebankId}) AS head, e.*
          FROM (SELECT 1) AS one LEFT JOIN LATERAL (
            SELECT id, type, sequence, occurred_at, data FROM events
             WHERE timebank_id = ${timebankId} AND sequence > ${after} AND type = ANY(${column(types, 'text', (type) => type)})
             ORDER BY sequence LIMIT ${limit}) e ON true`,
  );
  const head = Number(found[0]?.head ?? 0);
  const events = found.flatMap((row) => eventOf(row, timebankId) ?? []);
  return { events, head };
}

export type AttemptRecord = { event: Event; statusCode: number | null; error: string | null; at: Date; delivered: boolean; nextAttemptAt: Date | null };

/** Adds an attempt to the event's delivery log entry: the INSERT, for a statement to run. */
function logAttempt(webhook: WebhookRow, attempt: AttemptRecord) {
  return sql`INSERT INTO webhook_deliveries (timebank_id, webhook_id, sequence, event_id, event_type, attempts, last_status_code, last_error, last_attempt_at, next_attempt_at, delivered_at)
        VALUES (${webhook.timebankId}, ${webhook.id}, ${attempt.event.sequence}, ${attempt.event.id}, ${attempt.event.type}, 1, ${attempt.statusCode}, ${attempt.error},
                ${attempt.at.toISOString()}::timestamptz, ${attempt.nextAttemptAt?.toISOString() ?? null}::timestamptz, ${attempt.delivered ? attempt.at.toISOString() : null}::timestamptz)
        ON CONFLICT (timebank_id, webhook_id, sequence) DO UPDATE SET attempts = webhook_deliveries.attempts + 1,
          last_status_code = EXCLUDED.last_status_code, last_error = EXCLUDED.last_error, last_attempt_at = EXCLUDED.last_attempt_at,
          next_attempt_at = EXCLUDED.next_attempt_at, delivered_at = EXCLUDED.delivered_at`;
}

/**
 * Events the endpoint answered 2xx, in order: logged, and the endpoint moves past the last (its
 * lease renewed), in one statement. False when the lease was lost (it ran out and another
 * worker took the endpoint).
 */
export async function recordDelivered(db: Db, webhook: WebhookRow, leaseId: string, delivered: AttemptRecord[], leaseUntil: Date): Promise<boolean> {
  const last = delivered.at(-1);
  if (!last) return true;
  const held = await rows(
    db,
    sql`WITH logged AS (
          INSERT INTO webhook_deliveries (timebank_id, webhook_id, sequence, event_id, event_type, attempts, last_status_code, last_error, last_attempt_at, next_attempt_at, delivered_at)
          SELECT ${webhook.timebankId}::uuid, ${webhook.id}::uuid, v.sequence, v.event_id, v.event_type, 1, v.status_code, NULL, v.at, NULL, v.at
            FROM unnest(${column(delivered, 'bigint', (each) => each.event.sequence)}, ${column(delivered, 'uuid', (each) => each.event.id)},
                        ${column(delivered, 'text', (each) => each.event.type)}, ${column(delivered, 'int', (each) => each.statusCode)},
                        ${column(delivered, 'timestamptz', (each) => each.at.toISOString())}) AS v(sequence, event_id, event_type, status_code, at)
          ON CONFLICT (timebank_id, webhook_id, sequence) DO UPDATE SET attempts = webhook_deliveries.attempts + 1,
            last_status_code = EXCLUDED.last_status_code, last_error = NULL, last_attempt_at = EXCLUDED.last_attempt_at,
            next_attempt_at = NULL, delivered_at = EXCLUDED.delivered_at
          RETURNING 1)
        UPDATE webhooks SET delivered_through = GREATEST(delivered_through, ${last.event.sequence}), failing_since = NULL, lease_until = ${leaseUntil.toISOString()}::timestamptz
         WHERE timebank_id = ${webhook.timebankId} AND id = ${webhook.id} AND lease_id = ${leaseId} AND EXISTS (SELECT 1 FROM logged)
        RETURNING 1`,
  );
  return held.length > 0;
}

/**
 * A failure: logged with when it is tried again, and the endpoint waits until then. `retryAt`
 * is given the attempts so far; `disable` (an endpoint failing for days) ends its deliveries,
 * with the event that says so.
 */
export async function recordFailed(
  db: Db,
  webhook: WebhookRow,
  leaseId: string,
  attempt: Omit<AttemptRecord, 'nextAttemptAt' | 'delivered'>,
  retryAt: (attempts: number) => Date,
  disable: (failingSince: Date) => NewEvent | undefined,
): Promise<void> {
  await db.transaction(async (tx) => {
    const [current] = await rows(tx, sql`SELECT attempts FROM webhook_deliveries WHERE timebank_id = ${webhook.timebankId} AND webhook_id = ${webhook.id} AND sequence = ${attempt.event.sequence}`);
    const next = retryAt(Number(current?.attempts ?? 0) + 1);
    await tx.execute(logAttempt(webhook, { ...attempt, delivered: false, nextAttemptAt: next }));
    const failingSince = webhook.failingSince ?? attempt.at;
    const disabled = disable(failingSince);
    const held = await rows(
      tx,
      sql`UPDATE webhooks SET next_attempt_at = ${next.toISOString()}::timestamptz, failing_since = ${failingSince.toISOString()}::timestamptz,
             lease_until = NULL, lease_id = NULL
             ${disabled ? sql`, status = 'disabled', disabled_at = ${attempt.at.toISOString()}::timestamptz, updated_at = ${attempt.at.toISOString()}::timestamptz` : sql``}
           WHERE timebank_id = ${webhook.timebankId} AND id = ${webhook.id} AND lease_id = ${leaseId} RETURNING 1`,
    );
    // A worker whose lease ran out disables nothing: the endpoint is another's now.
    if (disabled && held.length > 0) await appendEvents(tx, webhook.timebankId, [disabled]);
  });
}

/** Nothing more to send now: the endpoint is let go, past the events it does not receive. */
export async function releaseWebhook(db: Db, webhook: WebhookRow, leaseId: string, skipThrough: number | undefined): Promise<void> {
  await db.execute(
    sql`UPDATE webhooks SET lease_until = NULL, lease_id = NULL
           ${skipThrough === undefined ? sql`` : sql`, delivered_through = GREATEST(delivered_through, ${skipThrough})`}
         WHERE timebank_id = ${webhook.timebankId} AND id = ${webhook.id} AND lease_id = ${leaseId}`,
  );
}
