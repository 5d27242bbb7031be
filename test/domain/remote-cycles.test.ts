import { describe, expect, it } from 'vitest';
import { categoriesByName, placeLinkedListing, remoteNode, sharedLinkedListing, type LocalCategory, type SharedListing } from '../../src/domain/linked-cycles.js';
import { buildCycleEdges, type CycleListing } from '../../src/domain/cycle-edges.js';
import { availabilityHours } from '../../src/domain/matching.js';

/*
 * A peer in another deployment shares its listings through its directory, without category ids
 * or stored skill text: read as linked listings, they must take the same place in the cycle
 * graph as a linked timebank's listings read from this database.
 */

const link = { linkId: 'link-hill', peerTimebankId: 'tb-hill' };

const shared = (overrides: Partial<SharedListing> = {}): SharedListing => ({
  id: 'offer-1',
  kind: 'offer',
  title: 'Garden Help',
  tags: ['Weeding', 'planting'],
  categoryName: 'Gardening',
  parentCategoryName: 'Home and garden',
  canBeRemote: true,
  availability: [{ day: 'sat', from: '10:00', to: '12:30' }],
  accountId: 'account-g',
  displayName: 'Gwen',
  ...overrides,
});

const local: LocalCategory[] = [
  { id: 'home', name: 'Home and garden', parentId: null },
  { id: 'garden', name: ' gardening ', parentId: 'home' },
  { id: 'music', name: 'Music', parentId: null },
];
const byName = categoriesByName(local);

const localRequest = (overrides: Partial<CycleListing> = {}): CycleListing => ({
  id: 'request-a',
  memberId: 'member-a',
  categoryId: 'garden',
  categoryParentId: 'home',
  skillText: 'garden help',
  location: { lat: 51.5, lon: -0.1 },
  maxDistanceKm: 5,
  remote: false,
  availabilityHours: null,
  ...overrides,
});
const graph = { offersPerRequest: 3, walkLimit: 24, defaultMaxDistanceKm: 10 };

describe('a listing of a peer in another deployment, as the cycle graph reads it', () => {
  it('keeps the link, the member and the listing, with skill text and hours as the peer stores them', () => {
    const read = sharedLinkedListing(link, shared());
    expect(read).toMatchObject({
      linkId: 'link-hill',
      peerTimebankId: 'tb-hill',
      accountId: 'account-g',
      displayName: 'Gwen',
      id: 'offer-1',
      kind: 'offer',
      categoryName: 'Gardening',
      parentCategoryName: 'Home and garden',
      skillText: 'garden help weeding planting',
      remote: true,
    });
    expect(read.availabilityHours).toBe(availabilityHours([{ day: 'sat', from: '10:00', to: '12:30' }]));
    expect(read.availabilityHours!.split('').filter((bit) => bit === '1')).toHaveLength(3);
    expect(sharedLinkedListing(link, shared({ availability: null, canBeRemote: false }))).toMatchObject({ availabilityHours: null, remote: false });
  });

  it('is placed in the local category of the same name, as a linked listing of this deployment is', () => {
    const placed = placeLinkedListing(sharedLinkedListing(link, shared()), byName);
    expect(placed).toMatchObject({ id: 'offer-1', memberId: remoteNode({ linkId: 'link-hill', accountId: 'account-g' }), categoryId: 'garden', categoryParentId: 'home', location: null, maxDistanceKm: null });
    const request = placeLinkedListing(sharedLinkedListing(link, shared({ id: 'request-1', kind: 'request', categoryName: 'Knitting' })), byName);
    expect(request).toBeNull();
  });

  it('keeps two peer categories of one name under different parents apart', () => {
    const underHome = placeLinkedListing(sharedLinkedListing(link, shared({ id: 'offer-h', categoryName: 'Other', parentCategoryName: 'Home and garden' })), byName)!;
    const underMusic = placeLinkedListing(sharedLinkedListing(link, shared({ id: 'offer-m', categoryName: 'Other', parentCategoryName: 'Music' })), byName)!;
    expect(underHome.categoryParentId).toBe('home');
    expect(underMusic.categoryParentId).toBe('music');
    expect(underHome.categoryId).not.toBe(underMusic.categoryId);
    // A request of the parent's name is met by the child under that parent only.
    const edges = buildCycleEdges([localRequest({ id: 'request-home', categoryId: 'home', categoryParentId: null, remote: true })], [underHome, underMusic], graph);
    expect(edges.map((edge) => edge.offerId)).toEqual(['offer-h']);
  });

  it('is not held to the request\'s distance, its location not being shared', () => {
    const offer = placeLinkedListing(sharedLinkedListing(link, shared({ canBeRemote: false, availability: null })), byName)!;
    const [edge] = buildCycleEdges([localRequest()], [offer], graph);
    expect(edge).toMatchObject({ giverMemberId: offer.memberId, receiverMemberId: 'member-a', offerId: 'offer-1', requestId: 'request-a' });
  });
});
