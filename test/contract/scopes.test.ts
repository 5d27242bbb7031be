import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clientScopes, type ClientScope } from '../../src/domain/principal.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

// The scope each operation declares is the scope the service asks of a partner client: a
// client holding every other scope is refused with insufficient_scope naming it, and a client
// holding only it is not refused for want of a scope.

type Operation = {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
};
const document = parse(readFileSync('openapi.yaml', 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { examples?: unknown[] }> };
};

const scoped = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).flatMap(([method, operation]) => {
    const scopes = operation.security?.flatMap((requirement) => requirement.oauth2 ?? []) ?? [];
    return scopes.length === 1 ? [{ path, method: method.toUpperCase(), operation, scope: scopes[0] as ClientScope }] : [];
  }),
);

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let ids: Record<string, string>;

async function clientHolding(scopes: ClientScope[]): Promise<string> {
  const client = await service.send('POST', `${seed.base}/clients`, { name: `Scopes ${randomUUID()}`, scopes }, seed.coordinatorToken);
  const token = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } });
  return token.json().access_token as string;
}

/** The operation called by a client, with the contract's own example as its body. */
function call(path: string, method: string, operation: Operation, token: string) {
  const [own, other] = path.includes('/offers/') ? ['offer', 'request'] : ['request', 'offer'];
  // A listing's id, and a match's candidate: a listing of the other kind.
  const url = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'listingId' ? ids[own]! : name === 'candidateListingId' ? ids[other]! : ids[name]!));
  const ref = operation.requestBody?.content['application/json']?.schema.$ref;
  const payload = ref ? document.components.schemas[ref.replace('#/components/schemas/', '')]!.examples![0] : undefined;
  return service.request({ method: method as 'GET', url, token, headers: { 'idempotency-key': randomUUID() }, ...(payload === undefined ? {} : { payload: payload as object }) });
}

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  const categoryId = ((await service.get(`${seed.base}/categories`, seed.memberToken)).items as Array<{ id: string }>)[0]!.id;
  const offer = await service.send('POST', `${seed.base}/offers`, { title: 'Gardening', categoryId }, seed.memberToken);
  const request = await service.send('POST', `${seed.base}/requests`, { title: 'A lift', categoryId }, seed.memberToken);
  const transfer = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.member.accountId, payeeAccountId: seed.coordinator.accountId, minutes: 30 }, seed.memberToken)).json();
  const webhook = await service.send('POST', `${seed.base}/webhooks`, { url: 'https://partner.example.org/hooks', eventTypes: ['listing.created'] }, seed.coordinatorToken);
  const peer = await service.send('POST', '/v1/timebanks', { name: `Peer ${randomUUID()}` }, seed.admin);
  const link = await service.send('POST', `${seed.base}/links`, { peerTimebankId: peer.id }, seed.coordinatorToken);
  ids = { timebankId: seed.timebank.id, accountId: seed.member.accountId, memberId: seed.member.id, transferId: transfer.id, offer: offer.id, request: request.id, webhookId: webhook.id, linkId: link.id };
});

afterAll(async () => {
  await service.close();
});

describe('each operation\'s declared scope', () => {
  it('covers the operations partner clients use', () => {
    expect(scoped.length).toBeGreaterThanOrEqual(20);
    expect(new Set(scoped.map((entry) => entry.scope))).toEqual(new Set(clientScopes));
  });

  it('is the scope the service refuses a client without, and the only one it needs', async () => {
    for (const { path, method, operation, scope } of scoped) {
      const without = await call(path, method, operation, await clientHolding(clientScopes.filter((held) => held !== scope)));
      expect([operation.operationId, without.statusCode, without.json().requiredScope]).toEqual([operation.operationId, 403, scope]);
      const only = await call(path, method, operation, await clientHolding([scope]));
      const refusal = only.statusCode === 403 ? only.json().code : 'not refused for a scope';
      expect([operation.operationId, refusal]).not.toEqual([operation.operationId, 'insufficient_scope']);
      expect([operation.operationId, only.statusCode < 500]).toEqual([operation.operationId, true]);
    }
  });
});
