import { describe, expect, it } from 'vitest';
import {
  categoriesByName,
  CLEARING_NEUTRAL,
  clearingComponent,
  crossingsOf,
  everyLegHasLocalParty,
  LEG_MINUTES,
  placeLinkedListing,
  presentCycle,
  remoteNode,
  scoreLinkedCycles,
  scoreWithClearing,
  type LinkedListing,
  type RemoteParty,
} from '../../src/domain/linked-cycles.js';
import { buildCycleEdges, type CycleListing } from '../../src/domain/cycle-edges.js';
import { findCycles, type Cycle, type CycleEdge } from '../../src/domain/exchange-cycles.js';

const party = (name: string, linkId = 'link-south'): RemoteParty => ({ linkId, peerTimebankId: `tb-${linkId}`, accountId: `account-${name}`, displayName: name });
const x = party('x');
const y = party('y');
const z = party('z', 'link-east');
const [nodeX, nodeY, nodeZ] = [remoteNode(x), remoteNode(y), remoteNode(z)];
const parties = new Map([[nodeX, x], [nodeY, y], [nodeZ, z]]);
const isRemote = (node: string) => parties.has(node);

const leg = (giver: string, receiver: string, score = 0.6): CycleEdge => ({ giverMemberId: giver, receiverMemberId: receiver, offerId: `offer-${giver}`, requestId: `request-${receiver}`, score });
const cycleOf = (...legs: CycleEdge[]): Cycle => ({ members: legs.map((one) => one.giverMemberId), legs, score: Math.round((legs.reduce((sum, one) => sum + one.score, 0) / legs.length) * 1e6) / 1e6 });

describe('who takes part in a cycle with linked members', () => {
  it('needs a local party on every leg: a leg between two linked members is not this timebank\'s to suggest', () => {
    expect(everyLegHasLocalParty([leg('a', nodeX), leg(nodeX, 'b'), leg('b', 'a')], isRemote)).toBe(true);
    expect(everyLegHasLocalParty([leg('a', 'b'), leg('b', 'a')], isRemote)).toBe(true);
    expect(everyLegHasLocalParty([leg('a', nodeX), leg(nodeX, nodeY), leg(nodeY, 'a')], isRemote)).toBe(false);
    // Two linked timebanks' members are no better: neither is local.
    expect(everyLegHasLocalParty([leg(nodeX, nodeZ), leg(nodeZ, nodeX)], isRemote)).toBe(false);
    expect(everyLegHasLocalParty([], isRemote)).toBe(false);
  });

  it('drops the cycles that break the rule, and keeps a local-only cycle exactly as it was', () => {
    const local = cycleOf(leg('a', 'b', 0.9), leg('b', 'a', 0.4));
    const crossing = cycleOf(leg('a', nodeX), leg(nodeX, 'b'), leg('b', 'a'));
    const remoteOnly = cycleOf(leg('a', nodeX), leg(nodeX, nodeY), leg(nodeY, 'a'));
    const scored = scoreLinkedCycles([local, crossing, remoteOnly], parties, new Map());
    expect(scored.map((cycle) => cycle.members)).toEqual([local.members, crossing.members]);
    expect(scored[0]).toEqual({ ...local, clearing: null });
  });

  it('lists a linked member by link, account and name, with a null member id, on the legs they take part in', () => {
    const presented = presentCycle({ ...cycleOf(leg('a', nodeX), leg(nodeX, 'b'), leg('b', 'a')), clearing: 0.5 }, parties);
    expect(presented.members).toEqual(['a', null, 'b']);
    expect(presented.legs[0]).toEqual({ giverMemberId: 'a', receiverMemberId: null, offerId: 'offer-a', requestId: `request-${nodeX}`, score: 0.6, remote: true, ...x });
    expect(presented.legs[1]).toMatchObject({ giverMemberId: null, receiverMemberId: 'b', remote: true, accountId: 'account-x', linkId: 'link-south' });
    expect(presented.legs[2]).toEqual({ giverMemberId: 'b', receiverMemberId: 'a', offerId: 'offer-b', requestId: 'request-a', score: 0.6, remote: false });
    expect(presented.clearing).toBe(0.5);
    expect(Object.keys(presentCycle(cycleOf(leg('a', 'b'), leg('b', 'a')), parties))).toEqual(['members', 'legs', 'score']);
  });
});

