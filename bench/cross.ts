import { sql } from 'drizzle-orm';
import type { Database } from '../src/db/client.js';
import { rows } from '../src/db/rows.js';
import type { Principal } from '../src/domain/principal.js';
import { acceptLinkProposal, getLinks, proposeLinkWith } from '../src/use-cases/links.js';
import { createMember } from '../src/use-cases/members.js';
import { createTimebank } from '../src/use-cases/timebanks.js';
import { load, percentile, picker, seedMembers, type Load } from './support.js';

/*
 * Cross-timebank transfers within one deployment (DESIGN.md section 7) against local transfers,
 * in the same run: a second timebank linked to the bench's, CROSS_MEMBERS members visible on each
 * side, and POST .../transfers with payee { linkId, accountId } from the bench's timebank to the
 * other, with the same connections as the local load. Every cross transfer locks both clearing
 * accounts, so they queue on each other as transfers into one hot account do. The two loads
 * alternate round by round, so that both meet the same machine, and the figure is the median of
 * the rounds' ratios.
 */

const CROSS_MEMBERS = Number(process.env.BENCH_CROSS_MEMBERS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_CROSS_ROUNDS ?? 3);
const ROUND_SECONDS = Number(process.env.BENCH_CROSS_SECONDS ?? 4);
const WARMUP_SECONDS = 2;
/** Far beyond what the load can move in a run, so that the link's limit never refuses one. */
const LINK_LIMIT_MINUTES = 100_000_000;

/** What the section needs of the bench: its database, the service, and the bench's own timebank. */
export type CrossContext = {
  db: Database['db'];
  base: string;
  headers: Record<string, string>;
  tb: string;
  coordinatorId: string;
  /** The bench timebank's member accounts, which the local load pays between. */
  accounts: string[];
  connections: number;
  acknowledged: Set<string>;
};

export type CrossResult = {
  visibleMembersEachSide: number;
  connections: number;
  rounds: Array<{ local: Load; cross: Load; ratio: number }>;
  localTransfersPerSecond: number;
  crossTransfersPerSecond: number;
  /** The median of the rounds' ratios, cross over local. */
  crossOverLocal: number;
  reconcileAgree: boolean;
};

const member = (id: string, timebankId: string): Principal => ({ type: 'member', id, timebankId, role: 'coordinator' });

async function visibleAccounts(db: Database['db'], timebankId: string, count: number): Promise<string[]> {
  await db.execute(sql`UPDATE members SET federation_visible = true WHERE id IN (SELECT id FROM members WHERE timebank_id = ${timebankId} AND role = 'member' ORDER BY id LIMIT ${count})`);
  const found = await rows(db, sql`SELECT a.id FROM accounts a JOIN members m ON m.timebank_id = a.timebank_id AND m.id = a.member_id WHERE a.timebank_id = ${timebankId} AND m.federation_visible AND m.role = 'member'`);
  return found.map((row) => String(row.id));
}

/** The peer timebank and its members, the link proposed by the bench's coordinator and accepted by the peer's. */
async function linkPeer(context: CrossContext) {
  const { db } = context;
  const now = new Date();
  console.log(`cross: a linked timebank, ${CROSS_MEMBERS} visible members on each side ...`);
  const peer = await createTimebank(db, { name: 'Transfer bench peer', settings: { defaultMinBalanceMinutes: -1_000_000_000, defaultMaxBalanceMinutes: 1_000_000_000 } }, now);
  const peerCoordinator = await createMember(db, peer.id, { displayName: 'Peer coordinator', email: 'coordinator@peer.bench.example', password: 'bench-peer-coordinator', role: 'coordinator' }, now);
  await seedMembers(db, peer.id, CROSS_MEMBERS, 1_000_000_000);
  const proposal = { peerTimebankId: peer.id, maxOwedByUsMinutes: LINK_LIMIT_MINUTES, maxOwedToUsMinutes: LINK_LIMIT_MINUTES };
  const link = await proposeLinkWith(db, { principal: member(context.coordinatorId, context.tb), requestId: 'bench' }, context.tb, proposal, now);
  const peerLink = (await getLinks(db, peer.id))[0]!;
  await acceptLinkProposal(db, { principal: member(peerCoordinator.id, peer.id), requestId: 'bench' }, peer.id, peerLink.id, now);
  await db.execute(sql`ANALYZE members, accounts, timebank_links`);
  return { linkId: link.id, payers: await visibleAccounts(db, context.tb, CROSS_MEMBERS), payees: await visibleAccounts(db, peer.id, CROSS_MEMBERS) };
}

