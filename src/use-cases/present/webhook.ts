import type { WebhookRow } from '../../db/queries/webhooks.js';
import type { DeliveryRow } from '../../db/queries/webhooks.js';
import { isEventType, type EventType } from '../../domain/events.js';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export type Webhook = ReturnType<typeof presentWebhook>;

/** An endpoint as the API shows it: never its secret. */
export function presentWebhook(row: Pick<WebhookRow, 'id' | 'timebankId' | 'url' | 'eventTypes' | 'description' | 'status' | 'createdByType' | 'createdById' | 'deliveredThrough' | 'failingSince' | 'disabledAt' | 'createdAt' | 'updatedAt'>) {
  return {
    id: row.id,
    timebankId: row.timebankId,
    url: row.url,
    eventTypes: row.eventTypes.filter(isEventType),
    description: row.description,
    status: row.status,
    createdBy: { type: row.createdByType, id: row.createdById },
    deliveredThrough: row.deliveredThrough,
    failingSince: iso(row.failingSince),
    disabledAt: iso(row.disabledAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function presentDelivery(row: DeliveryRow) {
  return {
    sequence: row.sequence,
    eventId: row.eventId,
    eventType: row.eventType as EventType,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    lastAttemptAt: row.lastAttemptAt.toISOString(),
    nextAttemptAt: iso(row.nextAttemptAt),
    deliveredAt: iso(row.deliveredAt),
  };
}
