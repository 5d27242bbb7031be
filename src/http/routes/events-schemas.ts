import { z } from 'zod';
import { eventTypeNames } from '../../domain/events.js';
import { id, queryInteger, timestamp } from '../schemas.js';

export const EVENTS_DEFAULT_LIMIT = 100;

export const eventsQuery = z.strictObject({
  after: queryInteger(0, Number.MAX_SAFE_INTEGER, 'must be an event sequence')
    .optional()
    .describe('Give the events after this sequence: 0 (the default) for the first, then the lastSequence of the previous page'),
  limit: queryInteger(1, 1000).optional().describe(`Page size, 1 to 1000 (default ${EVENTS_DEFAULT_LIMIT})`),
  types: z
    .string()
    .max(1000)
    .optional()
    .describe(`Only these types, comma-separated: ${eventTypeNames.join(', ')}`),
  wait: queryInteger(0, 30, 'must be 0 to 30 seconds').optional().describe('Seconds to hold an empty page until an event comes (long-poll), 0 to 30; default 0'),
});

export const eventSchema = z
  .object({
    id: id.describe('Unique per event: the webhook-id of its deliveries, for de-duplication'),
    type: z.enum(eventTypeNames),
    timebankId: id,
    sequence: z.int().min(1).describe('Per timebank, gap-free, in commit order'),
    occurredAt: timestamp,
    data: z
      .record(z.string(), z.unknown())
      .describe('The resource as the API returns it: a Transfer for transfer.*, a Member for member.*, an Offer or Request for listing.*, an Application for application.created; the nudges and webhook.disabled describe their own fields (docs/events.md)'),
  })
  .meta({ id: 'Event' });

export const eventPageSchema = z
  .object({
    items: z.array(eventSchema),
    lastSequence: z.int().min(0).describe('Send it as `after` for the next page: the last event given, or the feed\'s head when nothing more is there for you'),
  })
  .meta({ id: 'EventPage' });
