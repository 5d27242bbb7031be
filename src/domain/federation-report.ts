/*
 * The mutuality report's federation figures (docs/reports.md): what crossed the timebank's links
 * in the window, and where each link stands at its end. Pure: the query aggregates the window's
 * cross-timebank exchanges per link, direction and member; these functions only add them up.
 *
 * A cross-timebank exchange is one leg on this ledger: `out` when a member of this timebank pays
 * the link's clearing account (a member of the linked timebank earned), `in` when the clearing
 * account pays a member (this timebank's member earned). As for exchanges between members,
 * reversals and reversed legs are not exchanges.
 */

export type Direction = 'out' | 'in';

/** One link of the timebank as the report reads it: balance at the window's end, limits and status as they are now. */
export type LinkFacts = {
  linkId: string;
  peerTimebankId: string;
  /** Null when the peer is in another deployment, whose name this one does not hold. */
  peerTimebankName: string | null;
  status: 'proposed' | 'active' | 'suspended';
  /** The clearing account's balance at the window's end: positive, this timebank owes the peer. */
  balanceMinutes: number;
  maxOwedByUsMinutes: number;
  maxOwedToUsMinutes: number;
};

/** The window's cross-timebank exchanges of one member over one link in one direction. */
export type CrossFlow = { linkId: string; direction: Direction; memberId: string; exchanges: number; minutes: number };

type Totals = { exchangesOut: number; minutesOut: number; exchangesIn: number; minutesIn: number };

const noTotals = (): Totals => ({ exchangesOut: 0, minutesOut: 0, exchangesIn: 0, minutesIn: 0 });

function add(totals: Totals, flow: CrossFlow): void {
  if (flow.direction === 'out') {
    totals.exchangesOut += flow.exchanges;
    totals.minutesOut += flow.minutes;
  } else {
    totals.exchangesIn += flow.exchanges;
    totals.minutesIn += flow.minutes;
  }
}

/**
 * The federation section: the window's cross-timebank exchanges and minutes each way, the
 * distinct members who took part (either way, and each way), and per link its flows in the
 * window beside its balance and limits. Links keep the order given; a flow over a link not
 * given still counts in the totals.
 */
export function computeFederation(links: LinkFacts[], flows: CrossFlow[]) {
  const totals = noTotals();
  const perLink = new Map(links.map((link) => [link.linkId, noTotals()]));
  const members = { any: new Set<string>(), out: new Set<string>(), in: new Set<string>() };
  for (const flow of flows) {
    add(totals, flow);
    const own = perLink.get(flow.linkId);
    if (own) add(own, flow);
    members.any.add(flow.memberId);
    members[flow.direction].add(flow.memberId);
  }
  return {
    ...totals,
    members: members.any.size,
    membersOut: members.out.size,
    membersIn: members.in.size,
    links: links.map((link) => ({
      linkId: link.linkId,
      peerTimebankId: link.peerTimebankId,
      peerTimebankName: link.peerTimebankName,
      status: link.status,
      balanceMinutes: link.balanceMinutes,
      ...perLink.get(link.linkId)!,
      maxOwedByUsMinutes: link.maxOwedByUsMinutes,
      maxOwedToUsMinutes: link.maxOwedToUsMinutes,
    })),
  };
}

export type FederationFigures = ReturnType<typeof computeFederation>;