describe('the clearing component', () => {
  it('reads each crossing leg as a change of this timebank\'s link balance: up when a linked member gives, down when one receives', () => {
    expect(crossingsOf([leg(nodeX, 'a'), leg('a', nodeZ), leg('a', 'b')], parties)).toEqual([
      { linkId: 'link-south', balanceChangeMinutes: LEG_MINUTES },
      { linkId: 'link-east', balanceChangeMinutes: -LEG_MINUTES },
    ]);
  });

  it('is neutral for a cycle that crosses a link both ways with the same minutes, whatever the balance', () => {
    const both = [{ linkId: 'link-south', balanceChangeMinutes: 60 }, { linkId: 'link-south', balanceChangeMinutes: -60 }];
    for (const balance of [0, 300, -300]) expect(clearingComponent(both, new Map([['link-south', balance]]), 180)).toBe(CLEARING_NEUTRAL);
  });

  it('rises with the share of the cycle\'s minutes that brings a balance toward zero, and is 0 for one that pushes it away', () => {
    const owed = new Map([['link-south', 300]]);
    // This timebank owes the peer: its members giving to the peer's clears the link.
    expect(clearingComponent([{ linkId: 'link-south', balanceChangeMinutes: -60 }], owed, 180)).toBeCloseTo(0.5 + 0.5 * (60 / 180), 6);
    expect(clearingComponent([{ linkId: 'link-south', balanceChangeMinutes: -180 }], owed, 180)).toBe(1);
    expect(clearingComponent([{ linkId: 'link-south', balanceChangeMinutes: 60 }], owed, 180)).toBe(0);
    // The other way round when the peer owes this timebank.
    expect(clearingComponent([{ linkId: 'link-south', balanceChangeMinutes: 60 }], new Map([['link-south', -300]]), 120)).toBe(0.75);
    // From an even link, any crossing that does not cancel out pushes it away.
    expect(clearingComponent([{ linkId: 'link-south', balanceChangeMinutes: -60 }], new Map(), 120)).toBe(0);
    // Past zero, only what was cleared counts: 30 owed, 60 given, 30 owed the other way.
    expect(clearingComponent([{ linkId: 'link-south', balanceChangeMinutes: -60 }], new Map([['link-south', 30]]), 120)).toBe(CLEARING_NEUTRAL);
  });

  it('adds up the links: what one clears counts against what another is pushed', () => {
    const balances = new Map([['link-south', 300], ['link-east', 0]]);
    const even = [{ linkId: 'link-south', balanceChangeMinutes: -60 }, { linkId: 'link-east', balanceChangeMinutes: 60 }];
    expect(clearingComponent(even, balances, 120)).toBe(CLEARING_NEUTRAL);
    const worse = [{ linkId: 'link-south', balanceChangeMinutes: -60 }, { linkId: 'link-east', balanceChangeMinutes: 120 }];
    expect(clearingComponent(worse, balances, 180)).toBe(0);
  });

  it('moves the score by at most a tenth either way, within [0, 1], and not at all when neutral', () => {
    expect(scoreWithClearing(0.62, CLEARING_NEUTRAL)).toBe(0.62);
    expect(scoreWithClearing(0.62, 1)).toBe(0.72);
    expect(scoreWithClearing(0.62, 0)).toBe(0.52);
    expect(scoreWithClearing(0.95, 1)).toBe(1);
    expect(scoreWithClearing(0.05, 0)).toBe(0);
  });

  it('leaves every link as it was in a cycle whose every leg has a local party, since each linked member gives and receives once', () => {
    const balances = new Map([['link-south', 300], ['link-east', -120]]);
    const cycles = [
      cycleOf(leg('a', nodeX), leg(nodeX, 'b'), leg('b', 'a')),
      cycleOf(leg('a', nodeX), leg(nodeX, 'b'), leg('b', nodeZ), leg(nodeZ, 'a')),
      cycleOf(leg(nodeY, 'a'), leg('a', nodeY)),
    ];
    for (const scored of scoreLinkedCycles(cycles, parties, balances)) {
      expect(scored.clearing).toBe(CLEARING_NEUTRAL);
      expect(scored.score).toBe(0.6);
    }
  });
});

