import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDigests } from '../../src/use-cases/mailer.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';
import { createHmac } from 'node:crypto';
import { TEST_JWT_SECRET } from '../helpers/service.js';

/*
 * Email (DESIGN.md section 6), through a real SMTP server started here: what arrives is parsed
 * as a mail client would, and each kind can be turned off from its own link or in the settings.
 */

const inbox: ParsedMail[] = [];
let smtp: SMTPServer;
let smtpUrl: string;
let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

async function until<T>(read: () => T, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const to = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value[0]?.address;
const unsubscribeLink = (mail: ParsedMail) => /No more [^:]+: (\S+)/.exec(mail.text ?? '')![1]!;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => inbox.push(mail))
        .then(() => callback(), callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  service = await startTestService({ config: { sealIntervalMs: 20, mail: { smtpUrl, from: 'Riverside Time Bank <bank@riverside.example>', publicUrl: 'https://timebank.riverside.example' } } });
  seed = await seedTimebank(service);
});
afterAll(async () => {
  await service?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe('email', () => {
  it('tells the payer a claim waits for them, with a link that turns these emails off', async () => {
    // The recorder's own choice does not decide for the member who must confirm.
    await service.send('PATCH', `${seed.base}/members/${seed.member.id}`, { notifications: { claims: false } }, seed.memberToken, 200);
    const claim = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 75, description: 'Fixed a bike' }, seed.memberToken)).json();
    expect(claim.status).toBe('pending');
    const mail = await until(() => inbox.find((each) => to(each) === seed.coordinator.email), (found) => found !== undefined, 'the claim email')!;
    expect(mail!.subject).toBe('Mo Member recorded 1 h 15 min with you: please confirm');
    expect(mail!.text).toContain('(Fixed a bike) and is waiting for you to confirm it.');
    expect(mail!.text).toContain('https://timebank.riverside.example/app/');
    const header = (name: string) => mail!.headerLines.find((line) => line.key === name)?.line;
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(header('list-unsubscribe')).toContain(`<${unsubscribeLink(mail!)}>`);
    // The member who recorded it gets nothing.
    expect(inbox.filter((each) => to(each) === seed.member.email)).toEqual([]);

    const link = new URL(unsubscribeLink(mail!));
    expect(link.origin).toBe('https://timebank.riverside.example');
    // Opening the link (as a link scanner would) only asks.
    const asked = await service.request({ method: 'GET', url: `${link.pathname}${link.search}` });
    expect(asked.headers['content-type']).toMatch(/^text\/html/);
    expect(asked.body).toContain('<form method="post"');
    expect((await service.get(`${seed.base}/members/${seed.coordinator.id}`, seed.coordinatorToken)).notifications.claims).toBe(true);
    // A mail client's one-click unsubscribe: a form body, as RFC 8058 sends it.
    const answer = await service.request({ method: 'POST', url: `${link.pathname}${link.search}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(answer.json()).toEqual({ unsubscribed: 'claims' });
    const coordinator = await service.get(`${seed.base}/members/${seed.coordinator.id}`, seed.coordinatorToken);
    expect(coordinator.notifications).toEqual({ claims: false, digest: true });
    const forged = await service.request({ method: 'GET', url: `${link.pathname}${link.search.replace('.claims.', '.digest.')}` });
    expect(forged.statusCode).toBe(404);

    const before = inbox.length;
    await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 10 }, seed.memberToken);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(inbox.slice(before).filter((each) => to(each) === seed.coordinator.email)).toEqual([]);
  });

  it('sends the weekly digest to whoever wants it, at most once a week, and lets a member turn it off in its settings', async () => {
    const settings = { transport: nodemailer.createTransport(smtpUrl), from: 'bank@riverside.example', publicUrl: 'https://timebank.riverside.example', key: createHmac('sha256', TEST_JWT_SECRET).update('unsubscribe-links').digest() };
    const inAWeek = new Date(Date.now() + 8 * 86_400_000);
    await sendDigests(service.database.db, settings, inAWeek);
    await sendDigests(service.database.db, settings, new Date(inAWeek.getTime() + 86_400_000));
    const digests = await until(() => inbox.filter((mail) => mail.subject === 'Your week at the time bank'), (found) => found.length > 0, 'the digest');
    const forCoordinator = digests.filter((mail) => to(mail) === seed.coordinator.email);
    expect(forCoordinator.length).toBe(1);
    expect(forCoordinator[0]!.text).toContain('Waiting for your confirmation:\n- 1 h 15 min from Mo Member: Fixed a bike');
    expect(forCoordinator[0]!.text).toMatch(/No more the weekly digest: \S+token=[^\s]+\.digest\./);

    await service.send('PATCH', `${seed.base}/members/${seed.coordinator.id}`, { notifications: { digest: false } }, seed.coordinatorToken, 200);
    const count = inbox.length;
    await sendDigests(service.database.db, settings, new Date(inAWeek.getTime() + 15 * 86_400_000));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(inbox.slice(count).filter((mail) => to(mail) === seed.coordinator.email)).toEqual([]);
    // A partner app does not choose a member's email for it.
    const refused = await service.send('PATCH', `${seed.base}/members/${seed.member.id}`, { notifications: { claims: false } }, await clientToken(), 403);
    expect(refused.code).toBe('forbidden');
  });
});

async function clientToken(): Promise<string> {
  const client = await service.send<{ id: string; clientSecret: string }>('POST', `${seed.base}/clients`, { name: 'Members app', scopes: ['members:write'] }, seed.coordinatorToken);
  const response = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } });
  return response.json().access_token as string;
}
