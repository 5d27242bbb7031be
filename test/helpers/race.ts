import type { LightMyRequestResponse } from 'fastify';
import { postWithKey } from './ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from './service.js';

/**
 * Two service processes on one database, five members, and 160 transfers posted to both
 * alternately while `race` runs in a loop on each process (a sealer or a sequencer raced on
 * purpose, beside the ones the services run themselves). Returns the posts' answers and how
 * much the racers did.
 */
export async function postFromTwoProcesses(started: Array<{ close(): Promise<void> }>, label: string, race: (service: TestService) => Promise<number>) {
  const first = await startTestService({ config: { sealIntervalMs: 10 } });
  started.push(first);
  const second = await startTestService({ databaseUrl: first.databaseUrl!, config: { sealIntervalMs: 10 } });
  started.push(second);
  const seed = await seedTimebank(first);
  const members: Member[] = [];
  for (let index = 0; index < 5; index += 1) {
    members.push(await first.send<Member>('POST', `${seed.base}/members`, { displayName: `${label} ${index}`, email: `${label.toLowerCase()}-${index}-${Date.now()}@example.org`, password: seed.password }, seed.coordinatorToken));
  }
  let loading = true;
  const racers = [first, second].map(async (service) => {
    let done = 0;
    while (loading) done += await race(service);
    return done;
  });
  const posts = Array.from({ length: 160 }, (_, index) => {
    const payer = members[index % members.length]!;
    const payee = members[(index * 3 + 1) % members.length]!;
    const service = index % 2 === 0 ? first : second;
    return payer === payee ? undefined : postWithKey(service, `${seed.base}/transfers`, { payerAccountId: payer.accountId, payeeAccountId: payee.accountId, minutes: 1 + (index % 7) }, seed.coordinatorToken);
  });
  const responses: LightMyRequestResponse[] = await Promise.all(posts.filter((post) => post !== undefined));
  loading = false;
  const raced = (await Promise.all(racers)).reduce((sum, count) => sum + count, 0);
  return { first, second, seed, members, responses, raced };
}
