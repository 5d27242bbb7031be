import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Db } from '../db/client.js';
import { findClientScopes } from '../db/queries/clients.js';
import { findMemberRow } from '../db/queries/members.js';
import { claimDueWebhooks, nextEventsFor, recordDelivered, recordFailed, releaseWebhook, updateWebhookRow, type AttemptRecord, type WebhookRow } from '../db/queries/webhooks.js';
import { eventAsSeenBy, eventTypeNames, eventVisibility, isEventType, type Event } from '../domain/events.js';
import type { Principal } from '../domain/principal.js';
import { checkResolved, DELIVERY_TIMEOUT_MS, retryDelayMs, shouldDisable, type AllowedHosts } from '../domain/webhooks.js';
import { newEvent } from './events.js';
import { newId } from './ids.js';
import type { SecretBox } from './secret-box.js';
import { presentWebhook } from './present/webhook.js';

/*
 * The delivery worker (docs/webhooks.md). Every API process runs one. It leases due endpoints
 * (claimDueWebhooks), sends each its events one at a time in sequence order, and records each
 * attempt; an endpoint moves past an event only once it answered 2xx, so a delivery cut short
 * by a crash is sent again when the lease runs out: at least once, in order.
 */

export type DeliverySettings = {
  allowedHosts: AllowedHosts;
  secrets: SecretBox;
  /** Seconds after each failed attempt (RETRY_SCHEDULE_SECONDS unless configured). */
  retrySchedule?: readonly number[] | undefined;
  clock: () => Date;
  /** How long a worker holds an endpoint: longer than one delivery may take. */
  leaseMs?: number;
  /** At most this many events per endpoint per lease, so that others get their turn. */
  eventsPerLease?: number;
};

export type SendOutcome = { statusCode: number | null; error: string | null; ok: boolean; durationMs: number };

/**
 * The webhook-signature header's value, as the Standard Webhooks specification defines it: the
 * HMAC-SHA256 of `id.timestamp.body` under the secret (base64 after whsec_), in base64, after
 * "v1,". Computed with node:crypto rather than the specification's library, whose pure
 * JavaScript hash took a sixth of a delivery's CPU; the tests verify with that library.
 */
export function webhookSignature(secret: string, messageId: string, at: Date, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const timestamp = Math.floor(at.getTime() / 1000);
  return `v1,${createHmac('sha256', key).update(`${messageId}.${timestamp}.`).update(body).digest('base64')}`;
}

/** Posts one payload, signed as the Standard Webhooks specification says; never follows a redirect. */
export async function sendSigned(url: string, secret: string, messageId: string, body: string, at: Date, allowedHosts: AllowedHosts): Promise<SendOutcome> {
  const started = Date.now();
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) {
    const refused = checkResolved(host, [host], allowedHosts);
    if (refused) return { statusCode: null, error: refused, ok: false, durationMs: 0 };
  }
  const signature = webhookSignature(secret, messageId, at, body);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'timebank-webhooks/1',
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (statusCode: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ statusCode, error, ok: statusCode !== null && statusCode >= 200 && statusCode < 300, durationMs: Date.now() - started });
    };
    const request = (target.protocol === 'https:' ? https : http).request(target, { method: 'POST', headers, lookup: checkedLookup(allowedHosts) }, (response) => {
      // The status line decides; a body that trickles in is read in the background, never waited for.
      response.resume();
      response.on('error', () => undefined);
      finish(response.statusCode ?? null, null);
    });
    // One deadline for the whole exchange: a receiver that answers slowly, byte by byte, cannot hold a worker.
    const deadline = setTimeout(() => {
      request.destroy();
      finish(null, `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`);
    }, DELIVERY_TIMEOUT_MS);
    request.on('error', (error) => finish(null, error.message));
    request.end(body);
  });
}

