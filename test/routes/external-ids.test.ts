import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/use-cases/maintenance.js';
import { balanceOf, postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService, type TestServiceOptions } from '../helpers/service.js';

/*
 * What a partner app keeps on transfers and members beside the contract's fields: its own
 * externalId (unique per timebank, a durable guard against double entry) and metadata, who
 * recorded each transfer (recordedBy), and finding members by email. Runs on PostgreSQL and on
 * the embedded database; the race of two writers over one externalId needs a second connection
 * to PostgreSQL.
 */

// Response bodies are checked by assertions, so tests read them loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function externalIdSuite(options: Pick<TestServiceOptions, 'embedded'>): void {
  let service: TestService;
  let seed: Awaited<ReturnType<typeof seedTimebank>>;
  let other: Awaited<ReturnType<typeof seedTimebank>>;
  let ann: Member & { token: string };
  let ben: Member & { token: string };
  let partner: { id: string; token: string };
  let reader: { id: string; token: string };
  let now = new Date('2026-03-01T09:00:00.000Z');

  const transfers = () => `${seed.base}/transfers`;
  const members = () => `${seed.base}/members`;

  async function addMember(name: string) {
    const member = await service.send<Member>('POST', members(), { displayName: name, email: `${name.toLowerCase()}-${randomUUID()}@example.org`, password: seed.password }, seed.coordinatorToken);
    return { ...member, token: await service.login(member.email, seed.password) };
  }

  async function addClient(scopes: string[]) {
    const client = await service.send('POST', `${seed.base}/clients`, { name: `Partner ${randomUUID()}`, scopes }, seed.coordinatorToken);
    const response = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } });
    expect(response.statusCode, response.body).toBe(200);
    return { id: client.id as string, token: response.json().access_token as string };
  }

  const transferCount = async (base = seed.base) => (await service.get(`${base}/transfers?limit=500`, seed.admin)).items.length;

  beforeAll(async () => {
    service = await startTestService({ ...options, clock: () => now });
    seed = await seedTimebank(service);
    other = await seedTimebank(service);
    ann = await addMember('Ann');
    ben = await addMember('Ben');
    partner = await addClient(['ledger:read', 'ledger:write', 'members:read', 'members:write']);
    reader = await addClient(['members:read']);
  });
  afterAll(() => service.close());

  describe('transfers', () => {
    it('keeps externalId and metadata as given: in the answer, by id, in the list filter and in a replay', async () => {
      const body = { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 30, externalId: 'shift-1001', metadata: { shiftId: '1001', site: 'Garden' } };
      const key = randomUUID();
      const created = await postWithKey(service, transfers(), body, partner.token, key);
      expect(created.statusCode, created.body).toBe(201);
      const transfer = created.json();
      expect(transfer).toMatchObject({ externalId: 'shift-1001', metadata: { shiftId: '1001', site: 'Garden' }, recordedBy: { type: 'client', id: partner.id }, brokered: true });

      expect(await service.get(`${transfers()}/${transfer.id}`, ann.token)).toMatchObject({ externalId: 'shift-1001', metadata: body.metadata });
      const found = await service.get(`${transfers()}?externalId=shift-1001`, partner.token);
      expect(found.items.map((item: Json) => item.id)).toEqual([transfer.id]);
      expect((await service.get(`${transfers()}?externalId=shift-9999`, partner.token)).items).toEqual([]);
      // A member's list filters within its own account's transfers.
      expect((await service.get(`${transfers()}?externalId=shift-1001`, ben.token)).items).toHaveLength(1);

      const replay = await postWithKey(service, transfers(), body, partner.token, key);
      expect(replay.headers['idempotency-replayed']).toBe('true');
      expect(replay.json()).toEqual(transfer);
    });

    it('refuses a second transfer with a taken externalId (409 external_id_taken), writing nothing, and replays the refusal', async () => {
      const before = { count: await transferCount(), ann: await balanceOf(service, seed.base, ann.accountId, ann.token) };
      const body = { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 30, externalId: 'shift-1001' };
      const key = randomUUID();
      const again = await postWithKey(service, transfers(), body, partner.token, key);
      expect(again.statusCode, again.body).toBe(409);
      expect(again.json()).toMatchObject({ code: 'external_id_taken', field: 'externalId' });
      expect(await transferCount()).toBe(before.count);
      expect(await balanceOf(service, seed.base, ann.accountId, ann.token)).toBe(before.ann);
      // Another recorder's same text is its own id: a member's transfer neither takes the
      // partner's id nor learns that the partner used it.
      const byMember = await postWithKey(service, transfers(), { ...body, minutes: 1 }, ann.token);
      expect(byMember.statusCode, byMember.body).toBe(201);
      const found = (await service.get(`${transfers()}?externalId=shift-1001`, seed.coordinatorToken)).items as Json[];
      expect(found.map((transfer) => transfer.recordedBy.type).sort()).toEqual(['client', 'member']);
      const againByMember = await postWithKey(service, transfers(), { ...body, minutes: 1 }, ann.token);
      expect(againByMember.json()).toMatchObject({ code: 'external_id_taken' });

      const replay = await postWithKey(service, transfers(), body, partner.token, key);
      expect(replay.statusCode).toBe(409);
      expect(replay.headers['idempotency-replayed']).toBe('true');
    });

    it('takes an externalId per transfer in a batch, and refuses one taken or given twice, naming its index', async () => {
      const item = (externalId: string, minutes = 5) => ({ payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes, externalId, metadata: { row: externalId } });
      const batch = await postWithKey(service, `${transfers()}/batch`, { transfers: [item('row-1'), item('row-2'), { payerAccountId: ben.accountId, payeeAccountId: ann.accountId, minutes: 5 }] }, seed.coordinatorToken);
      expect(batch.statusCode, batch.body).toBe(201);
      expect(batch.json().items.map((transfer: Json) => [transfer.externalId, transfer.metadata])).toEqual([
        ['row-1', { row: 'row-1' }],
        ['row-2', { row: 'row-2' }],
        [null, {}],
      ]);
      expect((await service.get(`${transfers()}?externalId=row-2`, seed.coordinatorToken)).items[0]).toMatchObject({ id: batch.json().items[1].id, recordedBy: { type: 'member', id: seed.coordinator.id } });

      const count = await transferCount();
      const twice = await postWithKey(service, `${transfers()}/batch`, { transfers: [item('row-3'), item('row-3')] }, seed.coordinatorToken);
      expect(twice.statusCode, twice.body).toBe(409);
      expect(twice.json()).toMatchObject({ code: 'external_id_taken', index: 1, field: 'transfers.1.externalId' });
      const taken = await postWithKey(service, `${transfers()}/batch`, { transfers: [item('row-4'), item('row-1')] }, seed.coordinatorToken);
      expect(taken.json()).toMatchObject({ code: 'external_id_taken', index: 1, field: 'transfers.1.externalId' });
      expect(await transferCount()).toBe(count);
      expect((await service.get(`${transfers()}?externalId=row-3`, seed.coordinatorToken)).items).toEqual([]);
      expect((await service.get(`${transfers()}?externalId=row-4`, seed.coordinatorToken)).items).toEqual([]);
    });

    it('answers each of many concurrent requests with one externalId: one recorded, the others 409', async () => {
      const count = await transferCount();
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 1, externalId: index % 2 === 0 ? 'concurrent-1' : `concurrent-other-${index}` }, partner.token),
        ),
      );
      const same = answers.filter((_, index) => index % 2 === 0);
      expect(same.filter((answer) => answer.statusCode === 201)).toHaveLength(1);
      for (const answer of same.filter((response) => response.statusCode !== 201)) expect(answer.json()).toMatchObject({ code: 'external_id_taken' });
      // The others in the same groups are written whatever happened to their neighbours.
      for (const answer of answers.filter((_, index) => index % 2 === 1)) expect(answer.statusCode, answer.body).toBe(201);
      expect(await transferCount()).toBe(count + 7);
      expect((await service.get(`${transfers()}?externalId=concurrent-1`, partner.token)).items).toHaveLength(1);
    });

    it('refuses malformed externalIds and metadata with 400 naming the field', async () => {
      const base = { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 5 };
      const refused = async (body: object, field: string, url = transfers()) => {
        const response = await postWithKey(service, url, body, partner.token);
        expect(response.statusCode, response.body).toBe(400);
        expect(response.json().code).toBe('validation_failed');
        expect(response.json().errors.map((error: Json) => error.field)).toContain(field);
      };
      const keys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, 'v']));
      await refused({ ...base, externalId: '' }, 'externalId');
      await refused({ ...base, externalId: 'x'.repeat(256) }, 'externalId');
      await refused({ ...base, externalId: 'line\nbreak' }, 'externalId');
      await refused({ ...base, externalId: 42 }, 'externalId');
      await refused({ ...base, metadata: keys(21) }, 'metadata');
      await refused({ ...base, metadata: { ['k'.repeat(41)]: 'v' } }, `metadata.${'k'.repeat(41)}`);
      await refused({ ...base, metadata: { '': 'v' } }, 'metadata');
      await refused({ ...base, metadata: { note: 'v'.repeat(501) } }, 'metadata.note');
      await refused({ ...base, metadata: { count: 3 } }, 'metadata.count');
      await refused({ ...base, metadata: { nested: { a: 'b' } } }, 'metadata.nested');
      await refused({ ...base, metadata: ['a'] }, 'metadata');
      await refused({ ...base, metadata: null }, 'metadata');
      await refused({ transfers: [base, { ...base, metadata: keys(21) }] }, 'transfers.1.metadata', `${transfers()}/batch`);
      // At the limits, accepted.
      const full = await postWithKey(service, transfers(), { ...base, externalId: 'x'.repeat(255), metadata: { ...keys(19), ['k'.repeat(40)]: 'v'.repeat(500) } }, partner.token);
      expect(full.statusCode, full.body).toBe(201);
      expect(Object.keys(full.json().metadata)).toHaveLength(20);
    });

    it('lets the same externalId exist once in each timebank', async () => {
      const [otherAnn, otherBen] = [other.member, other.coordinator];
      const here = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 5, externalId: 'shared-1' }, seed.coordinatorToken);
      const there = await postWithKey(service, `${other.base}/transfers`, { payerAccountId: otherAnn.accountId, payeeAccountId: otherBen.accountId, minutes: 5, externalId: 'shared-1' }, other.admin);
      expect([here.statusCode, there.statusCode]).toEqual([201, 201]);
      expect((await service.get(`${transfers()}?externalId=shared-1`, seed.coordinatorToken)).items.map((item: Json) => item.id)).toEqual([here.json().id]);
      expect((await service.get(`${other.base}/transfers?externalId=shared-1`, other.coordinatorToken)).items.map((item: Json) => item.id)).toEqual([there.json().id]);
    });
  });

  describe('recordedBy', () => {
    it('names the member, coordinator, admin or client that recorded a transfer, and a reversal\'s coordinator', async () => {
      const body = { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 1 };
      const admin = await service.get('/v1/me', seed.admin);
      const recorded = async (token: string) => (await postWithKey(service, transfers(), body, token)).json().recordedBy;
      expect(await recorded(ann.token)).toEqual({ type: 'member', id: ann.id });
      expect(await recorded(seed.coordinatorToken)).toEqual({ type: 'member', id: seed.coordinator.id });
      expect(await recorded(seed.admin)).toEqual({ type: 'admin', id: admin.id });
      expect(await recorded(partner.token)).toEqual({ type: 'client', id: partner.id });

      const original = (await postWithKey(service, transfers(), { ...body, externalId: 'to-reverse', metadata: { a: 'b' } }, partner.token)).json();
      const reversal = await postWithKey(service, `${transfers()}/${original.id}/reverse`, { reason: 'Recorded twice' }, seed.coordinatorToken);
      expect(reversal.statusCode, reversal.body).toBe(201);
      // The reversal is the coordinator's record: it takes neither the partner's externalId nor its metadata.
      expect(reversal.json()).toMatchObject({ recordedBy: { type: 'member', id: seed.coordinator.id }, externalId: null, metadata: {}, reversesTransferId: original.id });
      expect(await service.get(`${transfers()}/${original.id}`, seed.coordinatorToken)).toMatchObject({ recordedBy: { type: 'client', id: partner.id }, externalId: 'to-reverse', reversedByTransferId: reversal.json().id });
    });

    it('keeps the creator when a pending transfer posts or expires at its deadline, and keeps externalId and metadata', async () => {
      const brokered = (await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 2, pending: true, externalId: 'deadline-1', metadata: { k: 'v' } }, partner.token)).json();
      const claim = (await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 2, externalId: 'deadline-2' }, ben.token)).json();
      expect([brokered.status, claim.status]).toEqual(['pending', 'pending']);
      now = new Date(now.getTime() + 73 * 3_600_000);
      expect(await runMaintenance(service.database.db, now)).toEqual({ posted: 1, expired: 1 });
      expect(await service.get(`${transfers()}/${brokered.id}`, seed.coordinatorToken)).toMatchObject({ status: 'posted', recordedBy: { type: 'client', id: partner.id }, externalId: 'deadline-1', metadata: { k: 'v' } });
      expect(await service.get(`${transfers()}/${claim.id}`, seed.coordinatorToken)).toMatchObject({ status: 'expired', recordedBy: { type: 'member', id: ben.id }, externalId: 'deadline-2' });
      // Confirmed by its payer, a pending transfer answers with what it was recorded with.
      const waiting = (await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 2, pending: true, externalId: 'confirm-1', metadata: { k: 'w' } }, partner.token)).json();
      const confirmed = await postWithKey(service, `${transfers()}/${waiting.id}/confirm`, undefined, ann.token);
      expect(confirmed.json()).toMatchObject({ status: 'posted', externalId: 'confirm-1', metadata: { k: 'w' }, recordedBy: { type: 'client', id: partner.id } });
      // Expired, its externalId stays taken: the record exists.
      const again = await postWithKey(service, transfers(), { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 2, externalId: 'deadline-2' }, ben.token);
      expect(again.json()).toMatchObject({ code: 'external_id_taken' });
    });
  });

  describe('members', () => {
    it('keeps externalId and metadata: created, read, listed by externalId, 409 when taken, changed by PATCH', async () => {
      const email = `vera-${randomUUID()}@example.org`;
      const vera = await service.send('POST', members(), { displayName: 'Vera', email, externalId: 'vol-1', metadata: { profile: 'https://volunteers.example/p/1' } }, partner.token);
      expect(vera).toMatchObject({ externalId: 'vol-1', metadata: { profile: 'https://volunteers.example/p/1' } });
      expect(await service.get(`${members()}/${vera.id}`, seed.coordinatorToken)).toMatchObject({ externalId: 'vol-1', metadata: vera.metadata });
      expect((await service.get(`${members()}?externalId=vol-1`, reader.token)).items.map((item: Json) => item.id)).toEqual([vera.id]);
      // Members without them show null and {}.
      expect(await service.get(`${members()}/${ann.id}`, ann.token)).toMatchObject({ externalId: null, metadata: {} });

      const secondEmail = `walt-${randomUUID()}@example.org`;
      const taken = await service.send('POST', members(), { displayName: 'Walt', email: secondEmail, externalId: 'vol-1' }, seed.coordinatorToken, 409);
      expect(taken).toMatchObject({ code: 'external_id_taken', field: 'externalId' });
      expect((await service.get(`${members()}?email=${encodeURIComponent(secondEmail)}`, seed.coordinatorToken)).items).toEqual([]);

      const changed = await service.send('PATCH', `${members()}/${vera.id}`, { externalId: 'vol-1b', metadata: { tier: 'gold' } }, seed.coordinatorToken);
      expect(changed).toMatchObject({ externalId: 'vol-1b', metadata: { tier: 'gold' } });
      const byClient = await service.send('PATCH', `${members()}/${vera.id}`, { metadata: {} }, partner.token);
      expect(byClient).toMatchObject({ externalId: 'vol-1b', metadata: {} });
      await service.send('PATCH', `${members()}/${ann.id}`, { externalId: 'vol-1b' }, partner.token, 409);
      expect(await service.get(`${members()}/${ann.id}`, ann.token)).toMatchObject({ externalId: null });
      // A member changes neither on its own record.
      const self = await service.send('PATCH', `${members()}/${ann.id}`, { externalId: 'mine' }, ann.token, 403);
      expect(self.code).toBe('forbidden');
      await service.send('PATCH', `${members()}/${ann.id}`, { metadata: { a: 'b' } }, ann.token, 403);
      const removed = await service.send('PATCH', `${members()}/${vera.id}`, { externalId: null }, seed.coordinatorToken);
      expect(removed.externalId).toBeNull();
      // Freed, it can be given again.
      await service.send('PATCH', `${members()}/${ann.id}`, { externalId: 'vol-1b' }, seed.coordinatorToken);
    });

    it('refuses malformed metadata and externalIds on members with 400 naming the field', async () => {
      const body = { displayName: 'Xena', email: `xena-${randomUUID()}@example.org` };
      const refusal = await service.send('POST', members(), { ...body, metadata: { toolong: 'v'.repeat(501) } }, seed.coordinatorToken, 400);
      expect(refusal.errors[0].field).toBe('metadata.toolong');
      const patch = await service.send('PATCH', `${members()}/${ben.id}`, { externalId: '' }, seed.coordinatorToken, 400);
      expect(patch.errors[0].field).toBe('externalId');
      expect((await service.get(`${members()}?email=${encodeURIComponent(body.email)}`, seed.coordinatorToken)).items).toEqual([]);
    });

    it('lets the same externalId name a member in each timebank', async () => {
      const here = await service.send('POST', members(), { displayName: 'Yuri', email: `yuri-${randomUUID()}@example.org`, externalId: 'vol-shared' }, seed.coordinatorToken);
      const there = await service.send('POST', `${other.base}/members`, { displayName: 'Yuri', email: `yuri-${randomUUID()}@example.org`, externalId: 'vol-shared' }, other.coordinatorToken);
      expect((await service.get(`${members()}?externalId=vol-shared`, seed.coordinatorToken)).items.map((item: Json) => item.id)).toEqual([here.id]);
      expect((await service.get(`${other.base}/members?externalId=vol-shared`, other.coordinatorToken)).items.map((item: Json) => item.id)).toEqual([there.id]);
    });

    it('finds a member by email for coordinators and clients with members:read, case-insensitively, in its own timebank only', async () => {
      const shouted = ann.email.toUpperCase();
      const byCoordinator = await service.get(`${members()}?email=${encodeURIComponent(shouted)}`, seed.coordinatorToken);
      expect(byCoordinator.items.map((item: Json) => item.id)).toEqual([ann.id]);
      const byClient = await service.get(`${members()}?email=${encodeURIComponent(` ${ann.email} `)}`, reader.token);
      expect(byClient.items.map((item: Json) => item.id)).toEqual([ann.id]);
      expect((await service.get(`${members()}?email=nobody%40example.org`, seed.coordinatorToken)).items).toEqual([]);
      // Another timebank's member is not found here, and a plain member may not search.
      expect((await service.get(`${members()}?email=${encodeURIComponent(other.member.email)}`, seed.coordinatorToken)).items).toEqual([]);
      expect((await service.get(`${members()}?email=${encodeURIComponent(ben.email)}`, ann.token, 403)).code).toBe('forbidden');
      // A client without members:read may not either.
      expect((await service.get(`${members()}?email=${encodeURIComponent(ben.email)}`, (await addClient(['ledger:read'])).token, 403)).code).toBe('insufficient_scope');
    });
  });
}

