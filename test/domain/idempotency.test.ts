import { codeOf as rejectionCode } from '../helpers/rejection.js';
import { describe, expect, it } from 'vitest';
import { replayOf } from '../../src/domain/idempotency.js';

const codeOf = (action: () => unknown) => rejectionCode(action, 'replayed');

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
