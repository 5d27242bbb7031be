import { z } from 'zod';
import { id, timestamp } from './schemas.js';

/*
 * The answers of the report routes: the mutuality report's figures (see docs/reports.md), the
 * members report's rows and the exchanges behind both.
 */

export const ratioSchema = z
  .object({ value: z.number().nullable().describe('null when the denominator is 0'), numerator: z.number(), denominator: z.number() })
  .meta({ id: 'Ratio' });

const contactSchema = z.array(z.object({ memberId: id, displayName: z.string() }));

const needsMetSchema = z
  .object({
    requests: z.int().describe('Requests created in the window'),
    stalledAfterDays: z.int().describe("The timebank's setting the report judged \"still open\" by"),
    metShare: ratioSchema,
    medianDaysToMet: z.number().nullable().describe('Days from creation to metAt, median over the met ones'),
    medianDaysToFirstResponse: z.number().nullable().describe('Days from creation to firstResponseAt, median over those with a response'),
    unmetByCategory: z
      .array(z.object({ categoryId: id, name: z.string(), requests: z.int(), markedUnmet: z.int(), stillOpen: z.int() }))
      .describe('Per category with any: the window\'s requests marked unmet, and those still at stage open more than stalledAfterDays after they were created; most first'),
    idleOffersByCategory: z
      .array(z.object({ categoryId: id, name: z.string(), offers: z.int() }))
      .describe('Per category with any: offers open for the whole window (created by its start, open now, not expiring before its end) that no transfer posted in it named; most first'),
  })
  .describe('How well the window\'s requests were met (docs/reports.md): metShare is the requests created in the window that are met now over those requests');

const federationSchema = z
  .object({
    exchangesOut: z.int().describe("Cross-timebank exchanges in which this timebank's members paid linked timebanks' members"),
    minutesOut: z.int(),
    exchangesIn: z.int().describe("Cross-timebank exchanges in which this timebank's members were paid by linked timebanks' members"),
    minutesIn: z.int(),
    members: z.int().describe('Distinct members of this timebank with a cross-timebank exchange in the window, either way'),
    membersOut: z.int().describe('Of them, those who paid'),
    membersIn: z.int().describe('Of them, those who were paid'),
    links: z
      .array(
        z.object({
          linkId: id,
          peerTimebankId: id,
          peerTimebankName: z.string().nullable().describe('Null for a peer in another deployment'),
          status: z.enum(['proposed', 'active', 'suspended']).describe('As it is now'),
          balanceMinutes: z.int().describe("The link's clearing balance at the window's end: positive, this timebank owes the peer"),
          exchangesOut: z.int(),
          minutesOut: z.int(),
          exchangesIn: z.int(),
          minutesIn: z.int(),
          maxOwedByUsMinutes: z.int().describe('As it is now'),
          maxOwedToUsMinutes: z.int().describe('As it is now'),
        }),
      )
      .describe("The timebank's links created before the window's end, oldest first; empty without links"),
  })
  .describe("Exchanges across the timebank's links in the window (docs/reports.md): legs between a member and a link's clearing account, neither reversals nor reversed, as exchanges between members are counted. Clearing accounts are not members: no other figure counts them.");

export const mutualitySchema = z
  .object({
    window: z.object({ from: timestamp, to: timestamp }),
    population: z.enum(['active', 'all']),
    populationSize: z.int(),
    activeMembers: z.int(),
    registeredMembers: z.int(),
    activationRate: ratioSchema,
    twoWayShare: ratioSchema,
    giverOnlyShare: ratioSchema,
    receiverOnlyShare: ratioSchema,
    inactiveShare: ratioSchema.optional().describe('With population=all'),
    balanceIndex: z.object({
      bins: z.array(z.object({ from: z.number(), to: z.number(), members: z.int() })),
      balancedShare: ratioSchema,
    }),
    minutesPerActiveMember: ratioSchema,
    exchangesPerActiveMember: ratioSchema,
    medianMinutesPerExchange: z.number().nullable(),
    exchanges: z.int(),
    minutes: z.int(),
    giniTurnover: ratioSchema,
    giniGiven: ratioSchema,
    top20Share: ratioSchema,
    density: ratioSchema,
    edgeReciprocity: ratioSchema,
    reciprocatedMinutesShare: ratioSchema,
    edgesOnCycleShare: ratioSchema,
    indirectReciprocityShare: ratioSchema,
    indirectReciprocityTruncated: z.boolean().optional().describe('Present when the search stopped at its time budget: the share covers the pairs examined by then'),
    cycles: z.record(z.string(), z.int()),
    cyclesTruncated: z.boolean().optional().describe('Present when the count stopped at its time budget: shorter lengths are complete, the longer ones are lower bounds'),
    largestCirculationShare: ratioSchema,
    dormancy: z.object({ never: z.int(), within30Days: z.int(), days31To90: z.int(), over90Days: z.int() }),
    medianDaysToFirstExchange: z.number().nullable(),
    joinedWithoutExchange: z.int(),
    byCategory: z.array(
      z.object({ categoryId: id.nullable(), name: z.string(), exchanges: z.int(), minutes: z.int(), openOffers: z.int(), openRequests: z.int() }),
    ),
    needsMet: needsMetSchema,
    federation: federationSchema,
    ledgerCheck: z.object({
      sumOfBalancesMinutes: z.int(),
      totalDebitMinutes: z
        .int()
        .describe("The minutes of every debit entry through chainHead.sequence: the latest ledger checkpoint's total (maintenance writes one every 1,000 transfers; entries are append-only) plus the entries since. ledger/verify sums every entry."),
      totalCreditMinutes: z.int().describe('The minutes of every credit entry through chainHead.sequence, as totalDebitMinutes.'),
      balancesSumToZero: z.boolean(),
      debitsEqualCredits: z.boolean(),
      windowAddsUp: z.boolean(),
      window: z.object({
        postedMinutes: z.int(),
        exchangeMinutes: z.int(),
        commonsMinutes: z.int(),
        reversalMinutes: z.int(),
        reversedMinutes: z.int(),
        crossTimebankMinutes: z.int().describe("Legs to or from a link's clearing account, neither reversals nor reversed: federation.minutesOut + federation.minutesIn"),
      }),
      chainHead: z
        .object({ sequence: z.int(), hash: z.string() })
        .describe("The ledger as this report read it: its last sealed transfer's sequence and hash (as ledger/verify gives them). The exchanges export over the same from and to, with throughSequence set to this sequence, lists exactly the exchanges counted here."),
    }),
    membersToContact: z
      .object({ receiverOnly: contactSchema, giverOnly: contactSchema, newlyDormant: contactSchema, neverExchanged: contactSchema })
      .optional()
      .describe('Coordinators only'),
  })
  .meta({ id: 'MutualityReport' });

export const memberRowSchema = z
  .object({
    memberId: id,
    displayName: z.string(),
    givenMinutes: z.int(),
    receivedMinutes: z.int(),
    balanceMinutes: z.int().describe('At the end of the window'),
    balanceIndex: z.number().nullable(),
    peopleHelped: z.int(),
    helpers: z.int(),
    exchanges: z.int(),
    firstExchangeAt: timestamp.nullable(),
    lastExchangeAt: timestamp.nullable(),
    daysSinceLastExchange: z.int().nullable(),
  })
  .meta({ id: 'MemberReportRow' });

export const exchangeSchema = z
  .object({
    transferId: id,
    giverMemberId: z.string(),
    receiverMemberId: z.string(),
    minutes: z.int(),
    postedAt: timestamp,
    categoryId: id.nullable(),
    brokered: z.boolean(),
  })
  .meta({ id: 'Exchange' });
