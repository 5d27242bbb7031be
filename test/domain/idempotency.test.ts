import { describe, expect, it } from 'vitest';
import { Rejection } from '../../src/domain/errors.js';
import { replayOf } from '../../src/domain/idempotency.js';

const codeOf = (action: () => unknown) => {
  try {
    action();
    return 'replayed';
  } catch (error) {
    if (error instanceof Rejection) return error.code;
    throw error;
  }
};

describe('replayOf', () => {
  it('gives the first answer back for the same request, and refuses another request or an answer not stored yet', () => {
    const stored = { requestHash: 'h1', statusCode: 422, responseBody: '{"code":"limit_exceeded"}' };
    expect(replayOf(stored, 'h1')).toEqual({ statusCode: 422, body: { code: 'limit_exceeded' } });
    expect(codeOf(() => replayOf(stored, 'h2'))).toBe('idempotency_key_reused');
    expect(codeOf(() => replayOf({ requestHash: 'h1', statusCode: null, responseBody: null }, 'h1'))).toBe('idempotency_key_in_use');
    // Another request is refused as such even while the first is still running.
    expect(codeOf(() => replayOf({ requestHash: 'h1', statusCode: null, responseBody: null }, 'h2'))).toBe('idempotency_key_reused');
  });
});
