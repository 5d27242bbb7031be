import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * The applicant's email (DESIGN.md section 8): the coordinators' decision, through a real SMTP
 * server started here, read as a mail client would.
 */

const inbox: ParsedMail[] = [];
let smtp: SMTPServer;
let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

const to = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value[0]?.address;

async function mailTo(address: string): Promise<ParsedMail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = inbox.find((mail) => to(mail) === address);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no email to ${address}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function applyAs(email: string): Promise<string> {
  const answer = await service.request({ method: 'POST', url: `${seed.base}/applications`, payload: { displayName: 'Ada Applicant', email, password: 'ada-chose-this-password' } });
  expect(answer.statusCode).toBe(202);
  return answer.json().id as string;
}

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
  const smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  service = await startTestService({ config: { mail: { smtpUrl, from: 'Riverside Time Bank <bank@riverside.example>', publicUrl: 'https://timebank.riverside.example' } } });
  seed = await seedTimebank(service, 'Riverside Time Bank');
  await service.send('PATCH', seed.base, { settings: { joinPolicy: 'application' } }, seed.coordinatorToken);
});
afterAll(async () => {
  await service?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe('the applicant', () => {
  it('is welcomed when approved, with the link to log in', async () => {
    const id = await applyAs('ada@example.org');
    await service.send('POST', `${seed.base}/applications/${id}/approve`, {}, seed.coordinatorToken, 200);
    const mail = await mailTo('ada@example.org');
    expect(mail.subject).toBe('Welcome to Riverside Time Bank');
    expect(mail.text).toContain('Hello Ada Applicant,');
    expect(mail.text).toContain('was approved: you are a member now.');
    expect(mail.text).toContain(`https://timebank.riverside.example/app/?timebank=${seed.timebank.slug}`);
    expect(mail.text).not.toContain('ada-chose-this-password');
  });

  it('is told of a decline, with the coordinators\' reason', async () => {
    const id = await applyAs('bo@example.org');
    await service.send('POST', `${seed.base}/applications/${id}/decline`, { reason: 'We only take people living in Riverside.' }, seed.coordinatorToken, 200);
    const mail = await mailTo('bo@example.org');
    expect(mail.subject).toBe('Your application to Riverside Time Bank');
    expect(mail.text).toContain('was not accepted.');
    expect(mail.text).toContain('The coordinators wrote: We only take people living in Riverside.');
  });
});
