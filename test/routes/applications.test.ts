import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applications } from '../../src/db/schema.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * Applications to join a timebank (DESIGN.md section 8): anyone applies without a token, the
 * answer never tells whether an email is a member's, and coordinators approve (the member
 * joins, with the password it chose) or decline, each once.
 */

type Seed = Awaited<ReturnType<typeof seedTimebank>>;

let service: TestService;
let seed: Seed;
let other: Seed;
let addresses = 0;

/** Each application from an address of its own, unless a test counts one address's applications. */
const nextAddress = () => `10.1.${Math.floor((addresses += 1) / 250)}.${addresses % 250}`;

function apply(timebankId: string, payload: unknown, remoteAddress = nextAddress()) {
  return service.request({ method: 'POST', url: `/v1/timebanks/${timebankId}/applications`, payload: payload as object, remoteAddress });
}

let people = 0;
const applicant = (overrides: Record<string, unknown> = {}) => ({
  displayName: `Ada Applicant ${(people += 1)}`,
  email: `ada-${people}-${Date.now()}@example.org`,
  password: 'ada-chose-this-password',
  about: 'I can fix bikes.\nAnd I bake.',
  ...overrides,
});

async function setJoinPolicy(target: Seed, joinPolicy: string) {
  await service.send('PATCH', target.base, { settings: { joinPolicy } }, target.coordinatorToken);
}

/** The timebank's applications of one status (all of them with none). */
async function queue(target: Seed, token = target.coordinatorToken, status: string | null = 'open') {
  return (await service.get<{ items: Array<Record<string, unknown>> }>(`${target.base}/applications?limit=500${status ? `&status=${status}` : ''}`, token)).items;
}

async function decide(target: Seed, applicationId: string, decision: 'approve' | 'decline', body?: unknown, token = target.coordinatorToken) {
  return service.request({ method: 'POST', url: `${target.base}/applications/${applicationId}/${decision}`, token, ...(body === undefined ? {} : { payload: body as object }) });
}

async function storedRow(target: Seed, applicationId: string) {
  const [row] = await service.database.db.select().from(applications).where(and(eq(applications.timebankId, target.timebank.id), eq(applications.id, applicationId)));
  return row!;
}

async function auditActions(target: Seed, applicationId: string) {
  const page = await service.get<{ items: Array<{ action: string; actor: { type: string; id: string | null }; changes: Record<string, unknown> }> }>(`${target.base}/audit-log?target=${applicationId}`, target.coordinatorToken);
  return page.items;
}

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  other = await seedTimebank(service);
  await setJoinPolicy(seed, 'application');
  await setJoinPolicy(other, 'application');
});
afterAll(() => service?.close());

describe('the join settings', () => {
  it('are closed and 14 days by default, changed by coordinators within bounds, and audited', async () => {
    const fresh = await seedTimebank(service);
    expect(fresh.timebank).toMatchObject({ settings: { joinPolicy: 'closed', stalledAfterDays: 14 } });
    const changed = await service.send('PATCH', fresh.base, { settings: { joinPolicy: 'open', stalledAfterDays: 30 } }, fresh.coordinatorToken);
    expect(changed.settings).toMatchObject({ joinPolicy: 'open', stalledAfterDays: 30 });
    for (const settings of [{ stalledAfterDays: 0 }, { stalledAfterDays: 366 }, { stalledAfterDays: 1.5 }, { stalledAfterDays: '14' }, { joinPolicy: 'maybe' }]) {
      const refused = await service.send('PATCH', fresh.base, { settings }, fresh.coordinatorToken, 400);
      expect(refused.errors, JSON.stringify(settings)).toEqual([expect.objectContaining({ field: `settings.${Object.keys(settings)[0]}` })]);
    }
    const audit = await service.get(`${fresh.base}/audit-log?action=timebank.updated`, fresh.coordinatorToken);
    expect(audit.items[0].changes).toEqual({ 'settings.joinPolicy': ['closed', 'open'], 'settings.stalledAfterDays': [14, 30] });
    await service.send('PATCH', fresh.base, { settings: { joinPolicy: 'closed' } }, fresh.memberToken, 403);
  });
});

