import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../helpers/jwt.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * The email-change path, as an attacker in one timebank would use it against a person in
 * another: take the victim's address for one's own membership, then watch the victim's login.
 */

let service: TestService;
let attackers: Awaited<ReturnType<typeof seedTimebank>>;
let victims: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  attackers = await seedTimebank(service);
  victims = await seedTimebank(service);
});
afterAll(() => service?.close());

const login = (username: string, password: string) =>
  service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username, password } });

describe('changing one\'s email to an address used in another timebank', () => {
  it('needs the current password, and then neither locks the owner out nor says the address exists', async () => {
    const url = `${attackers.base}/members/${attackers.member.id}`;
    const victimEmail = victims.member.email;
    // With a stolen token alone, the address cannot be changed.
    const withoutProof = await service.send('PATCH', url, { email: victimEmail }, attackers.memberToken, 400);
    expect(withoutProof.errors[0].field).toBe('currentPassword');
    expect((await service.send('PATCH', url, { email: victimEmail, currentPassword: 'a-guess-at-it' }, attackers.memberToken, 403)).code).toBe('current_password_wrong');
    // The guess ended that session.
    expect((await service.request({ method: 'GET', url, token: attackers.memberToken })).statusCode).toBe(401);

    // Its own holder may: the address is free in this timebank, whatever other timebanks hold.
    const holder = await service.login(attackers.member.email, attackers.password, attackers.timebank.id);
    const moved = await service.send('PATCH', url, { email: victimEmail.toUpperCase(), password: 'the-attackers-own', currentPassword: attackers.password }, holder);
    expect(moved.email).toBe(victimEmail);

    // The victim still logs in without naming a timebank, into its own membership.
    const victim = await login(victimEmail, victims.password);
    expect(victim.statusCode).toBe(200);
    expect(decodePayload(victim.json().access_token).tbid).toBe(victims.timebank.id);
  });

  it('answers the attacker exactly as if the address were used nowhere else', async () => {
    const otherBank = await seedTimebank(service);
    // Two memberships with one address but different passwords: each password opens its own.
    const url = `${otherBank.base}/members/${otherBank.member.id}`;
    await service.send('PATCH', url, { email: victims.coordinator.email, password: 'attacker-own-pass', currentPassword: otherBank.password }, otherBank.memberToken);
    const attacker = await login(victims.coordinator.email, 'attacker-own-pass');
    expect(attacker.statusCode).toBe(200);
    expect(decodePayload(attacker.json().access_token).tbid).toBe(otherBank.timebank.id);
    const victim = await login(victims.coordinator.email, victims.password);
    expect(victim.statusCode).toBe(200);
    expect(decodePayload(victim.json().access_token).tbid).toBe(victims.timebank.id);
    // A wrong password gets the one answer a wrong password always gets.
    const wrong = await login(victims.coordinator.email, 'neither-password');
    const unknown = await login('nobody-at-all@example.org', 'neither-password');
    expect([wrong.statusCode, wrong.json().code, wrong.json().detail]).toEqual([unknown.statusCode, unknown.json().code, unknown.json().detail]);
  });
});
