import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/use-cases/maintenance.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * Claims between members, used as an attacker would: to drain a member who is not looking (a
 * claim on its whole room, left to confirm itself), to bury a payer in claims, and to read
 * another member's room or status out of refusals. Each must fail.
 */

let service: TestService;
let now = new Date('2026-06-01T09:00:00.000Z');
const advance = (hours: number) => {
  now = new Date(now.getTime() + hours * 3_600_000);
};

type Seed = Awaited<ReturnType<typeof seedTimebank>>;
type Person = Member & { token: string };

let seed: Seed;
let joined = 0;

beforeAll(async () => {
  service = await startTestService({ clock: () => now });
  seed = await seedTimebank(service);
});
afterAll(() => service.close());

async function join(timebank: Seed, name: string): Promise<Person> {
  joined += 1;
  const member = await service.send<Member>('POST', `${timebank.base}/members`, { displayName: name, email: `${name.toLowerCase()}-${joined}@example.org`, password: timebank.password }, timebank.coordinatorToken);
  return { ...member, token: await service.login(member.email, timebank.password) };
}

/** The claimant records hours it gave the payer: a member's claim. */
const claim = (timebank: Seed, claimant: Person, payer: Person, minutes: number) =>
  postWithKey(service, `${timebank.base}/transfers`, { payerAccountId: payer.accountId, payeeAccountId: claimant.accountId, minutes }, claimant.token);
const pay = (timebank: Seed, payer: Person, payee: Person, minutes: number, token = payer.token) =>
  postWithKey(service, `${timebank.base}/transfers`, { payerAccountId: payer.accountId, payeeAccountId: payee.accountId, minutes }, token);
const resolve = (timebank: Seed, transferId: string, action: 'confirm' | 'reject', token: string) =>
  postWithKey(service, `${timebank.base}/transfers/${transferId}/${action}`, undefined, token);
const accountOf = (timebank: Seed, person: Person) => service.get(`${timebank.base}/accounts/${person.accountId}`, timebank.coordinatorToken);
const transferOf = (timebank: Seed, transferId: string) => service.get(`${timebank.base}/transfers/${transferId}`, timebank.coordinatorToken);
const suspend = (timebank: Seed, person: Person) => service.send('PATCH', `${timebank.base}/members/${person.id}`, { status: 'suspended' }, timebank.coordinatorToken);