/** Resolves as usual, then refuses a name that leads to an address a delivery may not reach. */
function checkedLookup(allowedHosts: AllowedHosts): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      const refused = checkResolved(hostname, addresses.map((each) => each.address), allowedHosts);
      if (refused) return callback(Object.assign(new Error(refused), { code: 'EADDRNOTALLOWED' }), '', 4);
      if ((options as { all?: boolean }).all) return (callback as unknown as (error: null, all: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * Who the endpoint's subscriber is now, or undefined once it may no longer read the feed: a
 * revoked client, or a member no longer an active coordinator. Its deliveries are what that
 * principal would read, its types narrowed to what its scopes still cover.
 */
async function subscriberNow(db: Db, webhook: WebhookRow): Promise<Principal | undefined> {
  const { timebankId, createdById: id } = webhook;
  if (webhook.createdByType === 'admin') return { type: 'admin', id };
  if (webhook.createdByType === 'client') {
    const scopes = await findClientScopes(db, timebankId, id);
    return scopes && { type: 'client', id, timebankId, scopes };
  }
  const member = await findMemberRow(db, timebankId, id);
  return member?.status === 'active' && member.role === 'coordinator' ? { type: 'member', id, timebankId, role: 'coordinator' } : undefined;
}

/** At most this many endpoints are served at once by one process. */
const ENDPOINTS_AT_ONCE = 20;

/**
 * The delivery worker of a process: each pass leases the due endpoints it has room for and
 * serves each on its own, so that a slow endpoint holds up no other. `stop` lets those in
 * flight finish their current delivery (at most DELIVERY_TIMEOUT_MS), then waits for them.
 */
export function webhookWorker(db: Db, settings: DeliverySettings, onError: (error: unknown) => void) {
  const inflight = new Set<Promise<void>>();
  const state = { stopping: false };
  return {
    async pass(): Promise<void> {
      const room = ENDPOINTS_AT_ONCE - inflight.size;
      if (state.stopping || room <= 0) return;
      const leaseId = newId();
      const leaseMs = settings.leaseMs ?? DELIVERY_TIMEOUT_MS * 3;
      for (const webhook of await claimDueWebhooks(db, settings.clock(), leaseMs, leaseId, room)) {
        const serving: Promise<void> = serve(db, webhook, leaseId, leaseMs, settings, state)
          .then(() => undefined, onError)
          .finally(() => inflight.delete(serving));
        inflight.add(serving);
      }
    },
    async stop(): Promise<void> {
      state.stopping = true;
      await Promise.allSettled([...inflight]);
    },
  };
}

async function serve(db: Db, webhook: WebhookRow, leaseId: string, leaseMs: number, settings: DeliverySettings, worker: { stopping: boolean }): Promise<number> {
  const subscriber = await subscriberNow(db, webhook);
  const secret = subscriber && openSecret(settings, webhook);
  if (!subscriber || secret === undefined) {
    // Its subscriber lost the right to these events, or its secret cannot be read (JWT_SECRET changed).
    const now = settings.clock();
    await updateWebhookRow(db, webhook.timebankId, webhook.id, { status: 'disabled', disabledAt: now, updatedAt: now, leaseUntil: null, leaseId: null });
    return 0;
  }
  const types = eventVisibility(subscriber, webhook.eventTypes.filter(isEventType)).types ?? eventTypeNames;
  let after = webhook.deliveredThrough;
  let delivered = 0;
  const budget = settings.eventsPerLease ?? 1_000;
  // Deliveries are recorded a few at a time, not one statement each: a crash before they are
  // sends them again, which at least once allows.
  let unrecorded: AttemptRecord[] = [];
  let recordedAt = Date.now();
  const record = async () => {
    const held = await recordDelivered(db, webhook, leaseId, unrecorded, new Date(settings.clock().getTime() + leaseMs));
    unrecorded = [];
    recordedAt = Date.now();
    return held;
  };
  while (delivered < budget) {
    // Read ahead: the events are sent one at a time, in order.
    const next = types.length === 0 ? { events: [], head: after } : await nextEventsFor(db, webhook.timebankId, after, types, Math.min(200, budget - delivered));
    if (next.events.length === 0) {
      // Unless the lease ran out meanwhile: then another worker has the endpoint, and goes on from there.
      if (await record()) await releaseWebhook(db, webhook, leaseId, next.head);
      return delivered;
    }
    for (const event of next.events) {
      // Stopping: what was delivered is recorded, and the rest waits for the next lease.
      if (worker.stopping) {
        await record();
        return delivered;
      }
      const at = settings.clock();
      after = event.sequence;
      const shown = eventAsSeenBy(event, subscriber);
      if (!shown) continue;
      const outcome = await sendSigned(webhook.url, secret, event.id, JSON.stringify(shown), at, settings.allowedHosts);
      const attempt = { event, statusCode: outcome.statusCode, error: outcome.error, at };
      if (!outcome.ok) {
        if (!(await record())) return delivered;
        // A delivery earlier in this lease ended the last run of failures.
        const failing = delivered > 0 ? { ...webhook, failingSince: null } : webhook;
        await recordFailed(db, failing, leaseId, attempt, (attempts) => new Date(at.getTime() + retryDelayMs(attempts, settings.retrySchedule)), (since) =>
          shouldDisable(since, at) ? newEvent('webhook.disabled', [], { ...presentWebhook({ ...webhook, status: 'disabled', disabledAt: at }), reason: 'failing for 3 days' }, at) : undefined,
        );
        return delivered;
      }
      unrecorded.push({ ...attempt, delivered: true, nextAttemptAt: null });
      delivered += 1;
      if ((unrecorded.length >= RECORD_EVERY || Date.now() - recordedAt >= RECORD_AFTER_MS) && !(await record())) return delivered;
    }
  }
  if (await record()) await releaseWebhook(db, webhook, leaseId, undefined);
  return delivered;
}

/** Deliveries are recorded (the log, and the endpoint's place in the feed) every this many, or this often. */
const RECORD_EVERY = 50;
const RECORD_AFTER_MS = 200;

/** The endpoint's signing secret, or undefined when it cannot be read (encrypted under another JWT_SECRET). */
export function openSecret(settings: Pick<DeliverySettings, 'secrets'>, webhook: WebhookRow): string | undefined {
  try {
    return settings.secrets.open(webhook.secretSealed);
  } catch {
    return undefined;
  }
}

/** The body of a test ping: what a receiver checks its signature verification with. */
export function pingEvent(webhook: WebhookRow, at: Date): Omit<Event, 'type' | 'sequence'> & { type: 'webhook.test'; sequence: null } {
  return { id: newId(), type: 'webhook.test', timebankId: webhook.timebankId, sequence: null, occurredAt: at.toISOString(), data: { webhookId: webhook.id } };
}
