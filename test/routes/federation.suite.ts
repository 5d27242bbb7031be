import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * Links between two timebanks of one deployment (DESIGN.md section 7): proposed, accepted,
 * limited and suspended, audited on both sides; cross transfers posting both legs or neither,
 * with the usual idempotency, limits, confirmation, reversal and events; verify and reconcile
 * agreeing on both ledgers; and visibility to linked timebanks as the member's own choice.
 */

/** The suite, on the PostgreSQL the tests find or on embedded PGlite. */
export function federationSuite(options: { embedded?: boolean } = {}): void {
  let service: TestService;
  type Seed = Awaited<ReturnType<typeof seedTimebank>>;
  let north: Seed;
  let south: Seed;
  type Link = { id: string; status: string; peerStatus: string | null; clearingAccountId: string; balanceMinutes: number; maxOwedByUsMinutes: number; maxOwedToUsMinutes: number; proposedByUs: boolean };
  type Transfer = { id: string; status: string; payerAccountId: string; payeeAccountId: string; minutes: number; link: { linkId: string; peerTimebankId: string; remoteAccountId: string } | null; remoteTransferId: string | null; reversedByTransferId: string | null };
  let northLink: Link;
  let southLink: Link;
  let payee: Member;
  let payeeToken: string;

  const links = (seed: Seed) => service.get<{ items: Link[] }>(`${seed.base}/links`, seed.coordinatorToken);
  const pay = (body: Record<string, unknown>, token = north.memberToken, key?: string) => postWithKey(service, `${north.base}/transfers`, body, token, key);
  const toSouth = (minutes: number, extra: Record<string, unknown> = {}) => ({ payerAccountId: north.member.accountId, payee: { linkId: northLink.id, accountId: payee.accountId }, minutes, ...extra });
  const verify = (seed: Seed) => service.get<{ ok: boolean; mismatches: unknown[] }>(`${seed.base}/ledger/verify`, seed.coordinatorToken);
  const reconcile = (seed: Seed, link: Link) => service.get<{ localBalanceMinutes: number; peerBalanceMinutes: number; agree: boolean }>(`${seed.base}/links/${link.id}/reconcile`, seed.coordinatorToken);

  /** Confirm, reject or reverse, with an Idempotency-Key, expecting `status`. */
  async function act(url: string, token: string, body?: unknown, status = 200): Promise<Transfer> {
    const response = await postWithKey(service, url, body, token);
    expect(response.statusCode, response.body).toBe(status);
    return response.json<Transfer>();
  }

  async function newMember(seed: Seed, visible: boolean): Promise<Member> {
    const member = await service.send<Member>('POST', `${seed.base}/members`, { displayName: `Member ${randomUUID().slice(0, 8)}`, email: `m-${randomUUID()}@example.org`, password: seed.password }, seed.coordinatorToken);
    if (visible) await service.send('PATCH', `${seed.base}/members/${member.id}`, { federationVisible: true }, seed.coordinatorToken);
    return member;
  }

  beforeAll(async () => {
    service = await startTestService(options);
    north = await seedTimebank(service, `North ${randomUUID()}`);
    south = await seedTimebank(service, `South ${randomUUID()}`);
    payee = await newMember(south, true);
    payeeToken = await service.login(payee.email, south.password);
  });
  afterAll(() => service?.close());

  describe('a link between two timebanks of one deployment', () => {
    it('is proposed by one side\'s coordinator, refused to members, duplicates and itself, and accepted only by the other side', async () => {
      const byMember = await service.request({ method: 'POST', url: `${north.base}/links`, payload: { peerTimebankId: south.timebank.id }, token: north.memberToken });
      expect([byMember.statusCode, byMember.json().code]).toEqual([403, 'forbidden']);
      const self = await service.request({ method: 'POST', url: `${north.base}/links`, payload: { peerTimebankId: north.timebank.id }, token: north.coordinatorToken });
      expect([self.statusCode, self.json().field]).toEqual([400, 'peerTimebankId']);
      const unknown = await service.request({ method: 'POST', url: `${north.base}/links`, payload: { peerTimebankId: randomUUID() }, token: north.coordinatorToken });
      expect([unknown.statusCode, unknown.json().field]).toEqual([404, 'peerTimebankId']);

      northLink = await service.send<Link>('POST', `${north.base}/links`, { peerTimebankId: south.timebank.id, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300 }, north.coordinatorToken);
      expect(northLink).toMatchObject({ status: 'proposed', peerStatus: 'proposed', proposedByUs: true, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300, balanceMinutes: 0 });
      southLink = (await links(south)).items[0]!;
      // The peer's side sees the same limits from its end.
      expect(southLink).toMatchObject({ status: 'proposed', proposedByUs: false, maxOwedByUsMinutes: 300, maxOwedToUsMinutes: 600 });
      const clearing = await service.get<{ kind: string; minBalanceMinutes: number; maxBalanceMinutes: number }>(`${north.base}/accounts/${northLink.clearingAccountId}`, north.coordinatorToken);
      expect(clearing).toMatchObject({ kind: 'link', minBalanceMinutes: -300, maxBalanceMinutes: 600 });

      for (const [from, to] of [[north, south], [south, north]] as const) {
        const again = await service.request({ method: 'POST', url: `${from.base}/links`, payload: { peerTimebankId: to.timebank.id }, token: from.coordinatorToken });
        expect([again.statusCode, again.json().code]).toEqual([409, 'link_exists']);
      }
      const byProposer = await service.request({ method: 'POST', url: `${north.base}/links/${northLink.id}/accept`, token: north.coordinatorToken });
      expect([byProposer.statusCode, byProposer.json().code]).toEqual([403, 'forbidden']);
      // Nothing crosses a proposed link.
      const early = await pay(toSouth(30));
      expect([early.statusCode, early.json().code]).toEqual([422, 'link_not_active']);

      const accepted = await service.send<Link>('POST', `${south.base}/links/${southLink.id}/accept`, undefined, south.coordinatorToken, 200);
      expect(accepted).toMatchObject({ status: 'active', peerStatus: 'active' });
      const twice = await service.request({ method: 'POST', url: `${south.base}/links/${southLink.id}/accept`, token: south.coordinatorToken });
      expect([twice.statusCode, twice.json().code]).toEqual([409, 'link_not_proposed']);

      for (const [seed, link, actions] of [[north, northLink, ['link.proposed', 'link.accepted']], [south, southLink, ['link.proposed', 'link.accepted']]] as const) {
        const log = await service.get<{ items: Array<{ action: string }> }>(`${seed.base}/audit-log?target=${link.id}`, seed.coordinatorToken);
        expect(log.items.map((item) => item.action).sort()).toEqual([...actions].sort());
      }
      // The clearing account takes its limits from the link only.
      const direct = await service.request({ method: 'PATCH', url: `${north.base}/accounts/${northLink.clearingAccountId}`, payload: { maxBalanceMinutes: 100_000 }, token: north.coordinatorToken });
      expect(direct.statusCode).toBe(403);
    });

    it('pays a visible member of the other timebank: both legs posted, balances opposite, either id finds the leg', async () => {
      const response = await pay(toSouth(90, { description: 'Moving boxes' }));
      expect(response.statusCode).toBe(201);
      const leg = response.json<Transfer>();
      expect(leg).toMatchObject({ status: 'posted', payerAccountId: north.member.accountId, payeeAccountId: northLink.clearingAccountId, minutes: 90, link: { linkId: northLink.id, peerTimebankId: south.timebank.id, remoteAccountId: payee.accountId } });
      const other = await service.get<Transfer>(`${south.base}/transfers/${leg.remoteTransferId}`, south.coordinatorToken);
      expect(other).toMatchObject({ status: 'posted', payerAccountId: southLink.clearingAccountId, payeeAccountId: payee.accountId, minutes: 90, remoteTransferId: leg.id, link: { linkId: southLink.id, remoteAccountId: north.member.accountId } });
      expect((await service.get<Transfer>(`${south.base}/transfers/${leg.id}`, south.coordinatorToken)).id).toBe(other.id);
      // The payee sees its leg, as any transfer of its own.
      expect((await service.get<Transfer>(`${south.base}/transfers/${other.id}`, payeeToken)).minutes).toBe(90);

      expect(await balanceOf(service, south.base, payee.accountId, south.coordinatorToken)).toBe(90);
      expect(await reconcile(north, northLink)).toEqual({ linkId: northLink.id, localBalanceMinutes: 90, peerBalanceMinutes: -90, agree: true });
      expect(await reconcile(south, southLink)).toMatchObject({ localBalanceMinutes: -90, peerBalanceMinutes: 90, agree: true });
      for (const seed of [north, south]) expect(await verify(seed)).toMatchObject({ ok: true, mismatches: [] });

      // Each side's feed tells its own member.
      await service.sequenceEvents();
      const events = await service.get<{ items: Array<{ type: string; data: { id: string } }> }>(`${south.base}/events?after=0&types=transfer.created`, payeeToken);
      expect(events.items.map((event) => event.data.id)).toContain(other.id);
    });

    it('replays a retried request with the same key, and refuses the key with another body', async () => {
      const key = randomUUID();
      const before = await balanceOf(service, south.base, payee.accountId, south.coordinatorToken);
      const first = await pay(toSouth(15), north.memberToken, key);
      const again = await pay(toSouth(15), north.memberToken, key);
      expect(first.statusCode).toBe(201);
      expect([again.statusCode, again.headers['idempotency-replayed'], again.json().id]).toEqual([201, 'true', first.json().id]);
      const other = await pay(toSouth(16), north.memberToken, key);
      expect([other.statusCode, other.json().code]).toEqual([409, 'idempotency_key_reused']);
      expect(await balanceOf(service, south.base, payee.accountId, south.coordinatorToken)).toBe(before + 15);
    });

    it('refuses, changing nothing, a payee who is not visible, an unknown link, and a transfer over either side\'s limit', async () => {
      const hidden = await newMember(south, false);
      const before = await reconcile(north, northLink);
      const notVisible = await pay({ ...toSouth(10), payee: { linkId: northLink.id, accountId: hidden.accountId } });
      expect(notVisible.statusCode).toBe(404);
      const unknown = await pay({ ...toSouth(10), payee: { linkId: randomUUID(), accountId: payee.accountId } });
      expect([unknown.statusCode, unknown.json().field]).toEqual([404, 'payee.linkId']);
      const both = await pay({ ...toSouth(10), payeeAccountId: north.coordinator.accountId });
      expect(both.statusCode).toBe(400);
      // A clearing account moves only with cross transfers, or the two sides would disagree.
      const direct = await pay({ payerAccountId: north.member.accountId, payeeAccountId: northLink.clearingAccountId, minutes: 10 }, north.coordinatorToken);
      expect([direct.statusCode, direct.json().field]).toEqual([400, 'payeeAccountId']);
      const fromClearing = await postWithKey(service, `${north.base}/transfers/batch`, { transfers: [{ payerAccountId: northLink.clearingAccountId, payeeAccountId: north.member.accountId, minutes: 10 }] }, north.coordinatorToken);
      expect(fromClearing.statusCode).toBe(400);
      // North may owe 600; 105 are owed already.
      const over = await pay(toSouth(600 - before.localBalanceMinutes + 1), north.coordinatorToken);
      expect([over.statusCode, over.json().code, over.json().availableMinutes]).toEqual([422, 'link_limit_reached', 600 - before.localBalanceMinutes]);
      // South's side of the limit binds too: North widens its own, South narrows what it lets North owe.
      await service.send('PATCH', `${north.base}/links/${northLink.id}`, { maxOwedByUsMinutes: 5000 }, north.coordinatorToken, 200);
      await service.send('PATCH', `${south.base}/links/${southLink.id}`, { maxOwedToUsMinutes: before.localBalanceMinutes + 50 }, south.coordinatorToken, 200);
      const overPeer = await pay(toSouth(51), north.coordinatorToken);
      expect([overPeer.statusCode, overPeer.json().code, overPeer.json().availableMinutes]).toEqual([422, 'link_limit_reached', 50]);
      const tighter = await service.request({ method: 'PATCH', url: `${south.base}/links/${southLink.id}`, payload: { maxOwedToUsMinutes: 10 }, token: south.coordinatorToken });
      expect([tighter.statusCode, tighter.json().code, tighter.json().field]).toEqual([422, 'limit_breaks_balance', 'maxOwedToUsMinutes']);
      await service.send('PATCH', `${south.base}/links/${southLink.id}`, { maxOwedToUsMinutes: 600 }, south.coordinatorToken, 200);
      expect(await reconcile(north, northLink)).toEqual(before);
    });

    it('stops at a suspension on either side, and carries on once made active again, audited', async () => {
      await service.send('PATCH', `${south.base}/links/${southLink.id}`, { status: 'suspended' }, south.coordinatorToken, 200);
      const refused = await pay(toSouth(5));
      expect([refused.statusCode, refused.json().code]).toEqual([422, 'link_not_active']);
      expect((await links(north)).items[0]).toMatchObject({ status: 'active', peerStatus: 'suspended' });
      await service.send('PATCH', `${south.base}/links/${southLink.id}`, { status: 'active' }, south.coordinatorToken, 200);
      expect((await pay(toSouth(5))).statusCode).toBe(201);
      const log = await service.get<{ items: Array<{ action: string; changes: Record<string, unknown> }> }>(`${south.base}/audit-log?target=${southLink.id}&action=link.changed`, south.coordinatorToken);
      expect(log.items.map((item) => item.changes.status)).toEqual(expect.arrayContaining([['active', 'suspended'], ['suspended', 'active']]));
    });

    it('waits for the payee\'s side when a coordinator asks: confirmed there, both legs post; withdrawn here, both are rejected', async () => {
      const pending = (await pay(toSouth(20, { pending: true }), north.coordinatorToken)).json<Transfer>();
      expect(pending.status).toBe('pending');
      expect((await service.get<Transfer>(`${south.base}/transfers/${pending.remoteTransferId}`, south.coordinatorToken)).status).toBe('pending');
      // This side may not confirm it; the payer member may not even see a way to.
      const here = await postWithKey(service, `${north.base}/transfers/${pending.id}/confirm`, undefined, north.coordinatorToken);
      expect(here.statusCode).toBe(403);
      const before = await balanceOf(service, south.base, payee.accountId, south.coordinatorToken);
      const confirmed = await act(`${south.base}/transfers/${pending.remoteTransferId}/confirm`, payeeToken);
      expect(confirmed.status).toBe('posted');
      expect((await service.get<Transfer>(`${north.base}/transfers/${pending.id}`, north.coordinatorToken)).status).toBe('posted');
      expect(await balanceOf(service, south.base, payee.accountId, south.coordinatorToken)).toBe(before + 20);

      const withdrawn = (await pay(toSouth(25, { pending: true }), north.coordinatorToken)).json<Transfer>();
      expect((await act(`${north.base}/transfers/${withdrawn.id}/reject`, north.coordinatorToken)).status).toBe('rejected');
      expect((await service.get<Transfer>(`${south.base}/transfers/${withdrawn.remoteTransferId}`, south.coordinatorToken)).status).toBe('rejected');
      const declined = (await pay(toSouth(25, { pending: true }), north.coordinatorToken)).json<Transfer>();
      expect((await act(`${south.base}/transfers/${declined.remoteTransferId}/reject`, payeeToken)).status).toBe('rejected');
      expect((await service.get<Transfer>(`${north.base}/transfers/${declined.id}`, north.coordinatorToken)).status).toBe('rejected');
      expect(await balanceOf(service, south.base, payee.accountId, south.coordinatorToken)).toBe(before + 20);
      for (const seed of [north, south]) expect(await verify(seed)).toMatchObject({ ok: true });
      expect((await reconcile(north, northLink)).agree).toBe(true);
    });

    it('reverses both legs when a coordinator of either side reverses one, audited on both ledgers', async () => {
      const leg = (await pay(toSouth(40))).json<Transfer>();
      const before = await reconcile(north, northLink);
      const reversal = await act(`${south.base}/transfers/${leg.remoteTransferId}/reverse`, south.coordinatorToken, { reason: 'Recorded by mistake' }, 201);
      expect(reversal).toMatchObject({ payerAccountId: payee.accountId, payeeAccountId: southLink.clearingAccountId, minutes: 40 });
      const original = await service.get<Transfer>(`${north.base}/transfers/${leg.id}`, north.coordinatorToken);
      expect(original.reversedByTransferId).toBe(reversal.remoteTransferId);
      expect(await reconcile(north, northLink)).toMatchObject({ localBalanceMinutes: before.localBalanceMinutes - 40, agree: true });
      for (const [seed, id] of [[north, leg.id], [south, leg.remoteTransferId!]] as const) {
        const log = await service.get<{ items: Array<{ action: string }> }>(`${seed.base}/audit-log?target=${id}`, seed.coordinatorToken);
        expect(log.items.map((item) => item.action)).toEqual(['transfer.reversed']);
      }
      const twice = await postWithKey(service, `${north.base}/transfers/${leg.id}/reverse`, { reason: 'again' }, north.coordinatorToken);
      expect([twice.statusCode, twice.json().code]).toEqual([409, 'already_reversed']);
    });

    it('takes many transfers both ways at once without a deadlock, and the two ledgers still agree', async () => {
      const southPayer = payee;
      const northPayee = await newMember(north, true);
      const back = (minutes: number) => postWithKey(service, `${south.base}/transfers`, { payerAccountId: southPayer.accountId, payee: { linkId: southLink.id, accountId: northPayee.accountId }, minutes }, payeeToken);
      const results = await Promise.all(Array.from({ length: 24 }, (_, index) => (index % 2 === 0 ? pay(toSouth(1)) : back(1))));
      expect(results.map((result) => result.statusCode)).toEqual(Array(24).fill(201));
      expect((await reconcile(south, southLink)).agree).toBe(true);
      for (const seed of [north, south]) expect(await verify(seed)).toMatchObject({ ok: true, mismatches: [] });
    });
  });

  describe('each ledger\'s own rules', () => {
    it('lets a coordinator override the limits of its own ledger only, telling it nothing of the other\'s member', async () => {
      const spender = await newMember(south, true);
      const spenderToken = await service.login(spender.email, south.password);
      const leg = (await pay({ ...toSouth(100), payee: { linkId: northLink.id, accountId: spender.accountId } }, north.coordinatorToken)).json<Transfer>();
      // The South member spends down to its floor, so it cannot give the 100 minutes back.
      const floor = (await service.get<{ minBalanceMinutes: number }>(`${south.base}/accounts/${spender.accountId}`, south.coordinatorToken)).minBalanceMinutes;
      await postWithKey(service, `${south.base}/transfers`, { payerAccountId: spender.accountId, payeeAccountId: south.coordinator.accountId, minutes: 100 - floor }, spenderToken);
      for (const overrideLimits of [false, true]) {
        const refused = await postWithKey(service, `${north.base}/transfers/${leg.id}/reverse`, { reason: 'Mistake', overrideLimits }, north.coordinatorToken);
        expect([refused.statusCode, refused.json().code, refused.json().availableMinutes, refused.json().accountId]).toEqual([422, 'transfer_refused', undefined, undefined]);
      }
      expect(await balanceOf(service, south.base, spender.accountId, south.coordinatorToken)).toBe(floor);
      // South's own coordinator may override South's limits.
      const reversed = await postWithKey(service, `${south.base}/transfers/${leg.remoteTransferId}/reverse`, { reason: 'Mistake', overrideLimits: true }, south.coordinatorToken);
      expect(reversed.statusCode).toBe(201);
      expect(await balanceOf(service, south.base, spender.accountId, south.coordinatorToken)).toBe(floor - 100);
      for (const seed of [north, south]) expect(await verify(seed)).toMatchObject({ ok: true });
    });

    it('answers an id that exists nowhere as it answers a hidden member, and names the clearing account after the peer in the journal', async () => {
      const hidden = await newMember(south, false);
      const answers = await Promise.all([hidden.accountId, randomUUID(), southLink.clearingAccountId, south.timebank.commonsAccountId].map((accountId) => pay({ ...toSouth(5), payee: { linkId: northLink.id, accountId } })));
      expect(new Set(answers.map((answer) => JSON.stringify([answer.statusCode, answer.json().detail, answer.json().field])))).toEqual(new Set([JSON.stringify([404, answers[0]!.json().detail, 'payee.accountId'])]));
      const journal = await service.request({ method: 'GET', url: `${north.base}/ledger/journal`, token: north.coordinatorToken });
      expect(journal.body).toMatch(new RegExp(`links:South [^\\n]*${northLink.clearingAccountId.slice(-8)}`));
    });

    it('finds, on verify, a leg whose other leg no longer names it', async () => {
      const leg = (await pay(toSouth(3))).json<Transfer>();
      const db = service.database.db;
      const rename = async (to: string) => {
        await db.execute(sql`ALTER TABLE transfers DISABLE TRIGGER transfers_guard`);
        await db.execute(sql`UPDATE transfers SET remote_transfer_id = ${to} WHERE timebank_id = ${south.timebank.id} AND id = ${leg.remoteTransferId}`);
        await db.execute(sql`ALTER TABLE transfers ENABLE TRIGGER transfers_guard`);
      };
      await rename(randomUUID());
      const broken = await verify(north);
      expect(broken.ok).toBe(false);
      expect(broken.mismatches).toEqual([{ kind: 'legs_differ', transferId: leg.id, remoteTransferId: leg.remoteTransferId }]);
      await rename(leg.id);
      expect(await verify(north)).toMatchObject({ ok: true });
    });

    it('is refused to a member paying from someone else\'s account before anything of the link is told', async () => {
      const refused = await pay({ ...toSouth(100_000), payerAccountId: north.coordinator.accountId });
      expect([refused.statusCode, refused.json().code]).toEqual([403, 'forbidden']);
    });
  });

  describe('visibility to linked timebanks', () => {
    it('is the member\'s own choice: a partner app may not set it, and the directory shows only those who chose it', async () => {
      const hidden = await newMember(south, false);
      const directory = await service.get<{ members: Array<{ accountId: string; displayName: string }> }>(`${north.base}/links/${northLink.id}/directory`, north.memberToken);
      const shown = directory.members.map((member) => member.accountId);
      expect(shown).toContain(payee.accountId);
      expect(shown).not.toContain(hidden.accountId);
      expect(Object.keys(directory.members[0]!).sort()).toEqual(['accountId', 'displayName', 'remote']);

      const own = await service.send<{ federationVisible: boolean }>('PATCH', `${south.base}/members/${south.member.id}`, { federationVisible: true }, south.memberToken, 200);
      expect(own.federationVisible).toBe(true);
      const client = await service.send<{ id: string; clientSecret: string }>('POST', `${south.base}/clients`, { name: `Partner ${randomUUID()}`, scopes: ['members:write'] }, south.coordinatorToken);
      const token = (await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } })).json().access_token as string;
      const byClient = await service.request({ method: 'PATCH', url: `${south.base}/members/${hidden.id}`, payload: { federationVisible: true }, token });
      expect(byClient.statusCode).toBe(403);
      // Another timebank's member learns nothing of this timebank's links.
      const outsider = await service.request({ method: 'GET', url: `${north.base}/links/${northLink.id}/directory`, token: south.memberToken });
      expect(outsider.statusCode).toBe(404);
    });
  });
}