describe('applying', () => {
  it('is refused by a closed timebank (403) and an unknown one (404), and the slug of a closed one is not found', async () => {
    const closed = await seedTimebank(service);
    const refused = await apply(closed.timebank.id, applicant());
    expect([refused.statusCode, refused.json().code]).toEqual([403, 'joining_closed']);
    expect((await apply('019a1f2e-0000-7000-8000-000000000000', applicant())).statusCode).toBe(404);
    const hidden = await service.request({ method: 'GET', url: `/v1/joinable-timebanks/${closed.timebank.slug}` });
    expect([hidden.statusCode, hidden.json().code]).toEqual([404, 'not_found']);
    const found = await service.request({ method: 'GET', url: `/v1/joinable-timebanks/${seed.timebank.slug}` });
    expect(found.json()).toEqual({ id: seed.timebank.id, name: seed.timebank.name, slug: seed.timebank.slug, joinPolicy: 'application' });
    expect((await service.request({ method: 'GET', url: '/v1/joinable-timebanks/Not_A_Slug' })).statusCode).toBe(400);
  });

  it('answers a member\'s email exactly as a new one, and shows the coordinator the duplicate', async () => {
    const fresh = await apply(seed.timebank.id, applicant());
    const duplicate = await apply(seed.timebank.id, applicant({ email: seed.member.email.toUpperCase() }));
    expect([fresh.statusCode, duplicate.statusCode]).toEqual([202, 202]);
    expect(fresh.headers['content-type']).toBe(duplicate.headers['content-type']);
    expect(Object.keys(duplicate.json())).toEqual(Object.keys(fresh.json()));
    expect([fresh.json().status, duplicate.json().status]).toEqual(['open', 'open']);
    // Both passwords were hashed, whoever the email belongs to.
    for (const answer of [fresh, duplicate]) expect((await storedRow(seed, answer.json().id)).passwordHash).toMatch(/^\$argon2id\$/);

    const open = await queue(seed);
    const flagged = open.find((item) => item.id === duplicate.json().id)!;
    expect(flagged).toMatchObject({ email: seed.member.email, duplicateOfMemberId: seed.member.id, status: 'open', memberId: null, decidedBy: null });
    expect(open.find((item) => item.id === fresh.json().id)).toMatchObject({ duplicateOfMemberId: null, about: 'I can fix bikes.\nAnd I bake.' });
    expect(JSON.stringify(open)).not.toMatch(/argon2|password/i);

    const refused = await decide(seed, duplicate.json().id, 'approve');
    expect([refused.statusCode, refused.json().code, refused.json().memberId, refused.json().field]).toEqual([409, 'email_taken', seed.member.id, 'email']);
    expect((await service.get(`${seed.base}/applications/${duplicate.json().id}`, seed.coordinatorToken)).status).toBe('open');
    expect((await decide(seed, duplicate.json().id, 'decline', { reason: 'Already a member' })).statusCode).toBe(200);
  });

  it('refuses a second open application with the same email (409), and takes it again once the first is decided', async () => {
    const body = applicant();
    const first = await apply(seed.timebank.id, body);
    const second = await apply(seed.timebank.id, { ...body, email: ` ${body.email.toUpperCase()} `.trim(), displayName: 'Someone else' });
    expect([second.statusCode, second.json().code]).toEqual([409, 'application_exists']);
    expect((await decide(seed, first.json().id, 'decline')).json()).toMatchObject({ status: 'declined', reason: null });
    expect((await apply(seed.timebank.id, body)).statusCode).toBe(202);
  });

  it('refuses control characters, over-long text, short passwords and unknown fields (400), and stores nothing', async () => {
    const before = (await queue(seed, seed.coordinatorToken, null)).length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [applicant({ displayName: 'Ada\u0007' }), 'displayName'],
      [applicant({ displayName: 'A'.repeat(201) }), 'displayName'],
      [applicant({ about: 'Hello\u0000there' }), 'about'],
      [applicant({ about: 'x'.repeat(2001) }), 'about'],
      [applicant({ password: 'short' }), 'password'],
      [applicant({ email: 'not an email' }), 'email'],
      [applicant({ role: 'coordinator' }), ''],
    ];
    for (const [body, field] of cases) {
      const refused = await apply(seed.timebank.id, body);
      expect([refused.statusCode, refused.json().code], field).toEqual([400, 'validation_failed']);
      if (field) expect(refused.json().errors.map((error: { field: string }) => error.field), field).toContain(field);
    }
    expect((await queue(seed, seed.coordinatorToken, null)).length).toBe(before);
  });

  it('is limited per client address: past 10 in 10 minutes, 429 with Retry-After', async () => {
    const address = '10.9.9.9';
    const closed = await seedTimebank(service);
    for (let attempt = 0; attempt < 10; attempt += 1) expect((await apply(closed.timebank.id, applicant(), address)).statusCode).toBe(403);
    const limited = await apply(closed.timebank.id, applicant(), address);
    expect([limited.statusCode, limited.json().code]).toEqual([429, 'rate_limited']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await apply(seed.timebank.id, applicant(), address)).statusCode).toBe(429);
    expect((await apply(seed.timebank.id, applicant(), '10.9.9.10')).statusCode).toBe(202);
  });
});

