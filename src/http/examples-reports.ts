import { mutualityFederationExample } from './examples-federation.js';
import { at, ids, transferExample } from './examples-story.js';

/* Examples of the reports and the exchange export. */

const ratio = (numerator: number, denominator: number) => ({ value: denominator === 0 ? null : numerator / denominator, numerator, denominator });

const exchangeExample = { transferId: ids.transfer, giverMemberId: ids.cora, receiverMemberId: ids.mo, minutes: 60, postedAt: at(9, '16:20'), categoryId: null, brokered: false };
const memberReportRowExample = { memberId: ids.mo, displayName: 'Mo', givenMinutes: 0, receivedMinutes: 150, balanceMinutes: -150, balanceIndex: -1, peopleHelped: 0, helpers: 1, exchanges: 2, firstExchangeAt: at(9, '16:20'), lastExchangeAt: at(9, '17:05'), daysSinceLastExchange: 1 };

/** Examples of the report schemas, by component name. */
export const reportComponentExamples: Record<string, unknown> = {
  Exchange: exchangeExample,
  MemberReportRow: memberReportRowExample,
  MutualityReport: {
    window: { from: '2025-03-10T00:00:00.000Z', to: at(10, '00:00') },
    population: 'active',
    populationSize: 2,
    activeMembers: 2,
    registeredMembers: 2,
    activationRate: ratio(2, 2),
    twoWayShare: ratio(0, 2),
    giverOnlyShare: ratio(1, 2),
    receiverOnlyShare: ratio(1, 2),
    balanceIndex: { bins: [{ from: -1, to: -0.5, members: 1 }, { from: -0.5, to: 0.5, members: 0 }, { from: 0.5, to: 1, members: 1 }], balancedShare: ratio(0, 2) },
    minutesPerActiveMember: ratio(150, 2),
    exchangesPerActiveMember: ratio(2, 2),
    medianMinutesPerExchange: 75,
    exchanges: 2,
    minutes: 150,
    giniTurnover: ratio(0, 1),
    giniGiven: ratio(1, 2),
    top20Share: ratio(150, 150),
    density: ratio(1, 2),
    edgeReciprocity: ratio(0, 1),
    reciprocatedMinutesShare: ratio(0, 150),
    edgesOnCycleShare: ratio(0, 1),
    indirectReciprocityShare: ratio(0, 1),
    cycles: { '2': 0, '3': 0, '4': 0 },
    largestCirculationShare: ratio(0, 150),
    dormancy: { never: 0, within30Days: 2, days31To90: 0, over90Days: 0 },
    medianDaysToFirstExchange: 7,
    joinedWithoutExchange: 0,
    byCategory: [{ categoryId: null, name: 'Uncategorised', exchanges: 2, minutes: 150, openOffers: 0, openRequests: 1 }],
    needsMet: {
      requests: 4,
      stalledAfterDays: 14,
      metShare: ratio(2, 4),
      medianDaysToMet: 3.5,
      medianDaysToFirstResponse: 1,
      unmetByCategory: [{ categoryId: ids.category, name: 'Gardening', requests: 1, markedUnmet: 0, stillOpen: 1 }],
      idleOffersByCategory: [{ categoryId: ids.category, name: 'Gardening', offers: 2 }],
    },
    federation: mutualityFederationExample,
    ledgerCheck: {
      sumOfBalancesMinutes: 0,
      totalDebitMinutes: 210,
      totalCreditMinutes: 210,
      balancesSumToZero: true,
      debitsEqualCredits: true,
      windowAddsUp: true,
      window: { postedMinutes: 210, exchangeMinutes: 150, commonsMinutes: 0, reversalMinutes: 0, reversedMinutes: 0, crossTimebankMinutes: 60 },
      chainHead: { sequence: 3, hash: transferExample.hash },
    },
  },
};

/** Examples of the report answers whose schema has no name, by operation. */
export const reportAnswerExamples: Record<string, unknown> = {
  getMembersReport: { items: [memberReportRowExample], throughSequence: 2, nextCursor: null },
  exportExchanges: { items: [exchangeExample], throughSequence: 2, nextCursor: null },
  getActivityReport: {
    interval: 'month',
    from: '2025-04-01T00:00:00.000Z',
    to: '2026-04-01T00:00:00.000Z',
    throughSequence: 2,
    items: [{ periodStart: '2026-03-01T00:00:00.000Z', exchanges: 2, minutes: 150, activeMembers: 2, newMembers: 2, twoWayShare: ratio(0, 2) }],
  },
};
