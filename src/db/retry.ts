import { isConnectionLoss, sqlStateOf } from './errors.js';

/** Serialization failures and deadlocks: nothing was written, and the same work may run again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 6;

/**
 * Runs a transaction again when contention aborted it, a bounded number of times with jittered
 * backoff, so that the transactions that collided do not collide again. The one retry rule of
 * every ledger write; anything else, or contention that outlasts the attempts, is thrown.
 */
export async function retryContention<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tried = 1; ; tried += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= MAX_ATTEMPTS || !RETRYABLE.has(sqlStateOf(error) ?? '')) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * tried));
    }
  }
}

/**
 * Runs a startup step again while the database connection is lost (PostgreSQL restarting, a
 * backend terminated), up to about 15 s, rather than exiting on the first blip: the steps it
 * runs (migrations, the admin's row) are transactions that either committed or left nothing.
 */
export async function retryConnectionLoss<T>(step: () => Promise<T>, attempts = 6): Promise<T> {
  for (let tried = 1; ; tried += 1) {
    try {
      return await step();
    } catch (error) {
      if (tried >= attempts || !isConnectionLoss(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * tried));
    }
  }
}
