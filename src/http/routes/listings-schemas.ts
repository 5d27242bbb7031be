import { z } from 'zod';
import { matchWeights, weekdays } from '../../domain/matching.js';
import { requestStages } from '../../domain/needs.js';
import { freeText, id, instantText, queryBoolean, singleLine, timestamp } from '../schemas.js';

/* The listing routes' schemas: offers and requests, their bodies, matches and cycles. */

const time = (max: string) =>
  z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'must be HH:MM').refine((value) => value <= max, { message: `must be at most ${max}` });

const windowSchema = z.strictObject({
  day: z.enum(weekdays),
  from: time('23:59'),
  to: time('24:00').describe('After from, on the same day; 24:00 is the end of the day'),
});

const locationSchema = z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });

const listingFields = {
  title: singleLine(200),
  description: freeText(2000).optional(),
  categoryId: id,
  tags: z.array(singleLine(50)).max(20).optional(),
  location: locationSchema.nullable().optional(),
  maxDistanceKm: z.number().positive().max(20_000).nullable().optional().describe('For requests: how far away help may come from (default 25 km)'),
  remote: z.boolean().optional().describe('The exchange can happen remotely'),
  availability: z.array(windowSchema).max(50).nullable().optional().describe('Weekly windows, UTC'),
  expiresAt: instantText.nullable().optional(),
};

export const listingSchema = z
  .object({
    id,
    timebankId: id,
    kind: z.enum(['offer', 'request']),
    memberId: id,
    title: z.string(),
    description: z.string(),
    categoryId: id,
    tags: z.array(z.string()),
    location: z.object({ lat: z.number(), lon: z.number() }).nullable().describe('Exact for its member and coordinators; rounded to 2 decimals (about 1 km) for other members and partner apps'),
    maxDistanceKm: z.number().nullable(),
    remote: z.boolean(),
    availability: z.array(z.object({ day: z.enum(weekdays), from: z.string(), to: z.string() })).nullable(),
    status: z.enum(['open', 'closed']).describe("For a request, follows its stage: open while open or agreed, closed once met, unmet or withdrawn"),
    stage: z.enum(requestStages).nullable().describe('A request\'s need: open -> agreed -> met | unmet | withdrawn (docs/needs.md); null for an offer'),
    firstResponseAt: timestamp.nullable().describe('When someone first responded to the request (a match marked contacted, an agreement, or its meeting); null for an offer'),
    agreedWith: id.nullable().describe('The member the request was agreed with (or met by); null for an offer'),
    metAt: timestamp.nullable().describe('When the request was met: by its member\'s word, or the posting of a transfer naming it; null for an offer'),
    expiresAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Listing' });

const componentsSchema = z
  .object(Object.fromEntries(Object.keys(matchWeights).map((name) => [name, z.number().min(0).max(1)])) as Record<keyof typeof matchWeights, z.ZodNumber>)
  .meta({ id: 'MatchComponents', description: 'Each in [0, 1]; the score is their weighted sum (weights in src/domain/matching.ts)' });

export const matchSchema = z
  .object({
    memberId: id.nullable().describe("Null for a remote offer: a linked timebank's member is known by accountId and displayName only"),
    offerId: id.optional(),
    requestId: id.optional(),
    score: z.number().min(0).max(1),
    components: componentsSchema,
    distanceKm: z.number().nullable().describe('Null when either location is unknown, and always for a remote offer'),
    mark: z.enum(['contacted']).nullable().describe("The listing's member marked this match contacted (a match marked notSuitable is left out); always null for a remote offer"),
    remote: z.boolean().describe("true for an offer of a linked timebank's member (include=linked); linkId, peerTimebankId, accountId and displayName appear only then"),
    linkId: id.optional().describe("This timebank's link to the offer's timebank"),
    peerTimebankId: id.optional(),
    accountId: id.optional().describe("The offering member's account in the linked timebank: pay it with payee { linkId, accountId }"),
    displayName: z.string().optional().describe("The offering member's display name, as the link directory shows it"),
  })
  .meta({ id: 'Match' });

export const requestMatchesQuery = {
  include: z
    .enum(['linked'])
    .optional()
    .describe("linked: also offers of linked timebanks' visible members (links active on both sides), marked remote. Partner clients also need members:read"),
};

const cycleLegSchema = z
  .object({
    giverMemberId: id.nullable().describe("Null when the giver is a linked timebank's member (remote)"),
    receiverMemberId: id.nullable().describe("Null when the receiver is a linked timebank's member (remote)"),
    offerId: id,
    requestId: id,
    score: z.number(),
    remote: z.boolean().describe("true when a linked timebank's member takes part (include=linked; the other party is always local): linkId, peerTimebankId, accountId and displayName name them, and appear only then"),
    linkId: id.optional().describe("This timebank's link to the member's timebank"),
    peerTimebankId: id.optional(),
    accountId: id.optional().describe("The linked member's account: pay it with payee { linkId, accountId }"),
    displayName: z.string().optional().describe("The linked member's display name, as the link directory shows it"),
  })
  .meta({ id: 'CycleLeg' });

export const cycleSchema = z
  .object({
    members: z.array(id.nullable()).describe("Each leg's giver, in cycle order; null for a linked timebank's member"),
    legs: z.array(cycleLegSchema),
    score: z.number().describe('Mean leg score; for a cycle that crosses a link, plus 0.2 x (clearing - 0.5)'),
    clearing: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("Only for a cycle that crosses a link: 0.5 when it leaves every link balance as it is, up to 1 as it brings them toward zero, 0 when it pushes them away (docs/federation.md)"),
  })
  .meta({ id: 'Cycle' });

export const cyclesQuery = {
  include: z
    .enum(['linked'])
    .optional()
    .describe("linked: linked timebanks' visible members take part too (links active on both sides), marked remote; every leg has a member of this timebank"),
};

// One body schema each for offers and requests, which share their fields.
export const listingInput = z.strictObject({ ...listingFields, memberId: id.optional() }).meta({ id: 'ListingBody' });
export const listingChange = z.strictObject(listingFields).partial().extend({ status: z.enum(['open', 'closed']).optional() }).meta({ id: 'ListingChangeBody' });
// A request's change may also move its need (domain/needs.ts).
export const requestChange = listingChange
  .extend({
    status: z.enum(['open', 'closed']).optional().describe('closed withdraws an open or agreed request; open opens an unmet or withdrawn one again. Not with stage'),
    stage: z.enum(requestStages).optional().describe('The stage to move to: agreed needs agreedWith; met sets metAt'),
    agreedWith: id.optional().describe('With stage agreed (required) or met: the member who helps'),
  })
  .meta({ id: 'RequestChangeBody' });
export const stalledQuery = {
  stalled: queryBoolean.optional().describe('Coordinators, and partners with listings:write: true lists only stalled requests (stage open, no response, created more than the timebank\'s stalledAfterDays ago)'),
};
