import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * A member's phone and which contact details other members see: the member record carries them,
 * PATCH changes them (the member itself and coordinators; a partner app the phone only), and the
 * directory shows an email or phone only to the member's own timebank, only when shared.
 */

type DirectoryEntry = { memberId: string; displayName: string; email?: string; phone?: string };
type Seed = Awaited<ReturnType<typeof seedTimebank>>;

let service: TestService;
let seed: Seed;
let other: Seed;
let pat: Member;
let patToken: string;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  other = await seedTimebank(service);
  pat = await service.send<Member>('POST', `${seed.base}/members`, { displayName: 'Pat Neighbour', email: `pat-${Date.now()}@example.org`, password: seed.password }, seed.admin);
  patToken = await service.login(pat.email, seed.password);
});
afterAll(() => service.close());

const clientToken = async (scopes: string[]) => {
  const client = await service.send<{ id: string; clientSecret: string }>('POST', `${seed.base}/clients`, { name: `Partner ${scopes.join(' ')}`, scopes }, seed.coordinatorToken);
  const response = await service.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret },
  });
  return response.json().access_token as string;
};

/** Mo's entry in the directory, as the caller with `token` sees it. */
async function moInDirectory(token: string): Promise<DirectoryEntry> {
  const directory = await service.get<{ items: DirectoryEntry[] }>(`${seed.base}/directory?limit=500`, token);
  return directory.items.find((entry) => entry.memberId === seed.member.id)!;
}

const patchMo = (body: unknown, token: string, status = 200) => service.send('PATCH', `${seed.base}/members/${seed.member.id}`, body, token, status);

