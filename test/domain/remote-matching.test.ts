import { describe, expect, it } from 'vitest';
import { availabilityHours, matchScore, matchWeights, trigramSimilarity } from '../../src/domain/matching.js';
import {
  categoryFitByName,
  preRankRemoteOffers,
  REMOTE_NEUTRAL,
  remoteOfferComponents,
  sharedOfferFigures,
  TRIGRAM_THRESHOLD,
  type RemoteOfferFigures,
  type RequestForRemote,
  type SharedOffer,
} from '../../src/domain/remote-matching.js';

const figures = (change: Partial<RemoteOfferFigures> = {}): RemoteOfferFigures => ({
  requestCategory: 'Gardening',
  offerCategory: 'Gardening',
  offerParentCategory: 'Home and garden',
  textSimilarity: 0.4,
  bothRemote: false,
  overlapHours: null,
  smallerHours: null,
  ...change,
});

describe('category fit across timebanks', () => {
  it('compares names, not ids: the same name fits, a parent of that name fits less, another name not at all', () => {
    expect(categoryFitByName('Gardening', 'Gardening', null)).toBe(1);
    expect(categoryFitByName('Cooking and food', 'Baking', 'Cooking and food')).toBe(0.7);
    expect(categoryFitByName('Gardening', 'Music lessons', 'Learning')).toBe(0);
    expect(categoryFitByName('Gardening', 'Baking', null)).toBe(0);
  });

  it('ignores case and surrounding spaces, since each timebank names its own categories', () => {
    expect(categoryFitByName('Pet care', '  pet CARE ', null)).toBe(1);
    expect(categoryFitByName('pet care', 'Dog walking', 'Pet Care')).toBe(0.7);
    // A name that only contains the other is another category.
    expect(categoryFitByName('Care', 'Pet care', null)).toBe(0);
  });
});

describe('components of a remote offer', () => {
  it('gives the neutral value to every component that would read the peer member\'s history or location', () => {
    const components = remoteOfferComponents(figures());
    expect(REMOTE_NEUTRAL).toBe(0.5);
    expect(components).toEqual({ categoryFit: 1, textSimilarity: 0.4, distance: 0.5, availability: 0.5, rebalance: 0.5, closesLoop: 0.5, newTie: 0.5, load: 0.5 });
  });

  it('scores distance 1 when both can happen remotely, and availability from the shared hours', () => {
    const components = remoteOfferComponents(figures({ bothRemote: true, overlapHours: 2, smallerHours: 3, offerCategory: 'Lawn care', textSimilarity: 0.1234567 }));
    expect(components.distance).toBe(1);
    expect(components.availability).toBeCloseTo(2 / 3, 6);
    expect(components.categoryFit).toBe(0);
    expect(components.textSimilarity).toBe(0.123457);
  });

  it('ranks a better-fitting remote offer higher, all else being neutral', () => {
    const same = matchScore(remoteOfferComponents(figures()));
    const child = matchScore(remoteOfferComponents(figures({ requestCategory: 'Home and garden' })));
    const other = matchScore(remoteOfferComponents(figures({ offerCategory: 'Baking', offerParentCategory: 'Cooking and food' })));
    expect(same - child).toBeCloseTo(matchWeights.categoryFit * 0.3, 6);
    expect(child).toBeGreaterThan(other);
    // The neutral components contribute half their weight, whoever the member is.
    const neutralShare = (matchWeights.rebalance + matchWeights.closesLoop + matchWeights.newTie + matchWeights.load + matchWeights.distance + matchWeights.availability) * 0.5;
    expect(other).toBeCloseTo(neutralShare + matchWeights.textSimilarity * 0.4, 6);
  });
});