describe('a claim cannot drain a member', () => {
  it('holds none of the payer\'s room, even a claim on all of it, and cannot post past the payer\'s floor', async () => {
    const [ann, ben, cy] = [await join(seed, 'Ann'), await join(seed, 'Ben'), await join(seed, 'Cy')];
    const before = await accountOf(seed, ann);
    expect(before).toMatchObject({ availableMinutes: 1200, pendingDebitMinutes: 0 });

    const whole = await claim(seed, ben, ann, before.availableMinutes);
    expect(whole.statusCode, whole.body).toBe(201);
    expect(whole.json()).toMatchObject({ status: 'pending', brokered: false });
    // Nothing of Ann's changed: her room is still all hers.
    expect(await accountOf(seed, ann)).toEqual(before);
    expect(await accountOf(seed, ben)).toMatchObject({ pendingCreditMinutes: 1200 });
    // So it stands as of any instant, too (figures recomputed from the transfers).
    const asOf = `?asOf=${encodeURIComponent(now.toISOString())}`;
    expect(await service.get(`${seed.base}/accounts/${ann.accountId}${asOf}`, seed.coordinatorToken)).toMatchObject({ pendingDebitMinutes: 0, availableMinutes: 1200 });
    expect(await service.get(`${seed.base}/accounts/${ben.accountId}${asOf}`, seed.coordinatorToken)).toMatchObject({ pendingCreditMinutes: 1200 });
    const spent = await pay(seed, ann, cy, 1000);
    expect(spent.statusCode, spent.body).toBe(201);

    // Confirmed now, the claim would pass Ann's floor: refused (Ann hears her own room), still pending.
    const confirm = await resolve(seed, whole.json().id, 'confirm', ann.token);
    expect(confirm.statusCode).toBe(422);
    expect(confirm.json()).toMatchObject({ code: 'insufficient_balance', accountId: ann.accountId, availableMinutes: 200 });
    expect(await transferOf(seed, whole.json().id)).toMatchObject({ status: 'pending' });
    expect(await accountOf(seed, ann)).toMatchObject({ balanceMinutes: -1000, pendingDebitMinutes: 0, availableMinutes: 200 });
    expect((await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).ok).toBe(true);
  });

  it('lets a claim nobody confirms expire at autoConfirmAfterHours instead of posting', async () => {
    const [dora, tim] = [await join(seed, 'Dora'), await join(seed, 'Tim')];
    const response = await claim(seed, tim, dora, 1200);
    expect(response.statusCode, response.body).toBe(201);
    const pending = response.json();
    expect(new Date(pending.autoConfirmAt).getTime() - now.getTime()).toBe(72 * 3_600_000);

    advance(71);
    await runMaintenance(service.database.db, now);
    expect(await transferOf(seed, pending.id)).toMatchObject({ status: 'pending' });
    advance(2);
    const resolved = await runMaintenance(service.database.db, now);
    expect(resolved.posted).toBe(0);
    expect(resolved.expired).toBeGreaterThanOrEqual(1);
    expect(await transferOf(seed, pending.id)).toMatchObject({ status: 'expired', postedAt: null, sequence: null, resolvedAt: now.toISOString() });
    expect(await accountOf(seed, dora)).toMatchObject({ balanceMinutes: 0, pendingDebitMinutes: 0, availableMinutes: 1200 });
    expect(await accountOf(seed, tim)).toMatchObject({ balanceMinutes: 0, pendingCreditMinutes: 0 });
    // Expired is final: the payer can no longer confirm it.
    expect((await resolve(seed, pending.id, 'confirm', dora.token)).json()).toMatchObject({ code: 'transfer_not_pending', transferStatus: 'expired' });
  });

  it('posts claims at the deadline only where the timebank says so, and then only within the limits', async () => {
    const generous = await seedTimebank(service);
    expect((await service.get(generous.base, generous.memberToken)).settings).toMatchObject({ autoConfirmMemberClaims: false, maxOpenClaims: 5 });
    const changed = await service.send('PATCH', generous.base, { settings: { autoConfirmMemberClaims: true } }, generous.coordinatorToken);
    expect(changed.settings).toMatchObject({ autoConfirmMemberClaims: true, maxOpenClaims: 5, autoConfirmAfterHours: 72 });
    expect((await service.get(generous.base, generous.memberToken)).settings.autoConfirmMemberClaims).toBe(true);

    const [eli, fay, gus] = [await join(generous, 'Eli'), await join(generous, 'Fay'), await join(generous, 'Gus')];
    const fits = (await claim(generous, fay, eli, 60)).json();
    // Gus's room is enough when claimed, and no longer at the deadline: that claim expires.
    const late = (await claim(generous, fay, gus, 1000)).json();
    expect((await pay(generous, gus, eli, 500)).statusCode).toBe(201);
    advance(73);
    await runMaintenance(service.database.db, now);
    expect(await transferOf(generous, fits.id)).toMatchObject({ status: 'posted', postedAt: now.toISOString() });
    expect(await transferOf(generous, late.id)).toMatchObject({ status: 'expired' });
    expect(await accountOf(generous, eli)).toMatchObject({ balanceMinutes: 500 - 60 });
    expect(await accountOf(generous, fay)).toMatchObject({ balanceMinutes: 60, pendingCreditMinutes: 0 });
    expect(await accountOf(generous, gus)).toMatchObject({ balanceMinutes: -500, pendingDebitMinutes: 0 });
  });
});

describe('a payer cannot be buried in claims', () => {
  it('refuses the sixth claim waiting on one payer with 422 too_many_open_claims', async () => {
    const pat = await join(seed, 'Pat');
    const claimants = [await join(seed, 'Quinn'), await join(seed, 'Rae'), await join(seed, 'Sol')];
    const open: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const response = await claim(seed, claimants[index % 3]!, pat, 10 + index);
      expect(response.statusCode, response.body).toBe(201);
      open.push(response.json().id);
    }
    const sixth = await claim(seed, claimants[0]!, pat, 30);
    expect(sixth.statusCode).toBe(422);
    expect(sixth.json()).toMatchObject({ code: 'too_many_open_claims', maxOpenClaims: 5 });

    // A coordinator's pending transfer is not a member's claim; claims on another payer are not Pat's.
    const brokered = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: pat.accountId, payeeAccountId: claimants[1]!.accountId, minutes: 5, pending: true }, seed.coordinatorToken);
    expect(brokered.statusCode, brokered.body).toBe(201);
    // Of all that waits on Pat, only the coordinator's transfer holds Pat's room, now and as of now.
    expect(await accountOf(seed, pat)).toMatchObject({ pendingDebitMinutes: 5, availableMinutes: 1195 });
    expect(await service.get(`${seed.base}/accounts/${pat.accountId}?asOf=${encodeURIComponent(now.toISOString())}`, seed.coordinatorToken)).toMatchObject({ pendingDebitMinutes: 5, availableMinutes: 1195 });
    expect((await claim(seed, claimants[0]!, claimants[1]!, 10)).statusCode).toBe(201);

    // Once Pat rejects one, one more may wait, and no more.
    expect((await resolve(seed, open[0]!, 'reject', pat.token)).statusCode).toBe(200);
    expect((await claim(seed, claimants[2]!, pat, 30)).statusCode).toBe(201);
    expect((await claim(seed, claimants[2]!, pat, 31)).json().code).toBe('too_many_open_claims');
  });

  it('counts claims that arrive together: exactly maxOpenClaims of them wait', async () => {
    const pia = await join(seed, 'Pia');
    const claimants = [await join(seed, 'Uma'), await join(seed, 'Vic'), await join(seed, 'Wes'), await join(seed, 'Xan')];
    const answers = await Promise.all(Array.from({ length: 12 }, (_, index) => claim(seed, claimants[index % 4]!, pia, 5 + index)));
    expect(answers.filter((answer) => answer.statusCode === 201)).toHaveLength(5);
    const refused = answers.filter((answer) => answer.statusCode !== 201);
    expect(refused.map((answer) => answer.json().code)).toEqual(new Array(7).fill('too_many_open_claims'));
    const waiting = await service.get<{ items: unknown[] }>(`${seed.base}/transfers?accountId=${pia.accountId}&status=pending`, seed.coordinatorToken);
    expect(waiting.items).toHaveLength(5);
  });
});

