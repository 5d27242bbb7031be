import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/* GET .../members?q=: a coordinator finds members by part of their name or email. */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  const add = (displayName: string, email: string) => service.send<Member>('POST', `${seed.base}/members`, { displayName, email }, seed.coordinatorToken);
  await add('Rosa Parks', 'rosa@search.example');
  await add('Rosalind Franklin', 'dna@search.example');
  await add('Ada 100% Sure', 'ada_sure@search.example');
});
afterAll(() => service?.close());

const names = async (q: string, token = seed.coordinatorToken) =>
  ((await service.get(`${seed.base}/members?q=${encodeURIComponent(q)}`, token)).items as Array<{ displayName: string }>).map((member) => member.displayName).sort();

describe('searching members', () => {
  it('matches part of the name or of the email, whatever the case', async () => {
    expect(await names('ROSA')).toEqual(['Rosa Parks', 'Rosalind Franklin']);
    expect(await names('dna@')).toEqual(['Rosalind Franklin']);
    expect(await names('nobody-has-this')).toEqual([]);
  });

  it('takes % and _ as the characters they are, not as wildcards', async () => {
    expect(await names('100%')).toEqual(['Ada 100% Sure']);
    expect(await names('a_s')).toEqual(['Ada 100% Sure']);
    expect(await names('%')).toEqual(['Ada 100% Sure']);
  });

  it('finds only this timebank\'s members, and is for coordinators only', async () => {
    const elsewhere = await seedTimebank(service);
    await service.send('POST', `${elsewhere.base}/members`, { displayName: 'Rosa Elsewhere', email: 'rosa@elsewhere.example' }, elsewhere.coordinatorToken);
    expect(await names('rosa')).toEqual(['Rosa Parks', 'Rosalind Franklin']);
    await service.get(`${seed.base}/members?q=rosa`, seed.memberToken, 403);
  });
});
