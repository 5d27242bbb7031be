import { invalidField } from './errors.js';
import { withVisibleLocation } from './location-privacy.js';
import type { ClientScope, Principal } from './principal.js';

/*
 * Events: what changed in a timebank, written in the same transaction as the change (an outbox)
 * and numbered per timebank after commit, in commit order (docs/events.md). This module holds
 * the catalogue and who may see what; the shells write and number them.
 */

/**
 * Every event type, each with the client scope that lets a partner app see it (besides
 * events:read): null when none is needed, false when no partner app sees it (coordinators only).
 */
export const eventTypes = {
  'transfer.created': 'ledger:read',
  'transfer.posted': 'ledger:read',
  'transfer.rejected': 'ledger:read',
  'transfer.expired': 'ledger:read',
  'transfer.reversed': 'ledger:read',
  'transfer.confirmation_due': 'ledger:read',
  'account.near_floor': 'ledger:read',
  'member.created': 'members:read',
  'member.updated': 'members:read',
  'member.dormant': 'members:read',
  'listing.created': null,
  'listing.updated': null,
  'listing.expiring': null,
  'webhook.disabled': 'webhooks:write',
  // An applicant is not a member yet: what it wrote is for the coordinators who decide.
  'application.created': false,
} as const satisfies Record<string, ClientScope | null | false>;

export type EventType = keyof typeof eventTypes;

export const eventTypeNames = Object.keys(eventTypes) as EventType[];

/** An event as written in the change's transaction: its sequence comes after commit. */
export type NewEvent = {
  id: string;
  type: EventType;
  occurredAt: Date;
  /** The members it is about, who see it besides coordinators (a payer and payee, a listing's owner). */
  audience: string[];
  /** The resource as the API returns it. */
  data: unknown;
};

/** An event as the feed and webhooks give it. */
export type Event = {
  id: string;
  type: EventType;
  timebankId: string;
  sequence: number;
  occurredAt: string;
  data: Record<string, unknown>;
};

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(eventTypes, value);
}

/** `types=a,b` as given: each must be a known type (400 naming the first that is not). */
export function parseEventTypes(value: string | undefined, field = 'types'): EventType[] | undefined {
  if (value === undefined || value === '') return undefined;
  const names = [...new Set(value.split(',').map((name) => name.trim()))];
  for (const name of names) {
    if (!isEventType(name)) throw invalidField('query', field, `names an unknown event type: ${JSON.stringify(name.slice(0, 64))}`);
  }
  return names as EventType[];
}

/**
 * Which events a principal of the timebank may read: every one (coordinators and admins), those
 * whose audience holds it (members), or the types its scopes cover (clients, which need
 * events:read to read any; the caller checks that). Types asked for narrow it further.
 */
export type EventVisibility = { audience?: string; types?: EventType[] };

export function eventVisibility(principal: Principal, asked: EventType[] | undefined): EventVisibility {
  if (principal.type === 'member' && principal.role !== 'coordinator') {
    return { audience: principal.id, ...(asked ? { types: asked } : {}) };
  }
  if (principal.type === 'client') {
    const allowed = (asked ?? eventTypeNames).filter((type) => {
      const scope = eventTypes[type];
      return scope === null || (scope !== false && principal.scopes.includes(scope));
    });
    return { types: allowed };
  }
  return asked ? { types: asked } : {};
}

/** Whether the event is one the visibility lets through: the same rule as the feed's query, for pushed events. */
export function isVisible(visibility: EventVisibility, event: { type: EventType; audience: string[] }): boolean {
  if (visibility.types && !visibility.types.includes(event.type)) return false;
  return visibility.audience === undefined || event.audience.includes(visibility.audience);
}

/** A transfer's audience: the members holding its two accounts, and whoever recorded it if a member. */
export function transferAudience(
  transfer: { createdByType: Principal['type']; createdById: string },
  holders: Array<string | null | undefined>,
): string[] {
  const members = holders.filter((id): id is string => typeof id === 'string');
  if (transfer.createdByType === 'member') members.push(transfer.createdById);
  return [...new Set(members)];
}

/**
 * An event as the principal may read it, or undefined when it may not: a listing's exact
 * location only for its owner and coordinators (location-privacy.ts), as every read of
 * listings shows it; another client's webhook never to a partner client.
 */
export function eventAsSeenBy(event: Event, principal: Principal): Event | undefined {
  if (event.type === 'webhook.disabled' && principal.type === 'client') {
    return (event.data as { createdBy?: { id?: unknown } }).createdBy?.id === principal.id ? event : undefined;
  }
  if (!event.type.startsWith('listing.')) return event;
  const data = event.data as { memberId: string; location: { lat: number; lon: number } | null };
  if (typeof data.memberId !== 'string' || data.location === undefined) return event;
  return { ...event, data: withVisibleLocation(data, principal, event.timebankId) };
}