describe('on PostgreSQL', () => {
  externalIdSuite({});

  describe('an externalId taken by a transaction that commits while a write waits on it', () => {
    let service: TestService;
    let seed: Awaited<ReturnType<typeof seedTimebank>>;
    let raw: pg.Client;
    beforeAll(async () => {
      service = await startTestService();
      seed = await seedTimebank(service);
      raw = new pg.Client({ connectionString: service.databaseUrl });
      await raw.connect();
    });
    afterAll(async () => {
      await raw.end();
      await service.close();
    });

    it('answers 409 once the other commits (the unique index, then a retry that reads it), and the retry of a group writes the others', async () => {
      const add = (name: string) => service.send<Member>('POST', `${seed.base}/members`, { displayName: name, email: `${name}-${randomUUID()}@example.org` }, seed.coordinatorToken);
      const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map(add));
      // Another writer, on other accounts: a rejected transfer holds nothing, so the ledger stays whole.
      await raw.query('BEGIN');
      const xid = (await raw.query('SELECT txid_current()::text AS xid')).rows[0].xid as string;
      await raw.query(
        `INSERT INTO transfers (timebank_id, id, payer_account_id, payee_account_id, minutes, status, created_by_type, created_by_id, brokered, external_id, created_at, resolved_at)
         VALUES ($1, $2, $3, $4, 5, 'rejected', 'member', $5, true, 'race-1', now(), now())`,
        [seed.timebank.id, randomUUID(), a!.accountId, b!.accountId, seed.coordinator.id],
      );
      const key = randomUUID();
      const body = { payerAccountId: c!.accountId, payeeAccountId: d!.accountId, minutes: 5, externalId: 'race-1' };
      const waiting = postWithKey(service, `${seed.base}/transfers`, body, seed.coordinatorToken, key);
      const neighbour = postWithKey(service, `${seed.base}/transfers`, { ...body, externalId: 'race-2' }, seed.coordinatorToken);
      // Until the write waits for this transaction: on the index entry of its uncommitted row.
      for (let tries = 0; ; tries += 1) {
        const { rows } = await raw.query(`SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = $1`, [xid]);
        if (rows[0].waiting > 0) break;
        if (tries > 500) throw new Error('the write never waited on the uncommitted externalId');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await raw.query('COMMIT');
      const [answer, other] = await Promise.all([waiting, neighbour]);
      expect(answer.statusCode, answer.body).toBe(409);
      expect(answer.json()).toMatchObject({ code: 'external_id_taken', field: 'externalId' });
      expect(other.statusCode, other.body).toBe(201);
      expect(await balanceOf(service, seed.base, c!.accountId, seed.coordinatorToken)).toBe(-5);
      const replay = await postWithKey(service, `${seed.base}/transfers`, body, seed.coordinatorToken, key);
      expect([replay.statusCode, replay.headers['idempotency-replayed']]).toEqual([409, 'true']);
      expect((await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).ok).toBe(true);
    });
  });
});

describe('on the embedded database', () => {
  externalIdSuite({ embedded: true });
});
