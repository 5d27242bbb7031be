import { z } from 'zod';
import { eventTypeNames } from '../../domain/events.js';
import { id, queryInteger, singleLine, timestamp } from '../schemas.js';

export const webhookParams = z.strictObject({ timebankId: id, webhookId: id });

const eventTypes = z.array(z.enum(eventTypeNames)).min(1).max(eventTypeNames.length).describe('The event types it receives');

const webhookUrl = z
  .string()
  .min(1)
  .max(2000)
  .describe('Where events are POSTed: https, no credentials, not a private, loopback or link-local address (WEBHOOK_ALLOW_HOSTS excepted)');

export const webhookInput = z
  .strictObject({ url: webhookUrl, eventTypes, description: singleLine(500).optional() })
  .meta({ id: 'WebhookBody' });

export const webhookChange = z
  .strictObject({
    url: webhookUrl.optional(),
    eventTypes: eventTypes.optional(),
    description: singleLine(500).optional(),
    status: z.enum(['active', 'disabled']).optional().describe('disabled pauses deliveries; active resumes them, from the first event not yet delivered'),
  })
  .meta({ id: 'WebhookChangeBody' });

export const webhookSchema = z
  .object({
    id,
    timebankId: id,
    url: z.string(),
    eventTypes: z.array(z.enum(eventTypeNames)),
    description: z.string().nullable(),
    status: z.enum(['active', 'disabled']).describe('disabled: paused by a coordinator, its client revoked, or failing for 3 days'),
    createdBy: z.object({ type: z.enum(['member', 'admin', 'client']), id }).describe('Who subscribed it: a partner client\'s endpoint receives only what its scopes read'),
    deliveredThrough: z.int().min(0).describe('The sequence of the last event it acknowledged, or passed over as not its type'),
    failingSince: timestamp.nullable().describe('When its current run of failures began; null while it is healthy'),
    disabledAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Webhook' });

export const createdWebhookSchema = webhookSchema
  .extend({ secret: z.string().describe('The signing secret (whsec_ and base64), shown only in this answer: verify each delivery\'s webhook-signature with it') })
  .meta({ id: 'CreatedWebhook' });

export const deliverySchema = z
  .object({
    sequence: z.int().min(1),
    eventId: id.describe('The webhook-id header of the deliveries'),
    eventType: z.enum(eventTypeNames),
    attempts: z.int().min(1),
    lastStatusCode: z.int().nullable().describe('The endpoint\'s answer to the last attempt; null when there was none (refused address, timeout, connection error)'),
    lastError: z.string().nullable(),
    lastAttemptAt: timestamp,
    nextAttemptAt: timestamp.nullable().describe('When it is tried again; null once delivered'),
    deliveredAt: timestamp.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export const deliveriesQuery = z.strictObject({
  limit: queryInteger(1, 500).optional().describe('Page size, 1 to 500 (default 50)'),
  before: queryInteger(1, Number.MAX_SAFE_INTEGER, 'must be an event sequence').optional().describe('Deliveries of events before this sequence: the last sequence of the previous page'),
});

export const pingSchema = z
  .object({
    eventId: id.describe('The webhook-id of the test event'),
    delivered: z.boolean().describe('The endpoint answered 2xx within 10 s'),
    statusCode: z.int().nullable(),
    error: z.string().nullable(),
    durationMs: z.int().min(0),
  })
  .meta({ id: 'WebhookPing' });
