import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';
import type { TestServiceOptions } from '../helpers/service.js';

/** Runs on PostgreSQL (transfers.test.ts) and on the embedded database (transfers.embedded.test.ts). */
export function transfersSuite(options: Pick<TestServiceOptions, 'embedded'>): void {
  let service: TestService;
  let seed: Awaited<ReturnType<typeof seedTimebank>>;
  let other: Awaited<ReturnType<typeof seedTimebank>>;
  let ann: Member & { token: string };
  let ben: Member & { token: string };

  async function addMember(name: string) {
    const member = await service.send<Member>('POST', `${seed.base}/members`, { displayName: name, email: `${name.toLowerCase()}-${Date.now()}@example.org`, password: seed.password }, seed.coordinatorToken);
    return { ...member, token: await service.login(member.email, seed.password) };
  }

  beforeAll(async () => {
    service = await startTestService(options);
    seed = await seedTimebank(service);
    other = await seedTimebank(service);
    ann = await addMember('Ann');
    ben = await addMember('Ben');
  });
  afterAll(() => service.close());

  const transfers = () => `${seed.base}/transfers`;

  describe('POST /transfers', () => {
    it('lets a payer pay directly: posted at once, both balances move, hash chained after commit', async () => {
      const response = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 90, description: 'Gardening' }, ann.token);
      expect(response.statusCode).toBe(201);
      const transfer = response.json();
      // Final at commit; its place in the chain comes from the sealer, just after.
      expect(transfer).toMatchObject({ status: 'posted', minutes: 90, brokered: false, sequence: null, hash: null, description: 'Gardening', reversedByTransferId: null });
      await service.seal();
      const sealed = await service.get(`${transfers()}/${transfer.id}`, ann.token);
      expect(sealed).toMatchObject({ ...transfer, sequence: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(await balanceOf(service, seed.base, ann.accountId, ann.token)).toBe(-90);
      expect(await balanceOf(service, seed.base, ben.accountId, ben.token)).toBe(90);
      const account = await service.get(`${seed.base}/accounts/${ben.accountId}`, ben.token);
      expect(account).toMatchObject({ givenMinutes: 90, receivedMinutes: 0, pendingCreditMinutes: 0, availableMinutes: 90 + 1200 });
    });

    it('makes hours recorded by the payee wait for the payer, holding none of the payer\'s room', async () => {
      const response = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 60 }, ben.token);
      expect(response.statusCode).toBe(201);
      const pending = response.json();
      expect(pending).toMatchObject({ status: 'pending', brokered: false, sequence: null, hash: null, postedAt: null });
      expect(new Date(pending.autoConfirmAt).getTime() - new Date(pending.createdAt).getTime()).toBe(72 * 3600 * 1000);
      // The claim holds the claimant's headroom under its cap, and nothing of the payer's.
      const annAccount = await service.get(`${seed.base}/accounts/${ann.accountId}`, ann.token);
      expect(annAccount).toMatchObject({ balanceMinutes: -90, pendingDebitMinutes: 0, availableMinutes: 1200 - 90 });
      expect(await service.get(`${seed.base}/accounts/${ben.accountId}`, ben.token)).toMatchObject({ balanceMinutes: 90, pendingCreditMinutes: 60, availableMinutes: 90 + 1200 });

      // The payee cannot confirm its own claim; the payer can, once.
      const selfConfirm = await postWithKey(service, `${transfers()}/${pending.id}/confirm`, undefined, ben.token);
      expect(selfConfirm.statusCode, selfConfirm.body).toBe(403);
      const confirmed = await postWithKey(service, `${transfers()}/${pending.id}/confirm`, undefined, ann.token);
      expect(confirmed.statusCode).toBe(200);
      expect(confirmed.json()).toMatchObject({ status: 'posted', postedAt: expect.any(String) });
      await service.seal();
      expect(await service.get(`${transfers()}/${pending.id}`, ann.token)).toMatchObject({ status: 'posted', sequence: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const again = await postWithKey(service, `${transfers()}/${pending.id}/reject`, undefined, ann.token);
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: 'transfer_not_pending', transferStatus: 'posted' });
      expect(await service.get(`${seed.base}/accounts/${ann.accountId}`, ann.token)).toMatchObject({ balanceMinutes: -150, pendingDebitMinutes: 0 });
      expect(await service.get(`${seed.base}/accounts/${ben.accountId}`, ben.token)).toMatchObject({ balanceMinutes: 150, pendingCreditMinutes: 0 });
    });

    it('treats a coordinator who is a party as that party: its own claim waits for the payer', async () => {
      const claim = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: seed.coordinator.accountId, minutes: 30 }, seed.coordinatorToken);
      expect(claim.json()).toMatchObject({ status: 'pending', brokered: false });
      const selfConfirm = await postWithKey(service, `${transfers()}/${claim.json().id}/confirm`, undefined, seed.coordinatorToken);
      expect(selfConfirm.statusCode).toBe(403);
      const withdrawn = await postWithKey(service, `${transfers()}/${claim.json().id}/reject`, undefined, seed.coordinatorToken);
      expect(withdrawn.json()).toMatchObject({ status: 'rejected' });
      // For others, the coordinator brokers: posted at once.
      const brokered = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 5 }, seed.coordinatorToken);
      expect(brokered.json()).toMatchObject({ status: 'posted', brokered: true });
    });

    it('refuses a transfer past the payer\'s floor or the payee\'s cap with 422, changing nothing', async () => {
      const before = await balanceOf(service, seed.base, ann.accountId, ann.token);
      const tooMuch = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 1200 }, ann.token);
      expect(tooMuch.statusCode).toBe(422);
      expect(tooMuch.json()).toMatchObject({ code: 'insufficient_balance', accountId: ann.accountId });
      expect(await balanceOf(service, seed.base, ann.accountId, ann.token)).toBe(before);
      const capped = await postWithKey(service, transfers(), { payerAccountId: seed.timebank.commonsAccountId, payeeAccountId: ben.accountId, minutes: 6000 }, seed.coordinatorToken);
      expect(capped.statusCode).toBe(422);
      expect(['insufficient_balance', 'limit_exceeded']).toContain(capped.json().code);
    });

    it('requires an Idempotency-Key and replays a retry; another body with the same key is 409', async () => {
      const body = { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 15 };
      const missing = await service.request({ method: 'POST', url: transfers(), payload: body, token: ann.token });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().errors).toEqual([expect.objectContaining({ field: 'idempotency-key', location: 'header' })]);

      const first = await postWithKey(service, transfers(), body, ann.token, 'retry-key-1');
      const retry = await postWithKey(service, transfers(), { minutes: 15, payeeAccountId: ben.accountId, payerAccountId: ann.accountId }, ann.token, 'retry-key-1');
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotency-replayed']).toBe('true');
      expect(retry.json()).toEqual(first.json());
      const reused = await postWithKey(service, transfers(), { ...body, minutes: 16 }, ann.token, 'retry-key-1');
      expect(reused.statusCode).toBe(409);
      expect(reused.json().code).toBe('idempotency_key_reused');
      // Keys belong to their caller: Ben's key of the same name is his own.
      const bens = await postWithKey(service, transfers(), { payerAccountId: ben.accountId, payeeAccountId: ann.accountId, minutes: 15 }, ben.token, 'retry-key-1');
      expect(bens.statusCode).toBe(201);
      expect(bens.headers['idempotency-replayed']).toBeUndefined();
    });

    it('keeps members to their own accounts and hides other timebanks\' accounts', async () => {
      const forOthers = await postWithKey(service, transfers(), { payerAccountId: seed.coordinator.accountId, payeeAccountId: ben.accountId, minutes: 10 }, ann.token);
      expect(forOthers.statusCode).toBe(403);
      const foreign = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: other.member.accountId, minutes: 10 }, ann.token);
      expect(foreign.statusCode).toBe(404);
      const foreignTimebank = await postWithKey(service, `${other.base}/transfers`, { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 10 }, ann.token);
      expect(foreignTimebank.statusCode).toBe(404);
      const same = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ann.accountId, minutes: 10 }, ann.token);
      expect(same.statusCode).toBe(422);
      expect(same.json().code).toBe('same_account');
    });

    it('refuses ids in upper case and text that is not well-formed Unicode', async () => {
      const upper = await postWithKey(service, transfers(), { payerAccountId: ann.accountId.toUpperCase(), payeeAccountId: ben.accountId, minutes: 5 }, ann.token);
      expect(upper.statusCode).toBe(400);
      expect(upper.json().errors[0].field).toBe('payerAccountId');
      const loneSurrogate = await service.request({
        method: 'POST',
        url: transfers(),
        token: ann.token,
        headers: { 'idempotency-key': 'surrogate', 'content-type': 'application/json' },
        payload: `{"payerAccountId":"${ann.accountId}","payeeAccountId":"${ben.accountId}","minutes":5,"description":"a\\ud800b"}`,
      });
      expect(loneSurrogate.statusCode).toBe(400);
      expect(loneSurrogate.json().errors[0].field).toBe('description');
    });

    it('validates minutes strictly', async () => {
      for (const minutes of [0, -5, 1.5, 1_000_001, '60', 2 ** 63, null]) {
        const response = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes }, ann.token);
        expect(response.statusCode, String(minutes)).toBe(400);
        expect(response.json().errors[0].field).toBe('minutes');
      }
    });

    it('refuses a payee past its cap with limit_exceeded, and an unknown category', async () => {
      const saver = await addMember('Sal');
      await service.send('PATCH', seed.base, { settings: { defaultMaxBalanceMinutes: 100 } }, seed.coordinatorToken);
      const capped = await addMember('Cap');
      await service.send('PATCH', seed.base, { settings: { defaultMaxBalanceMinutes: 6000 } }, seed.coordinatorToken);
      // A coordinator is told which limit and whose; the paying member only that the payee cannot take it.
      const over = await postWithKey(service, transfers(), { payerAccountId: saver.accountId, payeeAccountId: capped.accountId, minutes: 101 }, seed.coordinatorToken);
      expect(over.statusCode).toBe(422);
      expect(over.json()).toMatchObject({ code: 'limit_exceeded', accountId: capped.accountId });
      const refused = await postWithKey(service, transfers(), { payerAccountId: saver.accountId, payeeAccountId: capped.accountId, minutes: 101 }, saver.token);
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ code: 'transfer_refused' });
      expect(refused.json().accountId).toBeUndefined();
      expect((await postWithKey(service, transfers(), { payerAccountId: saver.accountId, payeeAccountId: capped.accountId, minutes: 100 }, saver.token)).statusCode).toBe(201);
      const uncategorised = await postWithKey(service, transfers(), { payerAccountId: saver.accountId, payeeAccountId: ben.accountId, minutes: 5, categoryId: other.timebank.commonsAccountId }, saver.token);
      expect(uncategorised.statusCode).toBe(422);
      expect(uncategorised.json()).toMatchObject({ code: 'unknown_category', field: 'categoryId' });
    });

    it('refuses members who are suspended', async () => {
      const carl = await addMember('Carl');
      await service.send('PATCH', `${seed.base}/members/${carl.id}`, { status: 'suspended' }, seed.coordinatorToken);
      const response = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: carl.accountId, minutes: 10 }, seed.coordinatorToken);
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({ code: 'account_inactive', field: 'payeeAccountId' });
    });
  });

  describe('batches, reversals and reads', () => {
    it('records a group session all or none, naming the refused index', async () => {
      const dee = await addMember('Dee');
      const good = [ann, ben].map((attendee) => ({ payerAccountId: attendee.accountId, payeeAccountId: dee.accountId, minutes: 60, description: 'Yoga class' }));
      const refused = await postWithKey(service, `${transfers()}/batch`, { transfers: [...good, { payerAccountId: ann.accountId, payeeAccountId: dee.accountId, minutes: 5000 }] }, seed.coordinatorToken);
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ code: 'insufficient_balance', index: 2 });
      expect(await balanceOf(service, seed.base, dee.accountId, seed.coordinatorToken)).toBe(0);

      const accepted = await postWithKey(service, `${transfers()}/batch`, { transfers: good }, seed.coordinatorToken);
      expect(accepted.statusCode).toBe(201);
      const items = accepted.json().items;
      expect(items).toHaveLength(2);
      await service.seal();
      const sealed = await Promise.all(items.map((item: { id: string }) => service.get(`${transfers()}/${item.id}`, seed.coordinatorToken)));
      // Sealed in the order they were posted.
      expect(sealed[1].sequence).toBe(sealed[0].sequence + 1);
      expect(items.every((item: { brokered: boolean }) => item.brokered)).toBe(true);
      expect(await balanceOf(service, seed.base, dee.accountId, seed.coordinatorToken)).toBe(120);
      const byMember = await postWithKey(service, `${transfers()}/batch`, { transfers: good }, ann.token);
      expect(byMember.statusCode).toBe(403);
    });

    it('stores what was typed exactly: quotes, backslashes, braces and the word NULL', async () => {
      const descriptions = ['Said "thanks", left', 'C:\\garden\\"shed"', '{a,b}', 'NULL', ''];
      const batch = await postWithKey(service, `${transfers()}/batch`, { transfers: descriptions.map((description) => ({ payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 1, description })) }, seed.coordinatorToken);
      expect(batch.statusCode, batch.body).toBe(201);
      const stored = await Promise.all(batch.json().items.map((item: { id: string }) => service.get(`${transfers()}/${item.id}`, seed.coordinatorToken)));
      expect(stored.map((item) => item.description)).toEqual(descriptions);
      const withoutDescription = (await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 1 }, ann.token)).json();
      expect((await service.get(`${transfers()}/${withoutDescription.id}`, ann.token)).description).toBeNull();
      // The chain's hashes were computed over these values: read back, they must still match.
      expect((await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).ok).toBe(true);
    });

    it('reverses a posted transfer once, by a coordinator, with a reason', async () => {
      const original = (await postWithKey(service, transfers(), { payerAccountId: ben.accountId, payeeAccountId: ann.accountId, minutes: 30 }, ben.token)).json();
      const annBefore = await service.get(`${seed.base}/accounts/${ann.accountId}`, ann.token);
      const byMember = await postWithKey(service, `${transfers()}/${original.id}/reverse`, { reason: 'typo' }, ben.token);
      expect(byMember.statusCode).toBe(403);
      const reversal = await postWithKey(service, `${transfers()}/${original.id}/reverse`, { reason: 'Recorded twice' }, seed.coordinatorToken);
      expect(reversal.statusCode).toBe(201);
      expect(reversal.json()).toMatchObject({ reversesTransferId: original.id, payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 30, reason: 'Recorded twice', status: 'posted' });
      const annAfter = await service.get(`${seed.base}/accounts/${ann.accountId}`, ann.token);
      expect(annAfter.balanceMinutes).toBe(annBefore.balanceMinutes - 30);
      expect(annAfter.givenMinutes).toBe(annBefore.givenMinutes - 30);
      expect(await service.get(`${transfers()}/${original.id}`, ben.token)).toMatchObject({ reversedByTransferId: reversal.json().id });
      const twice = await postWithKey(service, `${transfers()}/${original.id}/reverse`, { reason: 'again' }, seed.coordinatorToken);
      expect(twice.statusCode).toBe(409);
      expect(twice.json().code).toBe('already_reversed');
      const ofReversal = await postWithKey(service, `${transfers()}/${reversal.json().id}/reverse`, { reason: 'undo' }, seed.coordinatorToken);
      expect(ofReversal.json().code).toBe('not_reversible');
    });

    it('needs overrideLimits for a reversal that breaks a limit, and records it', async () => {
      const eve = await addMember('Eve');
      const fay = await addMember('Fay');
      const paid = (await postWithKey(service, transfers(), { payerAccountId: eve.accountId, payeeAccountId: fay.accountId, minutes: 600 }, eve.token)).json();
      // Fay spends what she earned and more, so taking the 600 back would pass her floor.
      await postWithKey(service, transfers(), { payerAccountId: fay.accountId, payeeAccountId: eve.accountId, minutes: 1500 }, fay.token);
      const refused = await postWithKey(service, `${transfers()}/${paid.id}/reverse`, { reason: 'Never happened' }, seed.coordinatorToken);
      expect(refused.statusCode).toBe(422);
      expect(refused.json().code).toBe('insufficient_balance');
      const overridden = await postWithKey(service, `${transfers()}/${paid.id}/reverse`, { reason: 'Never happened', overrideLimits: true }, seed.coordinatorToken);
      expect(overridden.statusCode).toBe(201);
      expect(overridden.json().overrideLimits).toBe(true);
      expect(await balanceOf(service, seed.base, fay.accountId, seed.coordinatorToken)).toBe(-1500);
      expect((await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).ok).toBe(true);
    });

    it('lists a member\'s own transfers only, and all of them for a coordinator', async () => {
      const mine = await service.get<{ items: Array<{ payerAccountId: string; payeeAccountId: string }> }>(`${transfers()}?limit=500`, ann.token);
      expect(mine.items.length).toBeGreaterThan(0);
      expect(mine.items.every((item) => item.payerAccountId === ann.accountId || item.payeeAccountId === ann.accountId)).toBe(true);
      await service.get(`${transfers()}?accountId=${ben.accountId}`, ann.token, 404);
      const all = await service.get<{ items: unknown[] }>(`${transfers()}?limit=500`, seed.coordinatorToken);
      expect(all.items.length).toBeGreaterThan(mine.items.length);
      const pending = await service.get<{ items: Array<{ status: string }> }>(`${transfers()}?status=posted&limit=500`, seed.coordinatorToken);
      expect(pending.items.every((item) => item.status === 'posted')).toBe(true);
    });

    it('hides other members\' accounts and transfers from a member', async () => {
      await service.get(`${seed.base}/accounts/${ben.accountId}`, ann.token, 404);
      await service.get(`${seed.base}/accounts/${seed.timebank.commonsAccountId}`, ann.token);
      // The commons statement names other members: not for members.
      await service.get(`${seed.base}/accounts/${seed.timebank.commonsAccountId}/statement`, ann.token, 404);
      await service.get(`${seed.base}/accounts/${seed.timebank.commonsAccountId}/statement`, seed.coordinatorToken);
      await service.get(`${seed.base}/accounts/${ann.accountId}`, other.coordinatorToken, 404);
      await service.get(`${seed.base}/ledger/verify`, ann.token, 403);
    });
  });
}
