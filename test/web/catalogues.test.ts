import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { catalogues } from '../../web/src/messages/index.js';

/*
 * The web client's catalogues: every language has every id English has, and no placeholder
 * English lacks; every message is valid ICU MessageFormat.
 */

type Catalogue = Record<string, string>;

/** The argument names a message uses, plural and select branches included. */
function placeholders(message: string): Set<string> {
  const names = new Set<string>();
  const walk = (elements: MessageFormatElement[]) => {
    for (const element of elements) {
      if (element.type === TYPE.literal || element.type === TYPE.pound) continue;
      if ('value' in element && typeof element.value === 'string') names.add(element.value);
      if ('options' in element) for (const option of Object.values(element.options)) walk(option.value);
      if (element.type === TYPE.tag) walk(element.children);
    }
  };
  walk(parse(message));
  return names;
}

/** What is wrong with `other` next to English: missing ids, placeholders English lacks, unparsable messages. */
function faults(english: Catalogue, other: Catalogue): string[] {
  const found: string[] = [];
  for (const [id, message] of Object.entries(english)) {
    const translated = other[id];
    if (translated === undefined) {
      found.push(`${id}: missing`);
      continue;
    }
    const expected = placeholders(message);
    try {
      for (const name of placeholders(translated)) if (!expected.has(name)) found.push(`${id}: placeholder {${name}} English lacks`);
    } catch (error) {
      found.push(`${id}: not ICU MessageFormat (${(error as Error).message})`);
    }
  }
  return found;
}

describe('the web client catalogues', () => {
  it('give every language every id English has, with no placeholder English lacks', () => {
    for (const language of ['es', 'ca', 'fr'] as const) {
      expect(faults(catalogues.en, catalogues[language]), language).toEqual([]);
    }
    expect(Object.keys(catalogues.en).length).toBeGreaterThan(0);
  });

  it('are valid ICU MessageFormat in English too', () => {
    for (const [id, message] of Object.entries(catalogues.en)) expect(() => placeholders(message), id).not.toThrow();
  });

  it('would catch a missing id and a stray placeholder', () => {
    const english = { 'a.b': 'Hello {name}, {count, plural, one {# hour} other {# hours}}', 'a.c': 'Bye' };
    expect(faults(english, { 'a.b': 'Hola {nombre}, {count, plural, one {# hora} other {# horas}}' })).toEqual(['a.b: placeholder {nombre} English lacks', 'a.c: missing']);
    expect(faults(english, { 'a.b': 'Hola {name}, {count, plural, one {# hora} other {# horas {extra}}}', 'a.c': 'Adiós' })).toEqual(['a.b: placeholder {extra} English lacks']);
  });
});
