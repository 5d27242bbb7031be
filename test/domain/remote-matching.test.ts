import { describe, expect, it } from 'vitest';
import { matchScore, matchWeights } from '../../src/domain/matching.js';
import { categoryFitByName, REMOTE_NEUTRAL, remoteOfferComponents, type RemoteOfferFigures } from '../../src/domain/remote-matching.js';

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
