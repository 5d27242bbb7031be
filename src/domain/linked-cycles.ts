import type { CycleListing } from './cycle-edges.js';
import type { Cycle, CycleEdge } from './exchange-cycles.js';
import { availabilityHours } from './matching.js';
import { categoryNameKey, skillTextOf, type SharedOffer } from './remote-matching.js';

/*
 * Exchange cycles that include linked timebanks' members (docs/federation.md, "Cycles and
 * clearing loops"). A linked member is a node of the cycle graph known by its link and account,
 * never by a member id. This timebank suggests only the exchanges its own members take part in,
 * so every leg has a local party; and a cycle that brings a link's balance back toward zero
 * ranks higher, through the `clearing` component.
 */

/** A linked timebank's visible member, as the link directory shows them. */
export type RemoteParty = { linkId: string; peerTimebankId: string; accountId: string; displayName: string };

/**
 * The graph node of a linked member. It cannot be a member id (a uuid), and sorts after every
 * uuid, so that a cycle, listed from its smallest node, starts with a local member.
 */
export const remoteNode = (party: Pick<RemoteParty, 'linkId' | 'accountId'>) => `~${party.linkId}/${party.accountId}`;

/**
 * Every leg has a local party: a leg between two linked members would be the linked timebank's
 * business, not this one's. A cycle of such legs always includes a local member.
 */
export function everyLegHasLocalParty(legs: CycleEdge[], isRemote: (node: string) => boolean): boolean {
  return legs.length > 0 && legs.every((leg) => !isRemote(leg.giverMemberId) || !isRemote(leg.receiverMemberId));
}

/*
 * Clearing. A link's balance is positive when this timebank owes the peer. A leg in which a
 * linked member helps a local one adds its minutes to it; a leg in which a local member helps a
 * linked one takes them off. Listings carry no duration and every member of a cycle gives and
 * receives the same time, so each leg stands for LEG_MINUTES.
 *
 *   reduction = sum over the links crossed of |balance| - |balance + net change of the cycle|
 *   clearing  = 0.5 + 0.5 * reduction / (legs * LEG_MINUTES)   when reduction >= 0
 *             = 0                                               when reduction < 0
 *   score     = mean leg score + CLEARING_WEIGHT * (clearing - 0.5), within [0, 1]
 *
 * A cycle that leaves every link as it was (crossing each both ways with the same minutes) is
 * neutral: clearing 0.5, score the mean leg score. Local-only cycles have no clearing component.
 */

export const LEG_MINUTES = 60;
export const CLEARING_NEUTRAL = 0.5;
/** At most a tenth of the score either way: a cycle's legs must still fit first. */
export const CLEARING_WEIGHT = 0.2;

/** A leg that crosses a link: how it changes this timebank's balance with the peer. */
export type Crossing = { linkId: string; balanceChangeMinutes: number };

/** The legs of a cycle that cross a link, each moving LEG_MINUTES (or `legMinutes`). */
export function crossingsOf(legs: CycleEdge[], parties: ReadonlyMap<string, RemoteParty>, legMinutes = LEG_MINUTES): Crossing[] {
  const crossings: Crossing[] = [];
  for (const leg of legs) {
    const giver = parties.get(leg.giverMemberId);
    const receiver = parties.get(leg.receiverMemberId);
    if (giver) crossings.push({ linkId: giver.linkId, balanceChangeMinutes: legMinutes });
    if (receiver) crossings.push({ linkId: receiver.linkId, balanceChangeMinutes: -legMinutes });
  }
  return crossings;
}

/** The clearing component in [0, 1], for a cycle of `cycleMinutes` in all (see above). */
export function clearingComponent(crossings: Crossing[], balances: ReadonlyMap<string, number>, cycleMinutes: number): number {
  const net = new Map<string, number>();
  for (const crossing of crossings) net.set(crossing.linkId, (net.get(crossing.linkId) ?? 0) + crossing.balanceChangeMinutes);
  let reduction = 0;
  for (const [linkId, change] of net) {
    const before = balances.get(linkId) ?? 0;
    reduction += Math.abs(before) - Math.abs(before + change);
  }
  if (reduction < 0) return 0;
  if (cycleMinutes <= 0) return CLEARING_NEUTRAL;
  return round(CLEARING_NEUTRAL + (1 - CLEARING_NEUTRAL) * Math.min(1, reduction / cycleMinutes));
}

export function scoreWithClearing(meanLegScore: number, clearing: number): number {
  return round(Math.min(1, Math.max(0, meanLegScore + CLEARING_WEIGHT * (clearing - CLEARING_NEUTRAL))));
}

export type LinkedCycle = Cycle & { clearing: number | null };

/**
 * Keeps the cycles in which every leg has a local party, and scores those that cross a link
 * with their clearing component; a local-only cycle keeps its score and has none.
 */
export function scoreLinkedCycles(cycles: Cycle[], parties: ReadonlyMap<string, RemoteParty>, balances: ReadonlyMap<string, number>): LinkedCycle[] {
  const scored: LinkedCycle[] = [];
  for (const cycle of cycles) {
    if (!everyLegHasLocalParty(cycle.legs, (node) => parties.has(node))) continue;
    const crossings = crossingsOf(cycle.legs, parties);
    if (crossings.length === 0) {
      scored.push({ ...cycle, clearing: null });
      continue;
    }
    const clearing = clearingComponent(crossings, balances, cycle.legs.length * LEG_MINUTES);
    scored.push({ ...cycle, score: scoreWithClearing(cycle.score, clearing), clearing });
  }
  return scored;
}