describe('refusals tell a member nothing of another member\'s account', () => {
  /** A refusal with the standard problem members only: no figure, no word of a status or a limit. */
  function expectSilent(response: LightMyRequestResponse, figures: number[]) {
    const body = response.json();
    expect(Object.keys(body).sort(), response.body).toEqual(['code', 'detail', 'status', 'title', 'type']);
    expect(body.detail, response.body).not.toMatch(/\d/);
    expect(response.body).not.toMatch(/suspended|\bleft\b|inactive|balance|room|spend|earn|cap\b|floor|limit/i);
    for (const figure of figures) expect(response.body).not.toContain(String(figure));
  }

  it('answers a claimant, a payer and a bystander without the other account\'s room or status', async () => {
    const [ria, sam, ann, ben, mo] = [await join(seed, 'Ria'), await join(seed, 'Sam'), await join(seed, 'Ana'), await join(seed, 'Bo'), await join(seed, 'Moe')];
    const donor = await join(seed, 'Don');
    expect((await pay(seed, donor, ria, 1177)).statusCode).toBe(201);
    // Ria's figures, none of which a member other than Ria may read from an answer.
    const riaAccount = await accountOf(seed, ria);
    expect(riaAccount).toMatchObject({ balanceMinutes: 1177, availableMinutes: 2377 });
    const riaFigures = [1177, 2377, 6000 - 1177];

    // A claim far beyond Ria's room is recorded like any other: it says nothing of her room.
    const greedy = await claim(seed, ben, ria, 5000);
    expect(greedy.statusCode, greedy.body).toBe(201);
    for (const figure of riaFigures) expect(greedy.body).not.toContain(String(figure));

    await suspend(seed, sam);
    // A claim on a suspended member is recorded too; it cannot be confirmed and expires.
    const onSuspended = await claim(seed, ben, sam, 30);
    expect(onSuspended.statusCode, onSuspended.body).toBe(201);
    expect(onSuspended.json()).toMatchObject({ status: 'pending' });

    // A bystander recording for others is refused before any account is looked at.
    const bystander = await pay(seed, ria, sam, 10, mo.token);
    expect(bystander.statusCode).toBe(403);
    expectSilent(bystander, riaFigures);

    // A payer paying a suspended member, and a payee at its cap, gets one and the same answer.
    const toSuspended = await pay(seed, ann, sam, 10);
    expect(toSuspended.statusCode).toBe(422);
    expectSilent(toSuspended, riaFigures);
    await service.send('PATCH', seed.base, { settings: { defaultMaxBalanceMinutes: 40 } }, seed.coordinatorToken);
    const capped = await join(seed, 'Cap');
    await service.send('PATCH', seed.base, { settings: { defaultMaxBalanceMinutes: 6000 } }, seed.coordinatorToken);
    const toCapped = await pay(seed, ann, capped, 41);
    expect(toCapped.statusCode).toBe(422);
    expectSilent(toCapped, [40]);
    expect(toCapped.json()).toEqual(toSuspended.json());
    expect(toCapped.json().code).toBe('transfer_refused');

    // The payer confirming a claim whose claimant has since been suspended learns no more.
    const fromBen = (await claim(seed, ben, ann, 15)).json();
    await suspend(seed, ben);
    const confirm = await resolve(seed, fromBen.id, 'confirm', ann.token);
    expect(confirm.statusCode).toBe(422);
    expectSilent(confirm, []);
    expect(confirm.json()).toEqual({ ...toSuspended.json() });
    expect(await transferOf(seed, fromBen.id)).toMatchObject({ status: 'pending' });

    // A member still hears its own figures, and a coordinator hears everything.
    const ownRoom = await pay(seed, ann, ria, 1201);
    expect(ownRoom.json()).toMatchObject({ code: 'insufficient_balance', availableMinutes: 1200 });
    expect((await pay(seed, ann, sam, 10, seed.coordinatorToken)).json()).toMatchObject({ code: 'account_inactive', field: 'payeeAccountId' });
    expect((await pay(seed, ann, capped, 41, seed.coordinatorToken)).json()).toMatchObject({ code: 'limit_exceeded', accountId: capped.accountId, detail: expect.stringContaining('40 more minutes') });
    expect((await resolve(seed, onSuspended.json().id, 'confirm', seed.coordinatorToken)).json()).toMatchObject({ code: 'account_inactive', field: 'payerAccountId' });
  });
});
