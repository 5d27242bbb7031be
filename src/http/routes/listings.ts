import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { invalidField, notFound, Rejection } from '../../domain/errors.js';
import { withVisibleLocation } from '../../domain/location-privacy.js';
import {
  isCoordinatorOf,
  requireCoordinator,
  requireCoordinatorOrScope,
  requireScope,
  requireTimebankAccess,
  type Principal,
} from '../../domain/principal.js';
import { createListing, updateListing } from '../../use-cases/listings.js';
import { findMatches, suggestCycles } from '../../use-cases/matching.js';
import type { Listing, ListingKind } from '../../use-cases/present/listing.js';
import { ifMatchHeaders, ifMatchOf } from '../etag.js';
import type { RouteOptions } from '../options.js';
import { cycleSchema, cyclesQuery, listingChange, listingInput, listingSchema, matchSchema, requestChange, requestMatchesQuery, stalledQuery } from './listings-schemas.js';
import {
  oauth,
  DEFAULT_PAGE_SIZE,
  optionalIdempotencyHeaders,
  id,
  page,
  paginationQuery,
  queryInteger,
  queryNumber,
  problems,
  readProblems,
  timebankParams,
  writeProblems,
} from '../schemas.js';

/** Coordinators and partners with listings:write act for any member; a member for itself. */
function actingMemberId(principal: Principal, timebankId: string, requested: string | undefined): string {
  requireTimebankAccess(principal, timebankId);
  if (principal.type === 'client') {
    requireScope(principal, 'listings:write');
  }
  const broker = principal.type === 'client' || isCoordinatorOf(principal, timebankId);
  if (principal.type === 'member' && (requested === undefined || requested === principal.id)) {
    return principal.id;
  }
  if (!broker) {
    throw new Rejection('forbidden', 'A member manages its own listings only.', { field: 'memberId' });
  }
  if (!requested) {
    throw invalidField('body', 'memberId', 'is required when acting for a member');
  }
  return requested;
}

const linkedMatchesDescription =
  " With include=linked, also the open offers of linked timebanks' members who chose to be visible, over links active on both sides (a timebank of another deployment is asked for its link directory, signed; one that cannot be asked, or refuses, is left out), marked remote with the link, the peer timebank, the member's account (to pay with payee { linkId, accountId }) and display name; memberId is null. A remote offer's category fits by name; its location is not shared, so it is not filtered by distance, and distance is 1 when both can happen remotely, 0.5 otherwise; rebalance, closesLoop, newTie and load are 0.5 (docs/federation.md).";

