/*
 * The contract's examples of events and webhooks, in the story of examples.ts: Mo pays Cora
 * for an hour in the garden, and a partner app hears of it.
 */

import { ids, transferExample } from './examples.js';

const event = '019a1f2f-0a11-7a01-b2c3-d4e5f6a7b8c9';
const webhook = '019a1f30-1000-7b12-8c3d-4e5f6a7b8c9d';

const eventExample = { id: event, type: 'transfer.created', timebankId: ids.timebank, sequence: 42, occurredAt: '2026-03-09T16:20:00.000Z', data: { ...transferExample, sequence: null, hash: null } };

const webhookExample = {
  id: webhook,
  timebankId: ids.timebank,
  url: 'https://partner.example.org/hooks/timebank',
  eventTypes: ['listing.created', 'listing.updated'],
  description: 'The volunteer platform',
  status: 'active',
  createdBy: { type: 'client', id: ids.client },
  deliveredThrough: 41,
  failingSince: null,
  disabledAt: null,
  createdAt: '2026-03-01T09:00:00.000Z',
  updatedAt: '2026-03-01T09:00:00.000Z',
};

const deliveryExample = {
  sequence: 42,
  eventId: event,
  eventType: 'transfer.created',
  attempts: 2,
  lastStatusCode: 204,
  lastError: null,
  lastAttemptAt: '2026-03-09T16:20:05.300Z',
  nextAttemptAt: null,
  deliveredAt: '2026-03-09T16:20:05.300Z',
};

export const eventComponentExamples: Record<string, unknown> = {
  Event: eventExample,
  EventPage: { items: [eventExample], lastSequence: 42 },
  Webhook: webhookExample,
  CreatedWebhook: { ...webhookExample, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
  WebhookList: { items: [webhookExample] },
  WebhookDelivery: deliveryExample,
  WebhookDeliveryPage: { items: [deliveryExample] },
  Unsubscribed: { unsubscribed: 'digest' },
  WebhookPing: { eventId: '019a1f31-2000-7c23-9d4e-5f6a7b8c9d0e', delivered: true, statusCode: 204, error: null, durationMs: 84 },
};

export const eventBodyExamples: Record<string, unknown> = {
  // Listing events need no scope but webhooks:write; transfer events would need ledger:read too.
  WebhookInput: { url: 'https://partner.example.org/hooks/timebank', eventTypes: ['listing.created', 'listing.updated'], description: 'The volunteer platform' },
  WebhookChangeInput: { status: 'active' },
};
