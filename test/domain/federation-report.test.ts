import { describe, expect, it } from 'vitest';
import { computeFederation, type CrossFlow, type LinkFacts } from '../../src/domain/federation-report.js';

const link = (linkId: string, balanceMinutes: number, extra: Partial<LinkFacts> = {}): LinkFacts => ({
  linkId,
  peerTimebankId: `peer-${linkId}`,
  peerTimebankName: `Peer ${linkId}`,
  status: 'active',
  balanceMinutes,
  maxOwedByUsMinutes: 600,
  maxOwedToUsMinutes: 300,
  ...extra,
});

const flow = (linkId: string, direction: CrossFlow['direction'], memberId: string, exchanges: number, minutes: number): CrossFlow => ({ linkId, direction, memberId, exchanges, minutes });

describe('federation figures', () => {
  it('are zeros and no links for a timebank without links', () => {
    expect(computeFederation([], [])).toEqual({ exchangesOut: 0, minutesOut: 0, exchangesIn: 0, minutesIn: 0, members: 0, membersOut: 0, membersIn: 0, links: [] });
  });

  it('add up each way over all links, count each member once, and give each link its own flows beside its balance and limits', () => {
    const figures = computeFederation(
      [link('a', 30), link('b', -45, { peerTimebankName: null, status: 'suspended', maxOwedByUsMinutes: 0 })],
      [
        flow('a', 'out', 'm1', 2, 90),
        flow('a', 'in', 'm1', 1, 60),
        flow('a', 'out', 'm2', 1, 15),
        flow('b', 'in', 'm2', 1, 45),
        flow('b', 'in', 'm3', 3, 100),
      ],
    );
    expect(figures).toMatchObject({ exchangesOut: 3, minutesOut: 105, exchangesIn: 5, minutesIn: 205 });
    // m1 and m2 paid, m1, m2 and m3 were paid: three members in all.
    expect([figures.members, figures.membersOut, figures.membersIn]).toEqual([3, 2, 3]);
    expect(figures.links).toEqual([
      { linkId: 'a', peerTimebankId: 'peer-a', peerTimebankName: 'Peer a', status: 'active', balanceMinutes: 30, exchangesOut: 3, minutesOut: 105, exchangesIn: 1, minutesIn: 60, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300 },
      { linkId: 'b', peerTimebankId: 'peer-b', peerTimebankName: null, status: 'suspended', balanceMinutes: -45, exchangesOut: 0, minutesOut: 0, exchangesIn: 4, minutesIn: 145, maxOwedByUsMinutes: 0, maxOwedToUsMinutes: 300 },
    ]);
  });

  it('keeps a link without flows in the window, with zero flows and its balance from before', () => {
    const figures = computeFederation([link('quiet', 120)], []);
    expect(figures.links).toEqual([expect.objectContaining({ linkId: 'quiet', balanceMinutes: 120, exchangesOut: 0, minutesOut: 0, exchangesIn: 0, minutesIn: 0 })]);
    expect(figures.members).toBe(0);
  });
});
