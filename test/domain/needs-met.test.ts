import { describe, expect, it } from 'vitest';
import { computeNeedsMet, type RequestFacts } from '../../src/domain/needs-met.js';

const DAY = 86_400_000;
const now = new Date('2026-03-31T00:00:00.000Z');
const day = (number: number) => new Date(Date.UTC(2026, 2, number));
const after = (from: Date, days: number) => new Date(from.getTime() + days * DAY);
const names = new Map([
  ['garden', 'Gardening'],
  ['lifts', 'Lifts'],
  ['tech', 'Computers'],
]);

const request = (categoryId: string, createdDay: number, stage: RequestFacts['stage'], respondedAfterDays: number | null = null, metAfterDays: number | null = null): RequestFacts => ({
  categoryId,
  createdAt: day(createdDay),
  stage,
  firstResponseAt: respondedAfterDays === null ? null : after(day(createdDay), respondedAfterDays),
  metAt: metAfterDays === null ? null : after(day(createdDay), metAfterDays),
});

describe('needsMet', () => {
  it('computes the share met, the medians and the unmet and idle categories of a small fixture', () => {
    const figures = computeNeedsMet({
      requests: [
        request('garden', 1, 'met', 1, 2),
        request('garden', 2, 'met', 0.5, 5),
        request('lifts', 3, 'met', 2, 8),
        request('lifts', 4, 'unmet', 3),
        request('lifts', 5, 'open'), // 26 days old: past 14, still open
        request('garden', 6, 'agreed', 1), // agreed: someone is on it
        request('tech', 25, 'open'), // 6 days old: not yet stalled
        request('tech', 10, 'withdrawn'),
      ],
      idleOffers: [
        { categoryId: 'tech', offers: 1 },
        { categoryId: 'garden', offers: 3 },
        { categoryId: 'lifts', offers: 0 },
      ],
      categoryNames: names,
      stalledAfterDays: 14,
      now,
    });
    expect(figures).toEqual({
      requests: 8,
      stalledAfterDays: 14,
      metShare: { value: 3 / 8, numerator: 3, denominator: 8 },
      medianDaysToMet: 5,
      // Responses after 1, 0.5, 2, 3 and 1 days.
      medianDaysToFirstResponse: 1,
      unmetByCategory: [{ categoryId: 'lifts', name: 'Lifts', requests: 2, markedUnmet: 1, stillOpen: 1 }],
      idleOffersByCategory: [
        { categoryId: 'garden', name: 'Gardening', offers: 3 },
        { categoryId: 'tech', name: 'Computers', offers: 1 },
      ],
    });
  });

  it('judges "still open" by stalledAfterDays from now, strictly after it', () => {
    const requests = [request('tech', 17, 'open'), request('tech', 16, 'open'), request('garden', 1, 'open')];
    const figures = computeNeedsMet({ requests, idleOffers: [], categoryNames: names, stalledAfterDays: 14, now: day(31) });
    // Created on the 17th: exactly 14 days before the 31st, not more.
    expect(figures.unmetByCategory).toEqual([
      { categoryId: 'tech', name: 'Computers', requests: 1, markedUnmet: 0, stillOpen: 1 },
      { categoryId: 'garden', name: 'Gardening', requests: 1, markedUnmet: 0, stillOpen: 1 },
    ]);
    const longer = computeNeedsMet({ requests, idleOffers: [], categoryNames: names, stalledAfterDays: 30, now: day(31) });
    expect(longer.unmetByCategory).toEqual([]);
  });

  it('has undefined figures, not zeros, for a window without requests', () => {
    const figures = computeNeedsMet({ requests: [], idleOffers: [], categoryNames: names, stalledAfterDays: 14, now });
    expect(figures).toEqual({
      requests: 0,
      stalledAfterDays: 14,
      metShare: { value: null, numerator: 0, denominator: 0 },
      medianDaysToMet: null,
      medianDaysToFirstResponse: null,
      unmetByCategory: [],
      idleOffersByCategory: [],
    });
  });
});
