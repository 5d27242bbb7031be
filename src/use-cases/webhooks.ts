import { randomBytes } from 'node:crypto';
import { changedFields } from '../domain/audit.js';
import type { Acting } from '../domain/audit.js';
import { notFound, Rejection } from '../domain/errors.js';
import { eventTypes as eventScopes, type EventType } from '../domain/events.js';
import { isCoordinatorOf, requireScope, requireTimebankAccess, type Principal } from '../domain/principal.js';
import { checkWebhookUrl } from '../domain/webhooks.js';
import type { Db } from '../db/client.js';
import { feedHead } from '../db/queries/events.js';
import { findTimebank } from '../db/queries/timebanks.js';
import {
  deleteWebhookRow,
  findWebhook,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  updateWebhookRow,
  type WebhookRow,
} from '../db/queries/webhooks.js';
import { appendAudit } from './audit.js';
import { newId } from './ids.js';
import { presentDelivery, presentWebhook, type Webhook } from './present/webhook.js';
import type { DeliverySettings } from './webhook-delivery.js';
import { openSecret, pingEvent, sendSigned } from './webhook-delivery.js';

/*
 * Subscribing endpoints to a timebank's events (docs/webhooks.md): coordinators, and partner
 * clients with webhooks:write for the events their scopes read. A client sees and manages only
 * the endpoints it subscribed.
 */

export type WebhookInput = { url: string; eventTypes: EventType[]; description?: string | undefined };
export type WebhookChange = Partial<WebhookInput> & { status?: 'active' | 'disabled' | undefined };
type Settings = Pick<DeliverySettings, 'allowedHosts' | 'secrets'>;

function requireWebhookAccess(principal: Principal, timebankId: string): void {
  requireTimebankAccess(principal, timebankId);
  if (principal.type === 'client') return requireScope(principal, 'webhooks:write');
  if (!isCoordinatorOf(principal, timebankId)) throw new Rejection('forbidden', 'Only a coordinator of this timebank, or a partner client with webhooks:write, may manage webhooks.');
}

/** A client subscribes only to what it may read: the first type its scopes do not cover is refused. */
function checkTypes(principal: Principal, types: EventType[]): void {
  if (principal.type !== 'client') return;
  for (const type of types) {
    const scope = eventScopes[type];
    if (scope === false) throw new Rejection('forbidden', `Partner clients do not receive ${type} events: they are for coordinators only.`);
    if (scope !== null) requireScope(principal, scope);
  }
}

async function ownWebhook(db: Db, principal: Principal, timebankId: string, webhookId: string): Promise<WebhookRow> {
  requireWebhookAccess(principal, timebankId);
  const row = await findWebhook(db, timebankId, webhookId);
  // Another client's endpoint is as invisible as another tenant's.
  if (!row || (principal.type === 'client' && row.createdById !== principal.id)) throw notFound('Webhook');
  return row;
}

