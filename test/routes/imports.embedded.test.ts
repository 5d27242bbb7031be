import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/* The import on the embedded database `npm start` uses without DATABASE_URL (PGlite). */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService({ embedded: true });
  seed = await seedTimebank(service);
});
afterAll(() => service.close());

describe('POST /v1/timebanks/{id}/imports on PGlite', () => {
  it('imports generic files, seals the history in date order, and tells the feed', async () => {
    const members = 'externalId,displayName,email,kind,joinedAt\na1,Ana,ana.embedded@example.org,person,2021-01-01\nb2,Hillside Café,cafe.embedded@example.org,organisation,2021-02-01\n';
    const transfers = 'payerExternalId,payeeExternalId,minutes,postedAt,description\nb2,a1,120,2021-03-01T10:00:00Z,Baking\ncommons,b2,60,2021-02-15,Opening day\na1,b2,30,2021-04-01,\n';
    const response = await service.request({ method: 'POST', url: `${seed.base}/imports`, payload: { format: 'generic', members, transfers }, token: seed.coordinatorToken });
    expect(response.statusCode).toBe(201);
    const result = response.json();
    expect(result).toMatchObject({ members: 2, transfers: 3, minutes: 210 });
    await service.seal();
    await service.sequenceEvents();
    expect(await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).toMatchObject({ ok: true, transferCount: 3, unsealedCount: 0 });
    const listed = await service.get<{ items: Array<{ postedAt: string; sequence: number; metadata: Record<string, string> }> }>(`${seed.base}/transfers?limit=10`, seed.coordinatorToken);
    const bySequence = [...listed.items].sort((a, b) => a.sequence - b.sequence);
    expect(bySequence.map((transfer) => transfer.postedAt)).toEqual(['2021-02-15T00:00:00.000Z', '2021-03-01T10:00:00.000Z', '2021-04-01T00:00:00.000Z']);
    expect(bySequence.map((transfer) => transfer.metadata.importLine)).toEqual(['3', '2', '4']);
    const events = await service.get<{ items: Array<{ type: string }> }>(`${seed.base}/events?limit=100`, seed.coordinatorToken);
    const types = events.items.map((event) => event.type);
    expect(types.filter((type) => type === 'transfer.created')).toHaveLength(3);
    expect(types.filter((type) => type === 'member.created').length).toBeGreaterThanOrEqual(2);
  });
});
