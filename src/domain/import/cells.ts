import { MAX_TRANSFER_MINUTES } from '../ledger.js';
import { normalizeEmail, type MemberKind } from '../member.js';

/*
 * Cells: each reader takes a cell's text and gives its value, or throws a CellProblem naming
 * what is wrong (the row reader adds the file, line and column).
 */

export class CellProblem extends Error {}

// C0 controls but tab and newline, DEL and C1 controls: matching them is the point.
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_NEWLINE_AND_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function singleLineText(value: string, maxLength: number, what: string): string {
  const text = value.trim();
  if (text === '') throw new CellProblem(`${what} is empty`);
  if (text.length > maxLength) throw new CellProblem(`${what} is longer than ${maxLength} characters`);
  if (ANY_CONTROL.test(text)) throw new CellProblem(`${what} holds a control character or a line break`);
  if (!text.isWellFormed()) throw new CellProblem(`${what} is not well-formed Unicode`);
  return text;
}

export function optionalSingleLine(value: string, maxLength: number, what: string): string | null {
  return value.trim() === '' ? null : singleLineText(value, maxLength, what);
}

export function freeText(value: string): string | null {
  const text = value.trim();
  if (text === '') return null;
  if (text.length > 2000) throw new CellProblem('is longer than 2,000 characters');
  if (CONTROL_EXCEPT_NEWLINE_AND_TAB.test(text)) throw new CellProblem('holds a control character other than newline and tab');
  if (!text.isWellFormed()) throw new CellProblem('is not well-formed Unicode');
  return text;
}

export function emailOf(value: string): string {
  const text = value.trim();
  if (text === '') throw new CellProblem('is empty: every member needs an email, unique in the timebank');
  if (text.length > 254 || !EMAIL.test(text)) throw new CellProblem(`is not an email address: ${quote(text)}`);
  return normalizeEmail(text);
}

export const quote = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/i;
const DAY_MONTH_YEAR = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** A UTC instant from its parts, or undefined when a part is out of range (31 February, 25:00). */
function instant(year: number, month: number, day: number, hours = 0, minutes = 0, seconds = 0, milliseconds = 0, offsetMinutes = 0): Date | undefined {
  if (month < 1 || month > 12 || day < 1 || hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds, milliseconds));
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined;
  return new Date(date.getTime() - offsetMinutes * 60_000);
}

function offsetOf(zone: string | undefined): number {
  if (!zone || /^(z|utc)$/i.test(zone)) return 0;
  const digits = zone.replace(':', '');
  const sign = digits.startsWith('-') ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
}

/**
 * A date or an instant: `2024-03-05`, `2024-03-05T10:30:00Z`, `2024-03-05 10:30:00 +0100` (how
 * Rails writes one), with a zone or without (then UTC); TimeOverflow's files may also give
 * `05/03/2024` (day first).
 */
export function parseInstant(value: string, options: { dayFirst: boolean }): Date | undefined {
  const text = value.trim();
  let match = ISO_DATE.exec(text);
  if (match) return instant(Number(match[1]), Number(match[2]), Number(match[3]));
  match = ISO_TIME.exec(text);
  if (match) {
    const [, year, month, day, hours, minutes, seconds, fraction, zone] = match;
    const milliseconds = fraction ? Number(fraction.padEnd(3, '0').slice(0, 3)) : 0;
    if (zone && !/^(z|utc)$/i.test(zone) && (Number(zone.replace(':', '').slice(1, 3)) > 23 || Number(zone.replace(':', '').slice(3, 5)) > 59)) return undefined;
    return instant(Number(year), Number(month), Number(day), Number(hours), Number(minutes), Number(seconds ?? 0), milliseconds, offsetOf(zone));
  }
  match = options.dayFirst ? DAY_MONTH_YEAR.exec(text) : null;
  if (match) return instant(Number(match[3]), Number(match[2]), Number(match[1]));
  return undefined;
}

export function dateOf(value: string, options: { dayFirst: boolean; required: boolean }): Date | null {
  if (value.trim() === '') {
    if (options.required) throw new CellProblem('is empty');
    return null;
  }
  const date = parseInstant(value, options);
  if (!date || date.getUTCFullYear() < 1000) {
    const forms = options.dayFirst ? 'YYYY-MM-DD, DD/MM/YYYY or an ISO 8601 date and time' : 'YYYY-MM-DD or an ISO 8601 date and time';
    throw new CellProblem(`is not a date: ${quote(value.trim())} (expected ${forms})`);
  }
  return date;
}

function wholeNumber(value: string): number {
  const text = value.trim();
  if (!/^-?\d+$/.test(text)) throw new CellProblem(`is not a whole number: ${quote(text)}`);
  return Number(text);
}

export function minutesOf(value: string): number {
  const minutes = wholeNumber(value);
  if (minutes < 1 || minutes > MAX_TRANSFER_MINUTES) throw new CellProblem(`must be from 1 to ${MAX_TRANSFER_MINUTES.toLocaleString('en')} minutes, not ${minutes}`);
  return minutes;
}

/** TimeOverflow keeps amounts in seconds: only whole minutes carry over. */
export function minutesOfSeconds(value: string): number {
  const seconds = wholeNumber(value);
  if (seconds % 60 !== 0) throw new CellProblem(`${seconds} seconds is not a whole number of minutes`);
  if (seconds < 60 || seconds > MAX_TRANSFER_MINUTES * 60) throw new CellProblem(`must be from 60 to ${(MAX_TRANSFER_MINUTES * 60).toLocaleString('en')} seconds, not ${seconds}`);
  return seconds / 60;
}

export function externalIdOf(value: string, what = 'id'): string {
  return singleLineText(value, 255, what);
}

export function kindOf(value: string): MemberKind {
  const text = value.trim().toLowerCase();
  if (text === '' || text === 'person') return 'person';
  if (text === 'organisation' || text === 'organization') return 'organisation';
  throw new CellProblem(`must be person or organisation, not ${quote(value.trim())}`);
}