export type CycleLeg = {
  giverMemberId: string | null;
  receiverMemberId: string | null;
  offerId: string;
  requestId: string;
  score: number;
  /** A linked member takes part: the fields below name them (the leg's other party is local). */
  remote: boolean;
  linkId?: string;
  peerTimebankId?: string;
  accountId?: string;
  displayName?: string;
};

export type SuggestedCycle = { members: Array<string | null>; legs: CycleLeg[]; score: number; clearing?: number };

/** A cycle as the route answers it: linked members by link, account and name, their member id null. */
export function presentCycle(cycle: Cycle & { clearing?: number | null }, parties: ReadonlyMap<string, RemoteParty>): SuggestedCycle {
  const memberId = (node: string) => (parties.has(node) ? null : node);
  const legs = cycle.legs.map((leg): CycleLeg => {
    const party = parties.get(leg.giverMemberId) ?? parties.get(leg.receiverMemberId);
    return {
      giverMemberId: memberId(leg.giverMemberId),
      receiverMemberId: memberId(leg.receiverMemberId),
      offerId: leg.offerId,
      requestId: leg.requestId,
      score: leg.score,
      remote: party !== undefined,
      ...(party ? { linkId: party.linkId, peerTimebankId: party.peerTimebankId, accountId: party.accountId, displayName: party.displayName } : {}),
    };
  });
  return { members: cycle.members.map(memberId), legs, score: cycle.score, ...(typeof cycle.clearing === 'number' ? { clearing: cycle.clearing } : {}) };
}

/*
 * Categories. Each timebank names and numbers its own, so a linked listing is placed in the
 * local category of the same name (case and surrounding spaces aside), as a local listing there
 * would be. A linked offer whose category has no local namesake but whose parent has one is in
 * a category of its own under that parent, so that it fits requests of the parent's name less
 * well, as it does in a request's matches.
 */

export type LocalCategory = { id: string; name: string; parentId: string | null };

/** A linked listing as read: its category by name, its member by link and account. */
export type LinkedListing = RemoteParty & {
  id: string;
  kind: 'offer' | 'request';
  categoryId: string;
  categoryName: string;
  parentCategoryName: string | null;
  skillText: string;
  remote: boolean;
  availabilityHours: string | null;
};

/** A listing of a linked timebank in another deployment, as its directory shares it: what matching compares, and whose it is. */
export type SharedListing = SharedOffer & { id: string; kind: 'offer' | 'request'; accountId: string; displayName: string };

/**
 * A directory listing of a peer in another deployment, read as a linked listing here. The peer
 * shares no category ids, so its category is known by its name and its parent's: two of its
 * categories of one name under different parents stay apart. Skill text and weekly hours are
 * what the peer's database would hold, from title and tags and from the shared windows.
 */
export function sharedLinkedListing(link: Pick<RemoteParty, 'linkId' | 'peerTimebankId'>, listing: SharedListing): LinkedListing {
  return {
    linkId: link.linkId,
    peerTimebankId: link.peerTimebankId,
    accountId: listing.accountId,
    displayName: listing.displayName,
    id: listing.id,
    kind: listing.kind,
    categoryId: JSON.stringify([listing.parentCategoryName === null ? null : categoryNameKey(listing.parentCategoryName), categoryNameKey(listing.categoryName)]),
    categoryName: listing.categoryName,
    parentCategoryName: listing.parentCategoryName,
    skillText: skillTextOf(listing.title, listing.tags),
    remote: listing.canBeRemote,
    availabilityHours: availabilityHours(listing.availability),
  };
}

/** Local categories by name; where names repeat (under different parents), a top-level one, then the smallest id. */
export function categoriesByName(categories: LocalCategory[]): Map<string, LocalCategory> {
  const ordered = [...categories].sort((left, right) => Number(left.parentId !== null) - Number(right.parentId !== null) || (left.id < right.id ? -1 : 1));
  const byName = new Map<string, LocalCategory>();
  for (const category of ordered) if (!byName.has(categoryNameKey(category.name))) byName.set(categoryNameKey(category.name), category);
  return byName;
}

/**
 * The linked listing as a node's listing of the cycle graph, or null when no local listing could
 * meet it or be met by it. Its location is not shared across the link: distance counts only
 * whether both can happen remotely.
 */
export function placeLinkedListing(listing: LinkedListing, byName: ReadonlyMap<string, LocalCategory>): CycleListing | null {
  const namesake = byName.get(categoryNameKey(listing.categoryName));
  const parent = listing.parentCategoryName === null ? undefined : byName.get(categoryNameKey(listing.parentCategoryName));
  if (!namesake && (listing.kind === 'request' || !parent)) return null;
  return {
    id: listing.id,
    memberId: remoteNode(listing),
    categoryId: namesake ? namesake.id : `~${listing.peerTimebankId}/${listing.categoryId}`,
    categoryParentId: namesake ? namesake.parentId : parent!.id,
    skillText: listing.skillText,
    location: null,
    maxDistanceKm: null,
    remote: listing.remote,
    availabilityHours: listing.availabilityHours,
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