describe('a coordinator\'s decision', () => {
  it('approves once: the member joins with the password chosen, audited and told in the feed', async () => {
    const body = applicant();
    const applied = (await apply(seed.timebank.id, body)).json();
    const approved = await decide(seed, applied.id, 'approve');
    expect(approved.statusCode).toBe(200);
    const application = approved.json();
    expect(application).toMatchObject({ status: 'approved', decidedBy: { type: 'member', id: seed.coordinator.id }, duplicateOfMemberId: null });
    expect((await storedRow(seed, applied.id)).passwordHash).toBeNull();

    const member = await service.get(`${seed.base}/members/${application.memberId}`, seed.coordinatorToken);
    expect(member).toMatchObject({ displayName: body.displayName, email: body.email, role: 'member', status: 'active' });
    const token = await service.login(body.email, body.password, seed.timebank.id);
    expect(await service.get('/v1/me', token)).toMatchObject({ id: application.memberId, accountId: member.accountId });

    const again = await decide(seed, applied.id, 'approve');
    expect([again.statusCode, again.json().code, again.json().applicationStatus]).toEqual([409, 'application_not_open', 'approved']);
    const late = await decide(seed, applied.id, 'decline', { reason: 'Changed our minds' });
    expect([late.statusCode, late.json().code]).toEqual([409, 'application_not_open']);

    const audit = await auditActions(seed, applied.id);
    expect(audit).toEqual([expect.objectContaining({ action: 'application.approved', actor: { type: 'member', id: seed.coordinator.id }, changes: { status: ['open', 'approved'], memberId: [null, application.memberId] } })]);
    const joined = await service.get(`${seed.base}/audit-log?target=${application.memberId}`, seed.coordinatorToken);
    expect(joined.items.map((entry: { action: string }) => entry.action)).toEqual(['member.created']);

    await service.sequenceEvents();
    const events = (await service.get(`${seed.base}/events?types=application.created,member.created&limit=1000`, seed.coordinatorToken)).items as Array<{ type: string; data: Record<string, unknown> }>;
    expect(events.find((event) => event.type === 'application.created' && event.data.id === applied.id)?.data).toMatchObject({ status: 'open', email: body.email });
    expect(events.some((event) => event.type === 'member.created' && event.data.id === application.memberId)).toBe(true);
  });

  it('declines once, with a reason, audited', async () => {
    const applied = (await apply(seed.timebank.id, applicant())).json();
    const declined = await decide(seed, applied.id, 'decline', { reason: 'We only take people living in Riverside.' });
    expect(declined.json()).toMatchObject({ status: 'declined', reason: 'We only take people living in Riverside.', memberId: null });
    expect((await storedRow(seed, applied.id)).passwordHash).toBeNull();
    const again = await decide(seed, applied.id, 'approve');
    expect([again.statusCode, again.json().code, again.json().applicationStatus]).toEqual([409, 'application_not_open', 'declined']);
    expect((await decide(seed, applied.id, 'decline', { reason: 'x\u0001' })).statusCode).toBe(400);
    expect(await auditActions(seed, applied.id)).toEqual([
      expect.objectContaining({ action: 'application.declined', changes: { status: ['open', 'declined'], reason: [null, 'We only take people living in Riverside.'] } }),
    ]);
    expect((await queue(seed, seed.coordinatorToken, 'declined')).map((item) => item.id)).toContain(applied.id);
  });

  it('is for this timebank\'s coordinators and admins only: 404 across timebanks, 403 to members and partner apps', async () => {
    const applied = (await apply(seed.timebank.id, applicant())).json();
    const paths = [`${seed.base}/applications`, `${seed.base}/applications/${applied.id}`];
    for (const url of paths) {
      expect((await service.request({ method: 'GET', url, token: other.coordinatorToken })).statusCode, url).toBe(404);
      expect((await service.request({ method: 'GET', url, token: seed.memberToken })).statusCode, url).toBe(403);
      expect((await service.request({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    for (const decision of ['approve', 'decline'] as const) {
      expect((await decide(seed, applied.id, decision, undefined, other.coordinatorToken)).statusCode).toBe(404);
      expect((await decide(seed, applied.id, decision, undefined, seed.memberToken)).statusCode).toBe(403);
    }
    // Another timebank's id under one's own timebank is not found either.
    expect((await decide(other, applied.id, 'approve')).statusCode).toBe(404);
    const client = await service.send('POST', `${seed.base}/clients`, { name: 'Intake app', scopes: ['members:read', 'members:write', 'events:read', 'webhooks:write'] }, seed.coordinatorToken);
    const clientToken = (await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } })).json().access_token as string;
    expect((await service.request({ method: 'GET', url: paths[0]!, token: clientToken })).statusCode).toBe(403);
    expect((await decide(seed, applied.id, 'approve', undefined, clientToken)).statusCode).toBe(403);

    // The event is the coordinators' only: neither a member nor a partner app reads it or subscribes to it.
    await service.sequenceEvents();
    const types = async (token: string) => ((await service.get(`${seed.base}/events?limit=1000`, token)).items as Array<{ type: string }>).map((event) => event.type);
    expect(await types(seed.coordinatorToken)).toContain('application.created');
    expect(await types(seed.memberToken)).not.toContain('application.created');
    expect(await types(clientToken)).not.toContain('application.created');
    const subscribed = await service.send('POST', `${seed.base}/webhooks`, { url: 'https://partner.example.org/hooks', eventTypes: ['application.created'] }, clientToken, 403);
    expect(subscribed.code).toBe('forbidden');

    const admin = await decide(seed, applied.id, 'approve', undefined, seed.admin);
    expect(admin.json()).toMatchObject({ status: 'approved', decidedBy: { type: 'admin' } });
  });
});

describe('an open timebank', () => {
  it('approves on arrival, and leaves a member\'s email open for the coordinators under the same answer', async () => {
    const open = await seedTimebank(service);
    await setJoinPolicy(open, 'open');
    const body = applicant();
    const fresh = await apply(open.timebank.id, body);
    expect([fresh.statusCode, fresh.json().status]).toEqual([202, 'approved']);
    const token = await service.login(body.email, body.password, open.timebank.id);
    const me = await service.get('/v1/me', token);
    const application = await service.get(`${open.base}/applications/${fresh.json().id}`, open.coordinatorToken);
    expect(application).toMatchObject({ status: 'approved', memberId: me.id, decidedBy: { type: 'system', id: null } });
    expect(await auditActions(open, fresh.json().id)).toEqual([expect.objectContaining({ action: 'application.approved', actor: { type: 'system', id: null } })]);

    const duplicate = await apply(open.timebank.id, applicant({ email: open.member.email, password: 'someone-elses-password' }));
    expect([duplicate.statusCode, Object.keys(duplicate.json()), duplicate.json().status]).toEqual([202, Object.keys(fresh.json()), 'approved']);
    expect(await queue(open)).toEqual([expect.objectContaining({ id: duplicate.json().id, duplicateOfMemberId: open.member.id, status: 'open' })]);
    // The member is untouched: its own password still works, the applicant's does not.
    await service.login(open.member.email, open.password, open.timebank.id);
    const wrong = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username: open.member.email, password: 'someone-elses-password', timebank_id: open.timebank.id } });
    expect(wrong.statusCode).toBe(400);
  });

  it('makes one member of two applications of one email sent at once; the other waits as a duplicate', async () => {
    const open = await seedTimebank(service);
    await setJoinPolicy(open, 'open');
    const body = applicant();
    const answers = await Promise.all([apply(open.timebank.id, body), apply(open.timebank.id, { ...body, password: 'another-long-password' })]);
    expect(answers.map((answer) => [answer.statusCode, answer.json().status])).toEqual([
      [202, 'approved'],
      [202, 'approved'],
    ]);
    const members = await service.get(`${open.base}/members?email=${encodeURIComponent(body.email)}`, open.coordinatorToken);
    expect(members.items).toHaveLength(1);
    const all = await queue(open, open.coordinatorToken, null);
    expect(all.map((item) => [item.status, item.duplicateOfMemberId]).sort()).toEqual([
      ['approved', null],
      ['open', members.items[0].id],
    ]);
  });
});