function listingRoutesOf(kind: ListingKind): FastifyPluginAsyncZod<RouteOptions> {
  const plural = kind === 'offer' ? 'offers' : 'requests';
  const Noun = kind === 'offer' ? 'Offer' : 'Request';
  const params = z.strictObject({ timebankId: id, listingId: id });

  return async (app, { database, reads, clock, federation }) => {
    app.addHook('onRequest', app.authenticate);
    const tags = ['listings'];

    app.post(
      `/v1/timebanks/:timebankId/${plural}`,
      {
        config: { idempotency: 'optional', location: `/v1/timebanks/:timebankId/${plural}/:id` },
        schema: {
          operationId: `create${Noun}`,
          summary: kind === 'offer' ? 'List something a member can give' : 'List something a member needs',
          description: 'A member lists for itself; a coordinator or a partner with listings:write passes memberId.',
          tags,
          security: oauth('listings:write'),
          headers: optionalIdempotencyHeaders,
          params: timebankParams,
          body: listingInput,
          response: { 201: listingSchema, ...problems(...writeProblems, 422) },
        },
      },
      async (request, reply) => {
        const { timebankId } = request.params;
        const { memberId, ...input } = request.body;
        const owner = actingMemberId(request.principal, timebankId, memberId);
        reply.code(201);
        return withVisibleLocation(await createListing(database.db, timebankId, kind, owner, input, clock()), request.principal, timebankId);
      },
    );

    app.get(
      `/v1/timebanks/:timebankId/${plural}`,
      {
        schema: {
          operationId: `list${Noun}s`,
          summary: `Find ${plural}`,
          description:
            kind === 'request'
              ? "Filters: categoryId (with its children), memberId, status, q (full-text, ranked by relevance), and lat/lon/radiusKm together. stalled=true (coordinators, and partners with listings:write) lists the requests still at stage open, with no response, created more than the timebank's stalledAfterDays ago, oldest first."
              : 'Filters: categoryId (with its children), memberId, status, q (full-text, ranked by relevance), and lat/lon/radiusKm together.',
          tags,
          security: oauth(),
          params: timebankParams,
          querystring: z
            .strictObject({
              ...paginationQuery,
              categoryId: id.optional(),
              memberId: id.optional(),
              status: z.enum(['open', 'closed']).optional(),
              q: z.string().min(1).max(200).optional(),
              lat: queryNumber(/^-?\d{1,3}(\.\d+)?$/, { min: -90, max: 90 }).optional(),
              lon: queryNumber(/^-?\d{1,3}(\.\d+)?$/, { min: -180, max: 180 }).optional(),
              radiusKm: queryNumber(/^\d{1,5}(\.\d+)?$/, { positive: true, max: 20_000 }).optional(),
              ...(kind === 'request' ? stalledQuery : {}),
            })
            .refine((query) => [query.lat, query.lon, query.radiusKm].every((value) => value === undefined) || [query.lat, query.lon, query.radiusKm].every((value) => value !== undefined), {
              message: 'lat, lon and radiusKm go together',
              path: ['radiusKm'],
            }),
          response: { 200: page(listingSchema), ...problems(...readProblems) },
        },
      },
      async (request) => {
        const { timebankId } = request.params;
        requireTimebankAccess(request.principal, timebankId);
        const { lat, lon, radiusKm, limit, stalled, ...filters } = request.query as typeof request.query & { stalled?: boolean };
        if (stalled) requireCoordinatorOrScope(request.principal, timebankId, 'listings:write');
        // The radius filter reads the stored locations; only the answer is rounded.
        const found = await reads.searchListings(
          timebankId,
          kind,
          {
            ...filters,
            stalled,
            limit: limit ?? DEFAULT_PAGE_SIZE,
            near: lat !== undefined && lon !== undefined && radiusKm !== undefined ? { lat, lon, radiusKm } : undefined,
          },
          clock(),
        );
        return { ...found, items: found.items.map((listing) => withVisibleLocation(listing, request.principal, timebankId)) };
      },
    );

    app.get(
      `/v1/timebanks/:timebankId/${plural}/:listingId`,
      {
        config: { etag: true },
        schema: {
          operationId: `get${Noun}`,
          summary: `Get ${kind === 'offer' ? 'an offer' : 'a request'}`,
          description: 'Every member, coordinator and partner client of the timebank. Its location is exact for its owner and coordinators, and rounded to about 1 km for everyone else.',
          tags,
          security: oauth(),
          params,
          response: { 200: listingSchema, ...problems(...readProblems) },
        },
      },
      async (request) => {
        const { timebankId, listingId } = request.params;
        requireTimebankAccess(request.principal, timebankId);
        const found = await reads.findListing(timebankId, kind, listingId);
        if (!found) throw notFound(Noun);
        return withVisibleLocation(found, request.principal, timebankId);
      },
    );

    app.patch(
      `/v1/timebanks/:timebankId/${plural}/:listingId`,
      {
        config: { etag: true },
        schema: {
          operationId: `update${Noun}`,
          summary: `Change or close ${kind === 'offer' ? 'an offer' : 'a request'} (its member, a coordinator, or a partner with listings:write)`,
          description:
            kind === 'request'
              ? 'Its owner, coordinators, and partner clients with listings:write. Only the fields sent change. stage moves the need: open -> agreed (with agreedWith) -> met | unmet | withdrawn, agreed -> open, unmet | withdrawn -> open; met is final (409 invalid_stage_transition otherwise). status follows the stage: closed withdraws the request, open opens it again. With If-Match, applies only while the listing still has that ETag (412 otherwise).'
              : 'Its owner, coordinators, and partner clients with listings:write. Only the fields sent change; status closed takes it out of matching. With If-Match, applies only while the listing still has that ETag (412 otherwise).',
          tags,
          security: oauth('listings:write'),
          params,
          headers: ifMatchHeaders,
          body: kind === 'request' ? requestChange : listingChange,
          response: { 200: listingSchema, ...problems(...writeProblems, ...(kind === 'request' ? [409] : []), 412, 422) },
        },
      },
      async (request) => {
        const { timebankId, listingId } = request.params;
        const found = await reads.findListing(timebankId, kind, listingId);
        requireTimebankAccess(request.principal, timebankId);
        if (!found) throw notFound(Noun);
        actingMemberId(request.principal, timebankId, found.memberId);
        const ifMatch = ifMatchOf(request);
        // The ETag the caller holds is of the listing as this caller sees it.
        const precondition = ifMatch && ((current: Listing) => ifMatch(withVisibleLocation(current, request.principal, timebankId)));
        return withVisibleLocation(await updateListing(database.db, timebankId, kind, listingId, request.body, clock(), precondition), request.principal, timebankId);
      },
    );

    app.get(
      `/v1/timebanks/:timebankId/${plural}/:listingId/matches`,
      {
        schema: {
          operationId: `match${Noun}`,
          summary: kind === 'request' ? 'Offers that could meet this request, ranked' : 'Requests this offer could meet, ranked',
          description:
            'Hard filters first (another member, active, skill fits by category or text, within the request\'s distance unless both are remote, overlapping availability when both give it), then a score in [0, 1] from the weighted components, each returned. Ties are broken by listing id.' +
            (kind === 'request' ? linkedMatchesDescription : ''),
          tags: ['matching'],
          security: oauth('listings:write'),
          params,
          querystring: z.strictObject({
            limit: queryInteger(1, 50).optional().describe('1 to 50 (default 10)'),
            ...(kind === 'request' ? requestMatchesQuery : {}),
          }),
          response: { 200: z.object({ items: z.array(matchSchema) }), ...problems(...readProblems) },
        },
      },
      async (request) => {
        const { timebankId, listingId } = request.params;
        const principal = request.principal;
        requireTimebankAccess(principal, timebankId);
        const found = await reads.findListing(timebankId, kind, listingId);
        if (!found) throw notFound(Noun);
        // Matches describe other members' standing: for the listing's owner and coordinators.
        actingMemberId(principal, timebankId, found.memberId);
        const includeLinked = (request.query as { include?: 'linked' }).include === 'linked';
        // Linked members' names and accounts are the link directory's, which partners read with members:read.
        if (includeLinked && principal.type === 'client') requireScope(principal, 'members:read');
        return { items: await findMatches(database.db, timebankId, kind, listingId, request.query.limit ?? 10, clock(), { includeLinked, federation }) };
      },
    );
  };
}

