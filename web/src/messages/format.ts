import { area } from './area.js';

/*
 * Hours and minutes, short ("1 h 15 min", for tables and figures) and in words ("1 hour 15
 * minutes", for sentences), with numbers in the member's language; "n/a" for a ratio of nothing.
 */

export const format = area({
  en: {
    'format.minutes': '{minutes, number} min',
    'format.hours': '{hours, number} h',
    'format.hoursMinutes': '{hours, number} h {minutes, number} min',
    'format.words.minutes': '{minutes, plural, one {# minute} other {# minutes}}',
    'format.words.hours': '{hours, plural, one {# hour} other {# hours}}',
    'format.words.hoursMinutes': '{hours, plural, one {# hour} other {# hours}} {minutes, plural, one {# minute} other {# minutes}}',
    'format.notAvailable': 'n/a',
  },
  es: {
    'format.minutes': '{minutes, number} min',
    'format.hours': '{hours, number} h',
    'format.hoursMinutes': '{hours, number} h {minutes, number} min',
    'format.words.minutes': '{minutes, plural, one {# minuto} other {# minutos}}',
    'format.words.hours': '{hours, plural, one {# hora} other {# horas}}',
    'format.words.hoursMinutes': '{hours, plural, one {# hora} other {# horas}} y {minutes, plural, one {# minuto} other {# minutos}}',
    'format.notAvailable': 'n. d.',
  },
  ca: {
    'format.minutes': '{minutes, number} min',
    'format.hours': '{hours, number} h',
    'format.hoursMinutes': '{hours, number} h {minutes, number} min',
    'format.words.minutes': '{minutes, plural, one {# minut} other {# minuts}}',
    'format.words.hours': '{hours, plural, one {# hora} other {# hores}}',
    'format.words.hoursMinutes': '{hours, plural, one {# hora} other {# hores}} i {minutes, plural, one {# minut} other {# minuts}}',
    'format.notAvailable': 'n. d.',
  },
  fr: {
    'format.minutes': '{minutes, number} min',
    'format.hours': '{hours, number} h',
    'format.hoursMinutes': '{hours, number} h {minutes, number} min',
    'format.words.minutes': '{minutes, plural, one {# minute} other {# minutes}}',
    'format.words.hours': '{hours, plural, one {# heure} other {# heures}}',
    'format.words.hoursMinutes': '{hours, plural, one {# heure} other {# heures}} {minutes, plural, one {# minute} other {# minutes}}',
    'format.notAvailable': 'n.d.',
  },
});
