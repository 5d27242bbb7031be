import { describe, expect, it } from 'vitest';
import { Rejection } from '../../src/domain/errors.js';
import { PEER_DIRECTORY_LIMITS } from '../../src/domain/remote-matching.js';
import { rejectionCodes } from '../../src/http/problem-codes.js';
import { readPeerDirectory } from '../../src/use-cases/federation/peer-directory.js';

/*
 * A linked deployment's answer to the directory request is shown to this timebank's members and
 * scored by its matching, so it is read defensively (docs/federation.md, "Reading a peer's
 * answer"): what has the directory's shape is kept, in that shape and nothing more.
 */

const PEER = 'https://peer.example';

const idOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

const member = (n: number, change: Record<string, unknown> = {}): Record<string, unknown> => ({ accountId: idOf(n), displayName: `Member ${n}`, ...change });

const listing = (n: number, change: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: idOf(100_000 + n),
  kind: 'offer',
  title: `Listing ${n}`,
  description: 'Help with the garden',
  tags: ['garden', 'weeding'],
  categoryName: 'Gardening',
  parentCategoryName: 'Home and garden',
  canBeRemote: false,
  availability: [{ day: 'mon', from: '09:00', to: '12:00' }],
  accountId: idOf(n),
  displayName: `Member ${n}`,
  createdAt: '2025-03-01T10:00:00.000Z',
  ...change,
});

