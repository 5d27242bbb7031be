import { createIntl, createIntlCache, type IntlShape } from '@formatjs/intl';
import { catalogues, type MessageId } from './messages/index.js';

/*
 * The client speaks the member's language. Every string shown lives in the message catalogues
 * (web/src/messages/): ICU MessageFormat, English first, then Spanish, Catalan and French. The
 * language comes from the browser until the member picks one, which is kept in localStorage.
 * Numbers, dates and hours are formatted by Intl for that language.
 */

export const LOCALES = ['en', 'es', 'ca', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];
/** Each language's name in itself, for the picker. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', es: 'Español', ca: 'Català', fr: 'Français' };

const STORAGE_KEY = 'timebank.locale';

/** The member's choice, else the first of the browser's languages the client speaks, else English. */
export function chooseLocale(): Locale {
  const saved = safeStorage()?.getItem(STORAGE_KEY);
  if (saved && (LOCALES as readonly string[]).includes(saved)) return saved as Locale;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if ((LOCALES as readonly string[]).includes(base ?? '')) return base as Locale;
  }
  return 'en';
}

function safeStorage(): Storage | undefined {
  try {
    return localStorage;
  } catch {
    return undefined;
  }
}

const cache = createIntlCache();
let current: IntlShape = makeIntl(chooseLocale());

function makeIntl(locale: Locale): IntlShape {
  // A message missing from a catalogue falls back to English rather than showing its id.
  const messages = { ...catalogues.en, ...catalogues[locale] };
  return createIntl({ locale, defaultLocale: 'en', messages, onError: () => undefined }, cache);
}

/** The language the client speaks now. */
export function locale(): Locale {
  return current.locale as Locale;
}

/** Changes the language and keeps the choice; the page is drawn again by the caller (it reloads). */
export function setLocale(next: Locale): void {
  safeStorage()?.setItem(STORAGE_KEY, next);
  current = makeIntl(next);
  document.documentElement.lang = next;
}

/** The message `id` in the current language, with its ICU placeholders filled from `values`. */
export function t(id: MessageId, values?: Record<string, string | number | Date>): string {
  return current.formatMessage({ id }, values) as string;
}

/** Numbers, dates and lists in the current language (Intl underneath). */
export const formats = {
  number: (value: number, options?: Intl.NumberFormatOptions) => current.formatNumber(value, options),
  date: (value: Date | string, options?: Intl.DateTimeFormatOptions) => current.formatDate(value, options ?? { dateStyle: 'medium' }),
  dateTime: (value: Date | string) => current.formatDate(value, { dateStyle: 'medium', timeStyle: 'short' }),
};

document.documentElement.lang = current.locale;