/** whsec_ and 32 random bytes in base64, the form the Standard Webhooks libraries read. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export async function createWebhook(db: Db, acting: Acting, timebankId: string, input: WebhookInput, settings: Settings, now: Date): Promise<Webhook & { secret: string }> {
  const { principal } = acting;
  requireWebhookAccess(principal, timebankId);
  checkTypes(principal, input.eventTypes);
  const url = checkWebhookUrl(input.url, settings.allowedHosts).toString();
  if (!(await findTimebank(db, timebankId))) throw notFound('Timebank');
  const secret = newSecret();
  const row = await db.transaction(async (tx) => {
    const inserted = await insertWebhook(tx, {
      timebankId,
      id: newId(),
      url,
      eventTypes: [...new Set(input.eventTypes)],
      description: input.description?.trim() ?? null,
      secretSealed: settings.secrets.seal(secret),
      status: 'active',
      createdByType: principal.type,
      createdById: principal.id,
      // From now on: an endpoint receives the events that come after it was made.
      deliveredThrough: await feedHead(tx, timebankId),
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await appendAudit(tx, acting, { timebankId, action: 'webhook.created', target: { type: 'webhook', id: inserted.id }, changes: changedFields({}, { url, eventTypes: inserted.eventTypes }) }, now);
    return inserted;
  });
  return { ...presentWebhook(row), secret };
}

export async function getWebhook(db: Db, principal: Principal, timebankId: string, webhookId: string): Promise<Webhook> {
  return presentWebhook(await ownWebhook(db, principal, timebankId, webhookId));
}

export async function listTimebankWebhooks(db: Db, principal: Principal, timebankId: string): Promise<{ items: Webhook[] }> {
  requireWebhookAccess(principal, timebankId);
  const rows = await listWebhooks(db, timebankId, principal.type === 'client' ? { type: 'client', id: principal.id } : undefined);
  return { items: rows.map(presentWebhook) };
}

/** Changes an endpoint; `status: active` brings a disabled one back, trying its next event at once. */
export async function updateWebhook(db: Db, acting: Acting, timebankId: string, webhookId: string, change: WebhookChange, settings: Settings, now: Date): Promise<Webhook> {
  const before = await ownWebhook(db, acting.principal, timebankId, webhookId);
  if (change.eventTypes) checkTypes(acting.principal, change.eventTypes);
  const url = change.url === undefined ? undefined : checkWebhookUrl(change.url, settings.allowedHosts).toString();
  const reactivated = change.status === 'active' && before.status === 'disabled';
  const fields = {
    ...(url === undefined ? {} : { url }),
    ...(change.eventTypes ? { eventTypes: [...new Set(change.eventTypes)] } : {}),
    ...(change.description === undefined ? {} : { description: change.description.trim() }),
    ...(change.status === undefined ? {} : { status: change.status }),
  };
  const row = await db.transaction(async (tx) => {
    const updated = await updateWebhookRow(tx, timebankId, webhookId, {
      ...fields,
      ...(reactivated ? { failingSince: null, disabledAt: null, nextAttemptAt: now } : {}),
      ...(change.status === 'disabled' && before.status === 'active' ? { disabledAt: now } : {}),
      updatedAt: now,
    });
    if (!updated) throw notFound('Webhook');
    const changes = changedFields(before, fields);
    if (Object.keys(changes).length > 0) await appendAudit(tx, acting, { timebankId, action: 'webhook.updated', target: { type: 'webhook', id: webhookId }, changes }, now);
    return updated;
  });
  return presentWebhook(row);
}

export async function deleteWebhook(db: Db, acting: Acting, timebankId: string, webhookId: string, now: Date): Promise<void> {
  const before = await ownWebhook(db, acting.principal, timebankId, webhookId);
  await deleteWebhookRow(db, timebankId, webhookId);
  await appendAudit(db, acting, { timebankId, action: 'webhook.deleted', target: { type: 'webhook', id: webhookId }, changes: { url: [before.url, null] } }, now);
}

export async function webhookDeliveries(db: Db, principal: Principal, timebankId: string, webhookId: string, page: { limit: number; before?: number | undefined }) {
  await ownWebhook(db, principal, timebankId, webhookId);
  const rows = await listDeliveries(db, timebankId, webhookId, page);
  return { items: rows.map(presentDelivery) };
}

/** Sends a signed `webhook.test` event at once, outside the feed, and says how the endpoint answered. */
export async function pingWebhook(db: Db, principal: Principal, timebankId: string, webhookId: string, settings: Settings, now: Date) {
  const row = await ownWebhook(db, principal, timebankId, webhookId);
  const event = pingEvent(row, now);
  const secret = openSecret(settings, row);
  if (secret === undefined) return { eventId: event.id, delivered: false, statusCode: null, error: 'its secret cannot be read (was JWT_SECRET changed?): recreate the webhook', durationMs: 0 };
  const outcome = await sendSigned(row.url, secret, event.id, JSON.stringify(event), now, settings.allowedHosts);
  return { eventId: event.id, delivered: outcome.ok, statusCode: outcome.statusCode, error: outcome.error, durationMs: outcome.durationMs };
}