describe('offers of a timebank in another deployment, from its directory', () => {
  const request = (change: Partial<RequestForRemote> = {}): RequestForRemote => ({ categoryName: 'Gardening', skillText: 'garden', remote: false, availabilityHours: null, ...change });
  const offer = (change: Partial<SharedOffer> = {}): SharedOffer => ({
    title: 'Gardening',
    tags: [],
    categoryName: 'Gardening',
    parentCategoryName: null,
    canBeRemote: false,
    availability: null,
    ...change,
  });
  const unrelated = { categoryName: 'Music lessons', parentCategoryName: 'Learning' };

  it('computes text similarity in memory on title and tags, as pg_trgm does', () => {
    // "garden" and "gardening" share 6 trigrams of 11 ("en " ends only the shorter word).
    expect(sharedOfferFigures(request(), offer())!.textSimilarity).toBeCloseTo(6 / 11, 12);
    expect(sharedOfferFigures(request({ skillText: 'piano lessons' }), offer({ title: 'Piano lessons' }))!.textSimilarity).toBe(1);
    // Tags count, and case does not.
    const byTags = sharedOfferFigures(request({ skillText: 'piano lessons' }), offer({ title: 'Bicycle repair', tags: ['PIANO', 'Lessons'], ...unrelated }));
    expect(byTags!.textSimilarity).toBeCloseTo(trigramSimilarity('bicycle repair piano lessons', 'piano lessons'), 12);
    expect(byTags!.textSimilarity).toBeGreaterThan(TRIGRAM_THRESHOLD);
    // The same words score higher than unrelated ones.
    const same = sharedOfferFigures(request({ skillText: 'piano lessons' }), offer({ title: 'Piano lessons' }))!;
    const other = sharedOfferFigures(request({ skillText: 'piano lessons' }), offer({ title: 'Bicycle repair' }))!;
    expect(other.textSimilarity).toBe(0);
    expect(same.textSimilarity).toBeGreaterThan(other.textSimilarity);
  });

  it('excludes an offer whose category does not fit and whose text is below pg_trgm\'s 0.3 threshold', () => {
    expect(TRIGRAM_THRESHOLD).toBe(0.3);
    expect(sharedOfferFigures(request({ skillText: 'piano lessons' }), offer({ title: 'Bicycle repair', ...unrelated }))).toBeNull();
    // "car" shares 3 of 11 trigrams with "carpentry": similar, but not enough on its own.
    expect(trigramSimilarity('car', 'carpentry')).toBeCloseTo(3 / 11, 12);
    expect(sharedOfferFigures(request({ skillText: 'carpentry' }), offer({ title: 'Car', ...unrelated }))).toBeNull();
    // The same text qualifies an offer whose category fits, and is kept as it is.
    expect(sharedOfferFigures(request({ skillText: 'carpentry' }), offer({ title: 'Car' }))!.textSimilarity).toBeCloseTo(3 / 11, 12);
    // Text at the threshold qualifies an offer whose category does not fit.
    const similar = sharedOfferFigures(request(), offer(unrelated));
    expect(similar).not.toBeNull();
    expect(remoteOfferComponents(similar!).categoryFit).toBe(0);
  });

  it('fits categories by name: the same name 1, a parent of that name 0.7, case and spaces aside', () => {
    const text = { skillText: 'piano lessons', categoryName: 'Gardening' };
    const same = sharedOfferFigures(request(text), offer({ title: 'Bicycle repair', categoryName: '  gardening ', parentCategoryName: 'Home' }));
    const parent = sharedOfferFigures(request(text), offer({ title: 'Bicycle repair', categoryName: 'Lawn care', parentCategoryName: 'GARDENING ' }));
    expect(same).toEqual({ requestCategory: 'Gardening', offerCategory: '  gardening ', offerParentCategory: 'Home', textSimilarity: 0, bothRemote: false, overlapHours: null, smallerHours: null });
    expect(remoteOfferComponents(same!).categoryFit).toBe(1);
    expect(remoteOfferComponents(parent!).categoryFit).toBe(0.7);
  });

  it('excludes an offer with no weekly hours in common, and scores the hours shared otherwise', () => {
    const mornings = availabilityHours([{ day: 'mon', from: '09:00', to: '12:00' }]);
    expect(sharedOfferFigures(request({ availabilityHours: mornings, skillText: 'gardening' }), offer({ availability: [{ day: 'tue', from: '09:00', to: '12:00' }] }))).toBeNull();
    const overlapping = sharedOfferFigures(request({ availabilityHours: mornings }), offer({ availability: [{ day: 'mon', from: '11:00', to: '13:00' }] }));
    expect(overlapping).toMatchObject({ overlapHours: 1, smallerHours: 2 });
    expect(remoteOfferComponents(overlapping!).availability).toBe(0.5);
    const within = sharedOfferFigures(request({ availabilityHours: mornings }), offer({ availability: [{ day: 'mon', from: '10:00', to: '12:00' }] }));
    expect(within).toMatchObject({ overlapHours: 2, smallerHours: 2 });
    expect(remoteOfferComponents(within!).availability).toBe(1);
    // Hours given on one side only neither exclude nor count.
    for (const [requestHours, offerWindows] of [
      [mornings, null],
      [mornings, []],
      [null, [{ day: 'tue' as const, from: '09:00', to: '12:00' }]],
    ] as const) {
      const figures = sharedOfferFigures(request({ availabilityHours: requestHours }), offer({ availability: offerWindows === null ? null : [...offerWindows] }));
      expect(figures).toMatchObject({ overlapHours: null, smallerHours: null });
      expect(remoteOfferComponents(figures!).availability).toBe(REMOTE_NEUTRAL);
    }
  });

  it('scores distance 1 only when both the request and the offer can happen remotely, 0.5 otherwise', () => {
    const distance = (requestRemote: boolean, offerRemote: boolean) => {
      const figures = sharedOfferFigures(request({ remote: requestRemote }), offer({ canBeRemote: offerRemote }))!;
      expect(figures.bothRemote).toBe(requestRemote && offerRemote);
      return remoteOfferComponents(figures).distance;
    };
    expect(distance(true, true)).toBe(1);
    expect(distance(true, false)).toBe(0.5);
    expect(distance(false, true)).toBe(0.5);
    expect(distance(false, false)).toBe(0.5);
  });

  it('pre-ranks by category fit, then text, ties by offer id, keeping the best `max` whatever the order given', () => {
    const candidate = (offerId: string, fit: 'same' | 'parent' | 'none', textSimilarity: number) =>
      ({ ...figures({ offerCategory: fit === 'same' ? 'Gardening' : 'Lawn care', offerParentCategory: fit === 'parent' ? 'Gardening' : null, textSimilarity }), offerId });
    const candidates = [
      candidate('d', 'none', 0.4), // 0.06
      candidate('tie-3', 'parent', 0), // 0.175
      candidate('a', 'same', 0), // 0.25
      candidate('c', 'none', 1), // 0.15: text alone ranks below a parent category
      candidate('tie-1', 'parent', 0),
      candidate('e', 'same', 0.2), // 0.28
      candidate('tie-2', 'parent', 0),
    ];
    const expected = ['e', 'a', 'tie-1', 'tie-2', 'tie-3', 'c', 'd'];
    const given = candidates.map((entry) => entry.offerId);
    const rotated = [...candidates.slice(3), ...candidates.slice(0, 3)];
    for (const order of [candidates, [...candidates].reverse(), rotated]) {
      expect(preRankRemoteOffers(order, candidates.length).map((entry) => entry.offerId)).toEqual(expected);
      expect(preRankRemoteOffers(order, 4).map((entry) => entry.offerId)).toEqual(expected.slice(0, 4));
    }
    expect(preRankRemoteOffers(candidates, 100)).toHaveLength(candidates.length);
    expect(preRankRemoteOffers(candidates, 0)).toEqual([]);
    // The candidates are returned as given, and the list given is left as it was.
    expect(preRankRemoteOffers(candidates, 1)[0]).toBe(candidates[5]);
    expect(candidates.map((entry) => entry.offerId)).toEqual(given);
  });
});
