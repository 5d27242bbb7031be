import { useEffect, useState } from 'preact/hooks';
import { allPages, ApiError, json, type Session } from '../api.js';
import { messageId } from '../forms.js';
import { formats } from '../i18n.js';

/*
 * What the member's tools share: the API's shapes as the pages read them, and small hooks that
 * load the directory and the categories once per page.
 */

export type ListingKind = 'offer' | 'request';
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export type AvailabilityWindow = { day: Weekday; from: string; to: string };
export type Point = { lat: number; lon: number };

export type Listing = {
  id: string;
  kind: ListingKind;
  memberId: string;
  title: string;
  description: string;
  categoryId: string;
  tags: string[];
  location: Point | null;
  maxDistanceKm: number | null;
  remote: boolean;
  availability: AvailabilityWindow[] | null;
  status: 'open' | 'closed';
  expiresAt: string | null;
  createdAt: string;
};
export type Category = { id: string; name: string; parentId: string | null };
/** A directory entry: email and phone are there only when the member shares them. */
export type Person = { memberId: string; displayName: string; kind: string; accountId: string; email?: string; phone?: string };
export type Match = { memberId: string; offerId?: string; requestId?: string; score: number; distanceKm: number | null };

/** The days of the week, Monday first, each named by Intl in the member's language (1 January 2024 was a Monday). */
export const WEEKDAYS: Array<[Weekday, string]> = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).map((day, index) => [
  day,
  formats.date(new Date(Date.UTC(2024, 0, 1 + index)), { weekday: 'long', timeZone: 'UTC' }),
]);

export const plural = (kind: ListingKind) => (kind === 'offer' ? 'offers' : 'requests');
export const timebankPath = (session: Session) => `/v1/timebanks/${session.timebankId}`;

/**
 * Runs an action and keeps its failure whole (an ApiError carries the API's words per field, for
 * FieldMessage); an ended session goes back to the login.
 */
export function useRun(onExpired: () => void) {
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fail = (caught: unknown) => {
    if (caught instanceof ApiError && caught.status === 401) onExpired();
    else setFailure(caught);
  };
  const run = async (action: () => Promise<void>) => {
    setFailure(null);
    setBusy(true);
    try {
      await action();
    } catch (caught) {
      fail(caught);
    } finally {
      setBusy(false);
    }
  };
  return { failure, busy, run, fail };
}

/** The attributes that tie an input to the API's message about its field (or one inside it), when there is one. */
export function fieldAttributes(failure: unknown, field: string) {
  const named = fieldsUnder(failure, field)[0];
  return named ? { 'aria-invalid': true, 'aria-describedby': messageId(named) } : {};
}

/** The fields the API named at `field` or inside it (`tags`, `tags.0`, ...), for one message each. */
export function fieldsUnder(failure: unknown, field: string): string[] {
  if (!(failure instanceof ApiError)) return [];
  return Object.keys(failure.fields).filter((name) => name === field || name.startsWith(`${field}.`));
}

/** The time bank's directory by member id (names, and what each shares). */
export function useDirectory(session: Session, onFailure: (caught: unknown) => void): Map<string, Person> {
  const [people, setPeople] = useState<Map<string, Person>>(new Map());
  useEffect(() => {
    allPages<Person>(session.token, `${timebankPath(session)}/directory`)
      .then((found) => setPeople(new Map(found.map((person) => [person.memberId, person]))))
      .catch(onFailure);
  }, []);
  return people;
}

export function useCategories(session: Session, onFailure: (caught: unknown) => void): Category[] {
  const [categories, setCategories] = useState<Category[]>([]);
  useEffect(() => {
    json<{ items: Category[] }>(session.token, `${timebankPath(session)}/categories`)
      .then((found) => setCategories(found.items))
      .catch(onFailure);
  }, []);
  return categories;
}

/** The two-level taxonomy as one list of choices: each top category, then its children as "Top › Child". */
export function categoryChoices(categories: Category[]): Array<{ id: string; label: string }> {
  const choices: Array<{ id: string; label: string }> = [];
  for (const top of categories.filter((category) => category.parentId === null)) {
    choices.push({ id: top.id, label: top.name });
    for (const child of categories.filter((category) => category.parentId === top.id)) choices.push({ id: child.id, label: `${top.name} › ${child.name}` });
  }
  return choices;
}

/** Great-circle distance, for showing "about N km": the API filters by the exact locations itself. */
export function distanceKm(from: Point, to: Point): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(to.lat - from.lat);
  const dLon = radians(to.lon - from.lon);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(radians(from.lat)) * Math.cos(radians(to.lat)) * Math.sin(dLon / 2) ** 2;
  return 6371 * 2 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** How to reach a member, from what it shares in the directory; empty when it shares nothing. */
export function contactOf(person: Person | undefined): string {
  return [person?.email, person?.phone].filter(Boolean).join(' · ');
}
