/*
 * Matching offers with requests: availability as hours of the week, and the score of a
 * candidate from its components (exchange cycles are in exchange-cycles.ts). Pure: the queries
 * gather the figures, these functions decide.
 */

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];
export type AvailabilityWindow = { day: Weekday; from: string; to: string };

const HOURS_PER_WEEK = 168;

function minutesOfDay(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
}

/**
 * The hours of the week a set of windows touches, as a 168-character string of 0 and 1
 * (Monday 00:00 first) for PostgreSQL's bit(168). A window ending at 24:00 covers the day's end.
 */
export function availabilityHours(windows: AvailabilityWindow[] | null | undefined): string | null {
  if (!windows || windows.length === 0) {
    return null;
  }
  const hours = new Array<string>(HOURS_PER_WEEK).fill('0');
  for (const window of windows) {
    const dayStart = weekdays.indexOf(window.day) * 24;
    const fromHour = Math.floor(minutesOfDay(window.from) / 60);
    const toHour = Math.ceil(minutesOfDay(window.to) / 60);
    for (let hour = fromHour; hour < toHour; hour += 1) {
      hours[dayStart + hour] = '1';
    }
  }
  return hours.join('');
}

/** A window must end after it starts, within one day. */
export function isValidWindow(window: AvailabilityWindow): boolean {
  return minutesOfDay(window.to) > minutesOfDay(window.from);
}

/*
 * Scoring. Every component is in [0, 1]; the score is their weighted sum with weights summing
 * to 1. These are the documented defaults; changing them changes every ranking.
 */
export const matchWeights = {
  /** Same category 1, a child category 0.7, otherwise 0 (text similarity may still qualify). */
  categoryFit: 0.25,
  /** Trigram similarity of title and tags. */
  textSimilarity: 0.15,
  /** 1 at the same place, falling to 0 at the request's distance; 1 when both can be remote. */
  distance: 0.1,
  /** Share of the smaller availability that overlaps the other; 0.5 when either is unknown. */
  availability: 0.1,
  /** Favours the exchange that moves the candidate's give/receive balance toward even. */
  rebalance: 0.15,
  /** 1 when the receiver's help already traces back to the giver: the exchange closes a loop. */
  closesLoop: 0.1,
  /** 1 when the two have never exchanged: it widens the network. */
  newTie: 0.1,
  /** Fewer open commitments and less recent giving rank higher, to spread the load. */
  load: 0.05,
} as const;

export type MatchComponents = { [Name in keyof typeof matchWeights]: number };

export function matchScore(components: MatchComponents): number {
  let score = 0;
  for (const name of Object.keys(matchWeights) as Array<keyof typeof matchWeights>) {
    score += matchWeights[name] * clamp(components[name]);
  }
  return Math.round(score * 1e6) / 1e6;
}

function clamp(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

/** (given - received) / (given + received), in [-1, 1]; null for someone who never traded. */
export function balanceIndex(givenMinutes: number, receivedMinutes: number): number | null {
  const turnover = givenMinutes + receivedMinutes;
  return turnover === 0 ? null : (givenMinutes - receivedMinutes) / turnover;
}

/**
 * The rebalance component for a candidate who would give (request matches) or receive (offer
 * matches). Givers who have mostly received, or never given, score high: turning receivers into
 * givers is the point of co-production. Receivers who have mostly given score high likewise.
 */
export function rebalanceComponent(role: 'giver' | 'receiver', givenMinutes: number, receivedMinutes: number): number {
  if (role === 'giver' && givenMinutes === 0) {
    return 1;
  }
  const index = balanceIndex(givenMinutes, receivedMinutes);
  if (index === null) {
    return 0.5;
  }
  return role === 'giver' ? (1 - index) / 2 : (1 + index) / 2;
}

/** Open commitments (pending transfers) and hours given in the last 30 days, as a load in [0, 1]. */
export function loadComponent(pendingTransfers: number, minutesGivenLast30Days: number): number {
  return 1 / (1 + (pendingTransfers + minutesGivenLast30Days / 60) / 5);
}

export function distanceComponent(distanceKm: number | null, maxDistanceKm: number, bothRemote: boolean): number {
  if (bothRemote) return 1;
  if (distanceKm === null) return 0.5;
  return clamp(1 - distanceKm / maxDistanceKm);
}

export function availabilityComponent(overlapHours: number | null, smallerHours: number | null): number {
  if (overlapHours === null || !smallerHours) return 0.5;
  return clamp(overlapHours / smallerHours);
}

/** Word trigrams as pg_trgm makes them: each word padded with two spaces before, one after. */
export function trigrams(text: string): Set<string> {
  const grams = new Set<string>();
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean)) {
    const padded = `  ${word} `;
    for (let index = 0; index + 3 <= padded.length; index += 1) grams.add(padded.slice(index, index + 3));
  }
  return grams;
}

/** Shared trigrams over all trigrams, in [0, 1]: pg_trgm's similarity(), in memory. */
export function trigramSimilarity(left: string, right: string): number {
  return setSimilarity(trigrams(left), trigrams(right));
}

function setSimilarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const gram of a) if (b.has(gram)) shared += 1;
  return shared / (a.size + b.size - shared);
}
