/** The PostgreSQL error behind a driver or drizzle error (drizzle wraps it as `cause`). */
function databaseError(error: unknown): { code: string; constraint?: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth += 1) {
    const candidate = current as { code?: unknown; constraint?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return candidate as { code: string; constraint?: string };
    }
    current = candidate.cause;
  }
  return undefined;
}

/** The SQLSTATE of a database error, if the error is one. */
export function sqlStateOf(error: unknown): string | undefined {
  return databaseError(error)?.code;
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = databaseError(error);
  return cause?.code === '23505' && cause.constraint === constraint;
}

const LOST_CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const LOST_CONNECTION_MESSAGE = /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect/i;

/**
 * Whether the error says the database connection was lost or could not be made (the server
 * restarted, a backend was terminated, the network dropped), as opposed to a refusal of the
 * statement itself. Nothing the transaction wrote is visible unless it committed, and a retry
 * with the same idempotency key replays what did commit.
 */
export function isConnectionLoss(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth += 1) {
    const candidate = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && (/^(08[0-9A-Z]{3}|57P0[123])$/.test(candidate.code) || LOST_CONNECTION_CODES.has(candidate.code))) return true;
    // Drizzle's wrapper quotes the query and its values, which may hold any text: only the
    // driver's own messages count.
    const wrapper = current instanceof Error && current.name === 'DrizzleQueryError';
    if (!wrapper && typeof candidate.message === 'string' && LOST_CONNECTION_MESSAGE.test(candidate.message)) return true;
    current = candidate.cause;
  }
  return false;
}
