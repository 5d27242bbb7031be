import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.js';
import { matchMarks } from '../../domain/needs.js';
import { isCoordinatorOf, requireScope, requireTimebankAccess, type Principal } from '../../domain/principal.js';
import { markMatch } from '../../use-cases/needs.js';
import type { ListingKind } from '../../use-cases/present/listing.js';
import type { RouteOptions } from '../options.js';
import { id, oauth, problems, timestamp, writeProblems } from '../schemas.js';

/*
 * Marks on matches (docs/needs.md): a member marks a suggested match of its own offer or request
 * contacted or notSuitable. A request's stage moves by PATCH of the request (listings.ts).
 */

const markBody = z.strictObject({ mark: z.enum(matchMarks).describe('contacted: a first response; notSuitable: matching leaves the pair out') }).meta({ id: 'MatchMarkBody' });

const markSchema = z
  .object({
    listingId: id.describe('The marked listing: the one whose matches these are'),
    candidateListingId: id.describe('The matched listing, of the other kind'),
    memberId: id.describe('The marked listing\'s member'),
    mark: z.enum(matchMarks),
    markedAt: timestamp,
  })
  .meta({ id: 'MatchMark' });

/**
 * The listing's member itself, a coordinator, or a partner with listings:write. Another member's
 * listing is as invisible as another timebank's: 404.
 */
function mayActFor(principal: Principal, timebankId: string, noun: string) {
  return (memberId: string) => {
    requireTimebankAccess(principal, timebankId);
    if (principal.type === 'client') return requireScope(principal, 'listings:write');
    if (principal.type === 'member' && principal.id !== memberId && !isCoordinatorOf(principal, timebankId)) throw notFound(noun);
  };
}

function markRoutesOf(kind: ListingKind): FastifyPluginAsyncZod<RouteOptions> {
  const plural = kind === 'offer' ? 'offers' : 'requests';
  const Noun = kind === 'offer' ? 'Offer' : 'Request';
  const other = kind === 'offer' ? 'request' : 'offer';
  return async (app, { database, clock }) => {
    app.addHook('onRequest', app.authenticate);
    app.put(
      `/v1/timebanks/:timebankId/${plural}/:listingId/matches/:candidateListingId/mark`,
      {
        schema: {
          operationId: `mark${Noun}Match`,
          summary: `Mark a match of ${kind === 'offer' ? 'an offer' : 'a request'} contacted or not suitable`,
          description: `The ${kind}'s member (another member's ${kind} is 404), coordinators, and partner clients with listings:write. candidateListingId is the matched ${other}. notSuitable leaves the pair out of both members' matches and of cycle suggestions from then on; contacted shows on the match and, when the request of the pair has no response yet, sets its firstResponseAt. A later mark replaces the earlier one.`,
          tags: ['matching'],
          security: oauth('listings:write'),
          params: z.strictObject({ timebankId: id, listingId: id, candidateListingId: id }),
          body: markBody,
          response: { 200: markSchema, ...problems(...writeProblems) },
        },
      },
      async (request) => {
        const { timebankId, listingId, candidateListingId } = request.params;
        requireTimebankAccess(request.principal, timebankId);
        // A partner is refused for its scope before anything is read.
        if (request.principal.type === 'client') requireScope(request.principal, 'listings:write');
        const authorize = mayActFor(request.principal, timebankId, Noun);
        return markMatch(database.db, timebankId, kind, listingId, candidateListingId, request.body.mark, clock(), authorize);
      },
    );
  };
}

export const offerMarkRoutes = markRoutesOf('offer');
export const requestMarkRoutes = markRoutesOf('request');