export const offerRoutes = listingRoutesOf('offer');
export const requestRoutes = listingRoutesOf('request');

const linkedCyclesDescription =
  " With include=linked, linked timebanks' visible members (over links active on both sides; a timebank of another deployment is asked for its link directory, signed, and one that cannot be asked, or refuses, is left out) take part too: their open offers may meet this timebank's requests and their open requests may be met by its offers, categories fitting by name, their location not shared (distance 1 when both can happen remotely, 0.5 otherwise). Every leg has a member of this timebank; a leg with a linked member is marked remote, with linkId, peerTimebankId, the member's accountId and displayName, and the member's id null (in members too). A cycle that crosses a link has a clearing component: with each leg taken as 60 minutes, and a link balance positive when this timebank owes the peer, the reduction is the sum over the links crossed of |balance| - |balance after the cycle|; clearing is 0.5 + 0.5 x reduction / the cycle's minutes when the reduction is not negative, 0 otherwise, and the cycle's score is its mean leg score + 0.2 x (clearing - 0.5). A cycle that crosses a link both ways with the same minutes is neutral (clearing 0.5): since every leg has a member of this timebank, every cycle suggested crosses each link as often each way, so its clearing is 0.5. Local-only cycles keep their mean leg score and have no clearing (docs/federation.md).";

export const cycleRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock, federation }) => {
  app.addHook('onRequest', app.authenticate);
  app.get(
    '/v1/timebanks/:timebankId/matches/cycles',
    {
      schema: {
        operationId: 'suggestCycles',
        summary: 'Multi-party exchange suggestions (coordinator)',
        description:
          'The graph has an edge A -> B when one of A\'s open offers can meet one of B\'s open requests: the best three (by leg score) of up to 24 offers of its category or a child of it that pass the matching hard filters, the 24 taken from a request-dependent point so that large categories spread over their offerers; each leg is scored on skill, distance and availability. Simple cycles of 2 to maxLength members are enumerated (bounded: truncated says when a cap stopped it), then chosen greedily by mean leg score, shorter first on ties, so that no member is in two cycles. Each leg, once agreed, is recorded as an ordinary transfer; every member ends even.' +
          linkedCyclesDescription,
        tags: ['matching'],
        security: oauth(),
        params: timebankParams,
        querystring: z.strictObject({
          maxLength: queryInteger(2, 4, 'must be 2, 3 or 4').optional().describe('2 to 4 (default 3)'),
          ...cyclesQuery,
        }),
        response: {
          200: z.object({ items: z.array(cycleSchema), truncated: z.boolean(), cyclesFound: z.int() }),
          ...problems(...readProblems),
        },
      },
    },
    async (request) => {
      requireCoordinator(request.principal, request.params.timebankId);
      const includeLinked = request.query.include === 'linked';
      return suggestCycles(database.db, request.params.timebankId, request.query.maxLength ?? 3, clock(), { includeLinked, federation });
    },
  );
};
