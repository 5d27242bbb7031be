import { describe, expect, it } from 'vitest';
import { problemCodes } from '../../src/http/problem-codes.js';
import { catalogues } from '../../web/src/messages/index.js';
import { problems } from '../../web/src/messages/problems.js';

/*
 * The web client translates every problem `code` the API can answer with (the catalogue in
 * src/http/problem-codes.ts), so that a member reading another language never meets an English
 * detail the client could have said in their words.
 */

/** Codes the client raises itself: no answer at all, and an answer that was not problem+json. */
const CLIENT_CODES = ['network', 'error'];

describe('the problems area of the web client', () => {
  it('has a message for every problem code of the API, in every language', () => {
    for (const language of ['en', 'es', 'ca', 'fr'] as const) {
      const missing = problemCodes.filter((code) => catalogues[language][`problems.${code}`] === undefined);
      expect(missing, language).toEqual([]);
    }
  });

  it('has messages for the client\'s own codes, and none for codes the API does not have', () => {
    const known = new Set<string>([...problemCodes, ...CLIENT_CODES]);
    const ids = Object.keys(problems.en);
    expect(ids.filter((id) => !known.has(id.replace(/^problems\./, '')))).toEqual([]);
    for (const code of CLIENT_CODES) expect(ids).toContain(`problems.${code}`);
  });

  it('says each message differently from English in the other languages', () => {
    // A translation left in English would pass the other checks; a few identical words are fine,
    // a whole sentence is not.
    for (const language of ['es', 'ca', 'fr'] as const) {
      const untranslated = Object.entries(problems.en).filter(([id, english]) => english.length > 20 && problems[language][id as keyof typeof problems.en] === english);
      expect(untranslated.map(([id]) => id), language).toEqual([]);
    }
  });
});
