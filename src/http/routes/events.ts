import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseEventTypes } from '../../domain/events.js';
import { invalidField, Rejection } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import { readFeed, requireFeedAccess, streamReaderNow, type FeedSignal } from '../../use-cases/events.js';
import type { RouteOptions } from '../options.js';
import { oauth, problems, readProblems, timebankParams } from '../schemas.js';
import { eventPageSchema, eventsQuery, EVENTS_DEFAULT_LIMIT } from './events-schemas.js';

/** How long a stream waits without an event before it sends a comment, so that proxies keep it open. */
const KEEP_ALIVE_SECONDS = 15;
/** A stream ends after this long, and the client reconnects with a token that is still valid. */
const STREAM_MAX_SECONDS = 900;

export const eventRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, feedSignal }) => {
  app.addHook('onRequest', app.authenticate);
  // Waiting readers and open streams end when the service stops, so that it can stop.
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());

  app.get(
    '/v1/timebanks/:timebankId/events',
    {
      config: { eventStream: true },
      schema: {
        operationId: 'listEvents',
        summary: 'The event feed: what changed, in order (long-poll with wait, or a stream with Accept: text/event-stream)',
        description: [
          'Events in sequence order after `after`. Paging with `after` set to the `lastSequence` of the previous page never misses an event and never repeats one.',
          '`wait` (seconds, up to 30) holds an empty page until an event comes. With `Accept: text/event-stream` the answer is a stream of Server-Sent Events (`id:` the sequence, `event:` the type, `data:` the event), resumed after `Last-Event-ID` when the browser reconnects.',
          'Members see the events about their own account, listings and membership; coordinators see every event of the timebank; partner clients need events:read, and see ledger events only with ledger:read, member events only with members:read.',
        ].join(' '),
        tags: ['events'],
        security: oauth('events:read'),
        params: timebankParams,
        querystring: eventsQuery,
        response: { 200: eventPageSchema, ...problems(...readProblems) },
      },
    },
    async (request, reply) => {
      const { timebankId } = request.params;
      const types = parseEventTypes(request.query.types);
      const until = requestSignal(reply, closing.signal);
      if (wantsStream(request)) {
        requireFeedAccess(request.principal, timebankId);
        const after = lastEventId(request) ?? request.query.after ?? 0;
        await streamEvents(request, reply, { timebankId, after, types, signal: feedSignal, until, db: database.db });
        return reply;
      }
      return readFeed(
        database.db,
        request.principal,
        timebankId,
        { after: request.query.after ?? 0, limit: request.query.limit ?? EVENTS_DEFAULT_LIMIT, types, waitSeconds: request.query.wait ?? 0 },
        feedSignal,
        until,
      );
    },
  );
};

/**
 * Aborts when the client goes (its connection closes), the service stops, or the answer is done.
 * One controller with plain listeners, each removed with the answer: none stays on a keep-alive
 * connection or on the service's signal (and AbortSignal.any's signals, held weakly, can be
 * collected with their listeners while a stream still waits on them).
 */
function requestSignal(reply: FastifyReply, closing: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const socket = reply.raw.socket;
  const abort = () => controller.abort();
  socket?.once('close', abort);
  closing.addEventListener('abort', abort, { once: true });
  reply.raw.once('close', () => {
    socket?.off('close', abort);
    closing.removeEventListener('abort', abort);
    abort();
  });
  if (closing.aborted) abort();
  return controller.signal;
}

function wantsStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').split(',').some((type) => type.trim().split(';')[0] === 'text/event-stream');
}

/** The sequence a reconnecting EventSource sends back: digits, or a 400. */
function lastEventId(request: FastifyRequest): number | undefined {
  const value = request.headers['last-event-id'];
  if (value === undefined || Array.isArray(value)) return undefined;
  if (!/^\d{1,16}$/.test(value)) throw invalidField('header', 'last-event-id', 'must be the sequence of an event');
  return Number(value);
}

/**
 * Writes events as Server-Sent Events until the client goes or the service stops. The answer's
 * headers are written here, past Fastify's hooks, so the ones they would add are copied over.
 */
async function streamEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  stream: { db: RouteOptions['database']['db']; timebankId: string; after: number; types: ReturnType<typeof parseEventTypes>; signal: FeedSignal; until: AbortSignal },
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-request-id': request.id,
    'x-accel-buffering': 'no',
  });
  raw.write(`retry: 2000\n\n`);
  let after = stream.after;
  const endsAt = Date.now() + STREAM_MAX_SECONDS * 1000;
  let principal: Principal = request.principal;
  try {
    while (!stream.until.aborted && Date.now() < endsAt) {
      const page = await readFeed(stream.db, principal, stream.timebankId, { after, limit: 100, types: stream.types, waitSeconds: KEEP_ALIVE_SECONDS }, stream.signal, stream.until);
      // Who the caller is now, before anything is written: a suspension, a revocation or a
      // logout everywhere ends the stream; a change of role reads the page again as the new role.
      const now: Principal | undefined = request.tokenClaims ? await streamReaderNow(stream.db, request.tokenClaims) : undefined;
      if (!now) break;
      if (rightsOf(now) !== rightsOf(principal)) {
        principal = now;
        continue;
      }
      if (page.items.length === 0) raw.write(': keep-alive\n\n');
      for (const event of page.items) raw.write(`id: ${event.sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      after = page.lastSequence;
    }
  } catch (error) {
    // A reader that lost the right to the feed (a scope taken away) is simply let go.
    if (!(error instanceof Rejection)) request.log.error({ err: error }, 'event stream failed');
  } finally {
    raw.end();
  }
}

/** What a principal's reading of the feed depends on. */
const rightsOf = (principal: Principal) =>
  `${principal.type}:${principal.id}:${principal.type === 'member' ? principal.role : ''}:${principal.type === 'client' ? [...principal.scopes].sort().join(' ') : ''}`;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route also answers as a stream of Server-Sent Events (Accept: text/event-stream). */
    eventStream?: boolean;
  }
}
