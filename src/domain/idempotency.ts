import { keyInUse, keyReused } from './errors.js';

/** What an Idempotency-Key's row holds: the request it was first used with, and its answer once stored. */
export type StoredKey = { requestHash: string; statusCode: number | null; responseBody: string | null };

/**
 * The answer a request gets when its key was used before: the first answer again, for the same
 * request; 409 idempotency_key_reused for another request; 409 idempotency_key_in_use while the
 * first is still being answered. The one rule of replay, for every write that takes a key.
 */
export function replayOf(stored: StoredKey, requestHash: string): { statusCode: number; body: unknown } {
  if (stored.requestHash !== requestHash) throw keyReused();
  if (stored.statusCode === null || stored.responseBody === null) throw keyInUse();
  return { statusCode: stored.statusCode, body: JSON.parse(stored.responseBody) };
}
