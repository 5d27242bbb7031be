import { describe, expect, it } from 'vitest';
import { eventTypeNames, eventVisibility, parseEventTypes, transferAudience } from '../../src/domain/events.js';
import { Rejection } from '../../src/domain/errors.js';
import type { Principal } from '../../src/domain/principal.js';

const timebankId = 'tb';
const member: Principal = { type: 'member', id: 'm1', timebankId, role: 'member' };
const coordinator: Principal = { type: 'member', id: 'c1', timebankId, role: 'coordinator' };
const client = (scopes: Extract<Principal, { type: 'client' }>['scopes']): Principal => ({ type: 'client', id: 'k1', timebankId, scopes });

describe('event visibility', () => {
  it('gives coordinators and admins every event, or the types they ask for', () => {
    expect(eventVisibility(coordinator, undefined)).toEqual({});
    expect(eventVisibility({ type: 'admin', id: 'a' }, ['member.created'])).toEqual({ types: ['member.created'] });
  });

  it('gives a member the events whose audience holds it', () => {
    expect(eventVisibility(member, undefined)).toEqual({ audience: 'm1' });
    expect(eventVisibility(member, ['transfer.created'])).toEqual({ audience: 'm1', types: ['transfer.created'] });
  });

  it('gives a client the types its scopes read: ledger events with ledger:read, member events with members:read', () => {
    const ledger = eventVisibility(client(['events:read', 'ledger:read']), undefined).types!;
    expect(ledger).toContain('transfer.posted');
    expect(ledger).toContain('listing.created');
    expect(ledger).not.toContain('member.created');
    const members = eventVisibility(client(['events:read', 'members:read']), undefined).types!;
    expect(members).toContain('member.updated');
    expect(members).not.toContain('transfer.created');
    expect(eventVisibility(client(['events:read']), ['transfer.created'])).toEqual({ types: [] });
    const all = eventVisibility(client(['events:read', 'ledger:read', 'members:read', 'webhooks:write']), undefined).types!;
    expect(all).toEqual(eventTypeNames.filter((type) => type !== 'application.created'));
  });

  it('never gives a client the events for coordinators only: applications to join', () => {
    const everyScope = client(['events:read', 'ledger:read', 'members:read', 'members:write', 'listings:write', 'reports:read', 'webhooks:write', 'ledger:write']);
    expect(eventVisibility(everyScope, ['application.created'])).toEqual({ types: [] });
    expect(eventVisibility(coordinator, ['application.created'])).toEqual({ types: ['application.created'] });
    expect(eventVisibility(member, undefined)).toEqual({ audience: 'm1' });
  });
});

describe('event types in a query', () => {
  it('reads a comma-separated list once each, and nothing as no filter', () => {
    expect(parseEventTypes('transfer.posted, member.created,transfer.posted')).toEqual(['transfer.posted', 'member.created']);
    expect(parseEventTypes(undefined)).toBeUndefined();
    expect(parseEventTypes('')).toBeUndefined();
  });

  it('refuses an unknown type, naming it', () => {
    expect(() => parseEventTypes('transfer.posted,transfer.exploded')).toThrow(Rejection);
    const refusal = (() => {
      try {
        parseEventTypes('constructor');
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(Rejection);
    expect((refusal as Rejection).extensions.errors).toEqual([{ field: 'types', location: 'query', message: 'names an unknown event type: "constructor"' }]);
  });
});

describe("a transfer's audience", () => {
  it('is the holders of both accounts and a member who recorded it, once each; the commons has no holder', () => {
    expect(transferAudience({ createdByType: 'member', createdById: 'm2' }, ['m1', null])).toEqual(['m1', 'm2']);
    expect(transferAudience({ createdByType: 'client', createdById: 'k1' }, ['m1', 'm2'])).toEqual(['m1', 'm2']);
    expect(transferAudience({ createdByType: 'member', createdById: 'm1' }, ['m1', 'm2'])).toEqual(['m1', 'm2']);
  });
});