describe('linked listings in the cycle graph', () => {
  const local = categoriesByName([
    { id: 'c-home', name: 'Home and garden', parentId: null },
    { id: 'c-garden', name: 'Gardening', parentId: 'c-home' },
    { id: 'c-music', name: 'Music', parentId: null },
    { id: 'c-music-child', name: 'Music', parentId: 'c-home' },
  ]);
  const linked = (change: Partial<LinkedListing>): LinkedListing => ({
    ...x,
    id: 'listing-x',
    kind: 'offer',
    categoryId: 'peer-category',
    categoryName: ' gardening ',
    parentCategoryName: null,
    skillText: 'vegetable gardening',
    remote: false,
    availabilityHours: null,
    ...change,
  });

  it('places a linked listing in the local category of the same name, with the local parent, and without a location', () => {
    expect(placeLinkedListing(linked({}), local)).toEqual({
      id: 'listing-x',
      memberId: nodeX,
      categoryId: 'c-garden',
      categoryParentId: 'c-home',
      skillText: 'vegetable gardening',
      location: null,
      maxDistanceKm: null,
      remote: false,
      availabilityHours: null,
    });
    // Names that repeat: the top-level one.
    expect(placeLinkedListing(linked({ categoryName: 'MUSIC' }), local)?.categoryId).toBe('c-music');
  });

  it('keeps an offer whose category has no namesake under the parent of its parent\'s name, and drops what cannot fit', () => {
    expect(placeLinkedListing(linked({ categoryName: 'Hedge trimming', parentCategoryName: 'Gardening' }), local)).toMatchObject({ categoryId: `~tb-link-south/peer-category`, categoryParentId: 'c-garden' });
    expect(placeLinkedListing(linked({ categoryName: 'Hedge trimming', parentCategoryName: 'Gardening', kind: 'request' }), local)).toBeNull();
    expect(placeLinkedListing(linked({ categoryName: 'Astronomy' }), local)).toBeNull();
  });

  it('makes edges to and from local members that close a cycle through a linked member', () => {
    const listing = (id: string, memberId: string, categoryId: string): CycleListing => ({ id, memberId, categoryId, categoryParentId: null, skillText: 'garden help', location: null, maxDistanceKm: null, remote: false, availabilityHours: null });
    const offerOfX = placeLinkedListing(linked({ id: 'offer-x' }), local)!;
    const requestOfX = placeLinkedListing(linked({ id: 'request-x', kind: 'request', categoryName: 'Music' }), local)!;
    const options = { offersPerRequest: 3, walkLimit: 24, defaultMaxDistanceKm: 25 };
    const edges = [
      ...buildCycleEdges([listing('request-a', 'a', 'c-garden')], [listing('offer-a', 'a', 'c-music'), offerOfX], options),
      ...buildCycleEdges([requestOfX], [listing('offer-a', 'a', 'c-music')], options),
    ];
    const { cycles } = findCycles(edges, 2, { maxCycles: 10, deadline: Number.POSITIVE_INFINITY, now: () => 0 });
    expect(cycles.map((cycle) => cycle.members)).toEqual([['a', nodeX]]);
  });
});
