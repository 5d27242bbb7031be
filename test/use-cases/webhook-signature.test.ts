import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { webhookSignature } from '../../src/use-cases/webhook-delivery.js';

/*
 * Deliveries are signed with node:crypto; the specification's own library must agree with every
 * signature, whatever the body holds.
 */
describe('webhook signatures', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const at = new Date('2026-12-05T10:11:12.987Z');
  const bodies = ['{}', '', JSON.stringify({ description: 'Garten – jardín, 庭 🌱', minutes: 90 }), JSON.stringify({ data: 'x'.repeat(100_000) })];

  it.each(bodies.map((body) => [body.slice(0, 40), body]))('match the standardwebhooks library for %j', (_label, body) => {
    expect(webhookSignature(secret, 'msg_2pQ', at, body)).toBe(new Webhook(secret).sign('msg_2pQ', at, body));
  });

  it('are verified by the library at the time they were made, and refused for another body or secret', () => {
    const now = new Date();
    const body = JSON.stringify({ id: 'evt_1', minutes: 60 });
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': webhookSignature(secret, 'msg_1', now, body) };
    expect(new Webhook(secret).verify(body, headers)).toEqual({ id: 'evt_1', minutes: 60 });
    expect(() => new Webhook(secret).verify(body.replace('60', '61'), headers)).toThrow();
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(body, headers)).toThrow();
  });

  it('read a secret given without its whsec_ prefix as the library does', () => {
    const bare = randomBytes(24).toString('base64');
    expect(webhookSignature(bare, 'msg_3', at, '{"a":1}')).toBe(new Webhook(bare).sign('msg_3', at, '{"a":1}'));
  });
});
