import type { FastifyInstance } from 'fastify';
import { Rejection } from '../domain/errors.js';

/*
 * JSON bodies are parsed strictly. A key given twice in one object is refused rather than
 * resolved (JSON.parse keeps the last, other parsers the first: a proxy and this service could
 * read different amounts), and so is __proto__ (prototype pollution).
 */

/** The first key repeated within one object, or __proto__; undefined when there is none. */
export function offendingKey(text: string): string | undefined {
  // One set of keys per open object, null per open array.
  const open: Array<Set<string> | null> = [];
  let expectingKey = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (character === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open.at(-1);
      if (keys && expectingKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(index, end + 1)) as string;
        } catch {
          return undefined; // Malformed: JSON.parse says so next.
        }
        if (key === '__proto__' || keys.has(key)) return key;
        keys.add(key);
        expectingKey = false;
      }
      index = end;
    } else if (character === '{') {
      open.push(new Set());
      expectingKey = true;
    } else if (character === '[') {
      open.push(null);
      expectingKey = false;
    } else if (character === '}' || character === ']') {
      open.pop();
      expectingKey = false;
    } else if (character === ',') {
      expectingKey = Boolean(open.at(-1));
    }
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const malformed = (message: string) => Object.assign(new SyntaxError(message), { statusCode: 400 });

export function strictJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let text: string;
    try {
      // Invalid UTF-8 is refused, not replaced: U+FFFD would be stored in someone's text.
      text = utf8.decode(body as Buffer);
    } catch {
      done(malformed('invalid UTF-8'), undefined);
      return;
    }
    if (text.trim() === '') {
      done(malformed('empty body'), undefined);
      return;
    }
    const key = offendingKey(text);
    if (key !== undefined) {
      done(new Rejection('validation_failed', key === '__proto__' ? 'The key "__proto__" is not allowed.' : `The key "${key}" appears twice in one object.`, { errors: [{ field: key, location: 'body', message: key === '__proto__' ? 'is not allowed' : 'appears twice' }] }), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      // A SyntaxError, or a RangeError from nesting too deep for the parser.
      done(malformed('invalid JSON'), undefined);
    }
  });
}