describe('a member\'s phone and contact sharing', () => {
  it('starts with no phone and nothing shared; the directory shows no contact details', async () => {
    const mo = await service.get(`${seed.base}/members/${seed.member.id}`, seed.memberToken);
    expect(mo).toMatchObject({ phone: null, contactSharing: { email: false, phone: false } });
    expect(await moInDirectory(patToken)).toEqual({ memberId: seed.member.id, displayName: 'Mo Member', kind: 'person', accountId: seed.member.accountId });
  });

  it('lets the member set its phone without its password; stored trimmed, still not shown to others', async () => {
    const changed = await patchMo({ phone: '  +44 (0)20 7946-0321 ' }, seed.memberToken);
    expect(changed).toMatchObject({ phone: '+44 (0)20 7946-0321', contactSharing: { email: false, phone: false } });
    const entry = await moInDirectory(patToken);
    expect(entry.phone).toBeUndefined();
    expect(entry.email).toBeUndefined();
  });

  it('shows what the member shares to the other members of its timebank, and hides it again when unshared', async () => {
    await patchMo({ contactSharing: { phone: true } }, seed.memberToken);
    expect(await moInDirectory(patToken)).toMatchObject({ phone: '+44 (0)20 7946-0321' });
    expect((await moInDirectory(patToken)).email).toBeUndefined();

    // Each given choice is set, the other kept.
    const both = await patchMo({ contactSharing: { email: true } }, seed.memberToken);
    expect(both).toMatchObject({ contactSharing: { email: true, phone: true } });
    expect(await moInDirectory(patToken)).toMatchObject({ email: seed.member.email, phone: '+44 (0)20 7946-0321' });

    await patchMo({ contactSharing: { email: false, phone: false } }, seed.memberToken);
    const hidden = await moInDirectory(patToken);
    expect(hidden.email).toBeUndefined();
    expect(hidden.phone).toBeUndefined();
    // The member's own record keeps the phone.
    expect((await service.get(`${seed.base}/members/${seed.member.id}`, seed.memberToken)).phone).toBe('+44 (0)20 7946-0321');
  });

  it('shows a shared phone only while there is one: removing it (null) removes it from the directory', async () => {
    await patchMo({ phone: '555 0100', contactSharing: { phone: true } }, seed.memberToken);
    expect((await moInDirectory(patToken)).phone).toBe('555 0100');
    const removed = await patchMo({ phone: null }, seed.memberToken);
    expect(removed).toMatchObject({ phone: null, contactSharing: { phone: true } });
    expect((await moInDirectory(patToken)).phone).toBeUndefined();
    await patchMo({ phone: '555 0100', contactSharing: { phone: false } }, seed.memberToken);
  });

  it('never shows a member\'s contact details to another timebank (404 for its directory and records)', async () => {
    await patchMo({ contactSharing: { email: true, phone: true } }, seed.memberToken);
    await service.get(`${seed.base}/directory`, other.memberToken, 404);
    await service.get(`${seed.base}/directory`, other.coordinatorToken, 404);
    await service.get(`${seed.base}/members/${seed.member.id}`, other.coordinatorToken, 404);
    await patchMo({ phone: '123 456' }, other.coordinatorToken, 404);
    // The other timebank's own directory lists its own members only.
    const theirs = await service.get<{ items: DirectoryEntry[] }>(`${other.base}/directory?limit=500`, other.memberToken);
    expect(theirs.items.map((entry) => entry.memberId)).not.toContain(seed.member.id);
    expect(JSON.stringify(theirs)).not.toContain('555 0100');
    await patchMo({ contactSharing: { email: false, phone: false } }, seed.memberToken);
  });

  it('refuses an invalid phone or sharing choice with 400 validation_failed naming the field, and changes nothing', async () => {
    const before = await service.get(`${seed.base}/members/${seed.member.id}`, seed.memberToken);
    const refusals: Array<[unknown, string]> = [
      [{ phone: 'call me maybe' }, 'phone'],
      [{ phone: '+1' }, 'phone'],
      [{ phone: '+-' + '-'.repeat(5) }, 'phone'],
      [{ phone: '1'.repeat(41) }, 'phone'],
      [{ phone: '555\n0100' }, 'phone'],
      [{ phone: 5550100 }, 'phone'],
      [{ contactSharing: { email: 'yes' } }, 'contactSharing.email'],
      [{ contactSharing: { fax: true } }, 'contactSharing.fax'],
      [{ contactSharing: true }, 'contactSharing'],
    ];
    for (const [body, field] of refusals) {
      const problem = await patchMo(body, seed.memberToken, 400);
      expect(problem.code).toBe('validation_failed');
      expect(problem.errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    expect(await service.get(`${seed.base}/members/${seed.member.id}`, seed.memberToken)).toEqual(before);
  });

  it('lets coordinators change both, and records their change in the audit log', async () => {
    const changed = await patchMo({ phone: '020 7946 0999', contactSharing: { phone: true } }, seed.coordinatorToken);
    expect(changed).toMatchObject({ phone: '020 7946 0999', contactSharing: { email: false, phone: true } });
    expect((await moInDirectory(patToken)).phone).toBe('020 7946 0999');
    const log = await service.get<{ items: Array<{ changes: Record<string, unknown> }> }>(
      `${seed.base}/audit-log?action=member.updated&target=${seed.member.id}`,
      seed.coordinatorToken,
    );
    expect(log.items[0]!.changes).toMatchObject({ phone: ['555 0100', '020 7946 0999'], sharePhone: [false, true] });
    await patchMo({ contactSharing: { phone: false } }, seed.coordinatorToken);
  });

  it('lets a partner app with members:write record a phone but not share it; other members change neither', async () => {
    const writer = await clientToken(['members:write']);
    expect(await patchMo({ phone: '0161 496 0000' }, writer)).toMatchObject({ phone: '0161 496 0000', contactSharing: { email: false, phone: false } });
    const refused = await patchMo({ contactSharing: { phone: true } }, writer, 403);
    expect(refused).toMatchObject({ code: 'forbidden', fields: ['contactSharing'] });
    const reader = await clientToken(['members:read']);
    expect(await patchMo({ phone: '0161 496 0001' }, reader, 403)).toMatchObject({ code: 'insufficient_scope' });
    // Another member may change neither Mo's phone nor Mo's sharing: to it, Mo's record is not there.
    await patchMo({ phone: '0161 496 0002' }, patToken, 404);
    await patchMo({ contactSharing: { phone: true } }, patToken, 404);
    const mo = await service.get(`${seed.base}/members/${seed.member.id}`, seed.memberToken);
    expect(mo).toMatchObject({ phone: '0161 496 0000', contactSharing: { email: false, phone: false } });
    expect((await moInDirectory(patToken)).phone).toBeUndefined();
  });

  it('shows partner apps with members:read the directory as members see it: only what is shared', async () => {
    await patchMo({ contactSharing: { email: true } }, seed.memberToken);
    const reader = await clientToken(['members:read']);
    const entry = await moInDirectory(reader);
    expect(entry.email).toBe(seed.member.email);
    expect(entry.phone).toBeUndefined();
    await patchMo({ contactSharing: { email: false } }, seed.memberToken);
  });
});
