import { formats, t } from './i18n.js';

/*
 * Hours, dates and ratios in the member's language: the words come from the catalogue
 * (messages/format.ts), the numbers and dates from Intl.
 */

const split = (minutes: number) => {
  const whole = Math.abs(minutes);
  return { hours: Math.floor(whole / 60), rest: whole % 60 };
};

/** Minutes as people read them in a table: "2 h 30 min", "45 min", "0 min". Signs are the caller's. */
export function duration(minutes: number): string {
  const { hours, rest } = split(minutes);
  if (hours === 0) return t('format.minutes', { minutes: rest });
  return rest === 0 ? t('format.hours', { hours }) : t('format.hoursMinutes', { hours, minutes: rest });
}

/** The same in words, for sentences: "2 hours 30 minutes", "1 hour", "45 minutes". */
export function durationInWords(minutes: number): string {
  const { hours, rest } = split(minutes);
  if (hours === 0) return t('format.words.minutes', { minutes: rest });
  return rest === 0 ? t('format.words.hours', { hours }) : t('format.words.hoursMinutes', { hours, minutes: rest });
}

/** A signed amount for statements: "+1 h" earned, "−30 min" spent. */
export function signed(minutes: number): string {
  if (minutes === 0) return duration(0);
  return `${minutes > 0 ? '+' : '−'}${duration(minutes)}`;
}

export function date(iso: string | null): string {
  if (!iso) return '—';
  return formats.date(iso, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** A date and a time of day, for logs. */
export function dateTime(iso: string | null): string {
  return iso ? formats.dateTime(iso) : '—';
}

/** A plain count or amount, with the language's digit grouping. */
export const number = (value: number) => formats.number(value);

export function percent(value: number | null): string {
  return value === null ? t('format.notAvailable') : formats.number(value, { style: 'percent', maximumFractionDigits: 1 });
}

export function newKey(): string {
  return crypto.randomUUID();
}