/** The local load and the cross load alternated, after a warm-up of each (`warmLocal` false: the local path is warm already). */
export async function measureCross(context: CrossContext, warmLocal: boolean): Promise<CrossResult> {
  const { linkId, payers, payees } = await linkPeer(context);
  const local = picker(context.accounts);
  const from = picker(payers);
  const to = picker(payees);
  const transfers = `/v1/timebanks/${context.tb}/transfers`;
  const run = (seconds: number, body: () => object) =>
    load({ url: context.base, connections: context.connections, seconds, method: 'POST', headers: context.headers, path: () => transfers, body: () => JSON.stringify(body()), acknowledged: context.acknowledged });
  const localBody = () => ({ ...local.pair(), minutes: 30 });
  const crossBody = () => ({ payerAccountId: from.pick(), payee: { linkId, accountId: to.pick() }, minutes: 30 });
  console.log(`cross: ${WARMUP_SECONDS} s warm-up, then ${ROUNDS} rounds of ${ROUND_SECONDS} s local and ${ROUND_SECONDS} s cross, ${context.connections} connections ...`);
  if (warmLocal) await run(WARMUP_SECONDS, localBody);
  await run(WARMUP_SECONDS, crossBody);
  const rounds: CrossResult['rounds'] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const localLoad = await run(ROUND_SECONDS, localBody);
    const crossLoad = await run(ROUND_SECONDS, crossBody);
    rounds.push({ local: localLoad, cross: crossLoad, ratio: crossLoad.ok / Math.max(1, localLoad.ok) });
  }
  const perSecond = (pick: (round: CrossResult['rounds'][number]) => Load) => Math.round(rounds.reduce((sum, round) => sum + pick(round).ok, 0) / (ROUNDS * ROUND_SECONDS));
  const reconcile = await fetch(`${context.base}/v1/timebanks/${context.tb}/links/${linkId}/reconcile`, { headers: context.headers });
  return {
    visibleMembersEachSide: CROSS_MEMBERS,
    connections: context.connections,
    rounds,
    localTransfersPerSecond: perSecond((round) => round.local),
    crossTransfersPerSecond: perSecond((round) => round.cross),
    crossOverLocal: percentile(rounds.map((round) => round.ratio), 0.5),
    reconcileAgree: ((await reconcile.json()) as { agree?: boolean }).agree === true,
  };
}

export function printCross(result: CrossResult): void {
  const failures = result.rounds.reduce((sum, round) => sum + round.cross.non2xx + round.cross.errors, 0);
  const worstP99 = Math.max(...result.rounds.map((round) => round.cross.p99Ms));
  console.log(
    `cross-timebank (one deployment): ${result.crossTransfersPerSecond}/s vs local ${result.localTransfersPerSecond}/s = ${result.crossOverLocal.toFixed(2)}x ` +
      `(median of ${result.rounds.length} alternated rounds, ${result.rounds.map((round) => round.ratio.toFixed(2)).join(', ')}; cross p99 up to ${worstP99} ms; ` +
      `${failures} cross requests not 2xx; the two sides ${result.reconcileAgree ? 'agree' : 'DO NOT AGREE'} on the link's balance)`,
  );
}