/** The rejection `readPeerDirectory` throws for `answer`; fails the test when it throws none. */
function refusal(answer: unknown): Rejection {
  try {
    readPeerDirectory(PEER, answer);
  } catch (error) {
    if (error instanceof Rejection) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(answer)} was read as a directory`);
}

describe('reading a peer deployment\'s directory', () => {
  it('passes a well-formed answer through in the directory\'s shape, every entry marked remote', () => {
    const answer = {
      members: [member(1), member(2)],
      listings: [
        listing(1),
        listing(2, {
          kind: 'request',
          tags: [],
          parentCategoryName: null,
          canBeRemote: true,
          availability: null,
          description: '',
          createdAt: '2025-03-01T10:00:00+02:00',
        }),
      ],
    };
    expect(readPeerDirectory(PEER, answer)).toEqual({
      members: [
        { accountId: idOf(1), displayName: 'Member 1', remote: true },
        { accountId: idOf(2), displayName: 'Member 2', remote: true },
      ],
      listings: [
        {
          id: idOf(100_001),
          kind: 'offer',
          title: 'Listing 1',
          description: 'Help with the garden',
          tags: ['garden', 'weeding'],
          categoryName: 'Gardening',
          parentCategoryName: 'Home and garden',
          canBeRemote: false,
          availability: [{ day: 'mon', from: '09:00', to: '12:00' }],
          accountId: idOf(1),
          displayName: 'Member 1',
          createdAt: '2025-03-01T10:00:00.000Z',
          remote: true,
        },
        {
          id: idOf(100_002),
          kind: 'request',
          title: 'Listing 2',
          description: '',
          tags: [],
          categoryName: 'Gardening',
          parentCategoryName: null,
          canBeRemote: true,
          availability: null,
          accountId: idOf(2),
          displayName: 'Member 2',
          // A time with an offset is shown as this deployment writes its own: UTC.
          createdAt: '2025-03-01T08:00:00.000Z',
          remote: true,
        },
      ],
    });
    expect(readPeerDirectory(PEER, { members: [], listings: [] })).toEqual({ members: [], listings: [] });
  });

  it('leaves out members without the shape and keeps the others, in order', () => {
    const answer = {
      members: [
        member(1),
        member(2, { accountId: 'not-a-uuid' }),
        member(3, { accountId: idOf(0xabc).toUpperCase() }),
        member(4, { displayName: '' }),
        member(5, { displayName: 'x'.repeat(201) }),
        { accountId: idOf(6) },
        member(7, { accountId: 7 }),
        null,
        'member',
        [idOf(8), 'Member 8'],
        member(9, { displayName: 'y'.repeat(200) }),
      ],
      listings: [],
    };
    expect(readPeerDirectory(PEER, answer).members).toEqual([
      { accountId: idOf(1), displayName: 'Member 1', remote: true },
      { accountId: idOf(9), displayName: 'y'.repeat(200), remote: true },
    ]);
  });

  it('leaves out listings without the shape and keeps the ones at the edges of it', () => {
    const malformed: Record<string, unknown>[] = [
      listing(2, { id: 'listing-2' }),
      listing(3, { accountId: 'nobody' }),
      listing(4, { kind: 'need' }),
      listing(5, { title: '' }),
      listing(6, { title: 't'.repeat(201) }),
      listing(7, { description: 'd'.repeat(2001) }),
      listing(8, { tags: Array.from({ length: 21 }, (_, index) => `tag${index}`) }),
      listing(9, { tags: ['t'.repeat(51)] }),
      listing(10, { tags: 'garden' }),
      listing(11, { categoryName: '' }),
      listing(12, { parentCategoryName: undefined }),
      listing(13, { canBeRemote: 'yes' }),
      // Windows that end before they start, or when they start.
      listing(14, { availability: [{ day: 'mon', from: '12:00', to: '09:00' }] }),
      listing(15, { availability: [{ day: 'mon', from: '09:00', to: '09:00' }] }),
      listing(16, { availability: [{ day: 'monday', from: '09:00', to: '12:00' }] }),
      listing(17, { availability: [{ day: 'mon', from: '9:00', to: '12:00' }] }),
      listing(18, { availability: [{ day: 'mon', from: '09:00', to: '25:00' }] }),
      listing(19, { availability: Array.from({ length: 51 }, () => ({ day: 'tue', from: '10:00', to: '11:00' })) }),
      listing(20, { createdAt: 'yesterday' }),
      listing(21, { createdAt: '2025-03-01T10:00:00' }),
      listing(22, { displayName: undefined }),
    ];
    const atTheEdges: Record<string, unknown>[] = [
      listing(30, { title: 't'.repeat(200), description: 'd'.repeat(2000) }),
      listing(31, { tags: Array.from({ length: 20 }, (_, index) => `t${index}`.padEnd(50, '.')) }),
      listing(32, { availability: [{ day: 'sun', from: '23:00', to: '24:00' }] }),
      listing(33, { availability: Array.from({ length: 50 }, () => ({ day: 'tue', from: '10:00', to: '11:00' })) }),
    ];
    const answer = { members: [], listings: [listing(1), ...malformed, 'listing', null, 42, ...atTheEdges] };
    const read = readPeerDirectory(PEER, answer).listings;
    expect(read.map((entry) => entry.id)).toEqual([1, 30, 31, 32, 33].map((n) => idOf(100_000 + n)));
    expect(read[1]!.title).toHaveLength(200);
    expect(read[2]!.tags).toHaveLength(20);
    expect(read[3]!.availability).toEqual([{ day: 'sun', from: '23:00', to: '24:00' }]);
    expect(read[4]!.availability).toHaveLength(50);
  });

  it('drops every field the directory does not have, however it is nested', () => {
    const answer = {
      timebank: { name: 'Elsewhere', secret: 'x' },
      members: [member(1, { email: 'ann@peer.example', location: { lat: 52.1, lon: 4.3 }, memberId: idOf(99), remote: false })],
      listings: [
        listing(1, {
          location: { lat: 52.1, lon: 4.3 },
          maxDistanceKm: 5,
          email: 'ann@peer.example',
          memberId: idOf(99),
          remote: false,
          availability: [{ day: 'mon', from: '09:00', to: '12:00', note: 'at home' }],
        }),
      ],
    };
    const read = readPeerDirectory(PEER, answer);
    expect(Object.keys(read).sort()).toEqual(['listings', 'members']);
    expect(read.members).toEqual([{ accountId: idOf(1), displayName: 'Member 1', remote: true }]);
    expect(Object.keys(read.listings[0]!).sort()).toEqual(
      ['accountId', 'availability', 'canBeRemote', 'categoryName', 'createdAt', 'description', 'displayName', 'id', 'kind', 'parentCategoryName', 'remote', 'tags', 'title'].sort(),
    );
    // A peer cannot have its entries shown as this timebank's own.
    expect(read.listings[0]!.remote).toBe(true);
    expect(read.listings[0]!.availability).toEqual([{ day: 'mon', from: '09:00', to: '12:00' }]);
    expect(JSON.stringify(read)).not.toMatch(/email|location|lat|memberId|note|Elsewhere|secret/);
  });

  it('reads no more than the first 1,000 members and 2,000 listings', () => {
    expect(PEER_DIRECTORY_LIMITS).toEqual({ members: 1000, listings: 2000 });
    const members = Array.from({ length: PEER_DIRECTORY_LIMITS.members + 5 }, (_, index) => member(index));
    const listings = Array.from({ length: PEER_DIRECTORY_LIMITS.listings + 5 }, (_, index) => listing(index));
    const read = readPeerDirectory(PEER, { members, listings });
    expect(read.members).toHaveLength(PEER_DIRECTORY_LIMITS.members);
    expect(read.listings).toHaveLength(PEER_DIRECTORY_LIMITS.listings);
    // The first ones, in the peer's order.
    expect(read.members.at(-1)!.accountId).toBe(idOf(PEER_DIRECTORY_LIMITS.members - 1));
    expect(read.listings.at(-1)!.id).toBe(idOf(100_000 + PEER_DIRECTORY_LIMITS.listings - 1));
  });

  it('counts entries left out towards the limit, so a flood of bad entries cannot make it read more', () => {
    const members = [...Array.from({ length: PEER_DIRECTORY_LIMITS.members }, () => 'junk'), member(1)];
    const listings = [...Array.from({ length: PEER_DIRECTORY_LIMITS.listings - 1 }, () => ({})), listing(1), listing(2)];
    const read = readPeerDirectory(PEER, { members, listings });
    expect(read.members).toEqual([]);
    expect(read.listings.map((entry) => entry.id)).toEqual([idOf(100_001)]);
  });

  it('refuses an answer that is not a directory at all as peer_unreachable (502)', () => {
    const notDirectories: unknown[] = [
      null,
      undefined,
      'directory',
      42,
      true,
      [],
      [{ members: [], listings: [] }],
      {},
      { members: [member(1)] },
      { listings: [listing(1)] },
      { members: {}, listings: [] },
      { members: [], listings: null },
      { members: 'all', listings: [] },
    ];
    for (const answer of notDirectories) {
      const rejection = refusal(answer);
      expect(rejection.code, JSON.stringify(answer)).toBe('peer_unreachable');
      expect(rejection.detail).toContain(PEER);
    }
    expect(rejectionCodes.peer_unreachable.status).toBe(502);
  });
});
