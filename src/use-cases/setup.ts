import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { changedFields } from '../domain/audit.js';
import { Rejection } from '../domain/errors.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { rows } from '../db/rows.js';
import { platformSetup } from '../db/schema.js';
import { appendAudit } from './audit.js';
import { authenticateWithPassword } from './auth.js';
import { createMember } from './members.js';
import type { Member } from './present/member.js';
import { openSession, type IssuedSession, type SessionSettings } from './sessions.js';
import { createTimebank } from './timebanks.js';
import type { Timebank } from './present/timebank.js';

/*
 * First run (DESIGN.md section 9): a service with no platform admin and no timebank prints a
 * one-time link; whoever opens it creates the first timebank and its coordinator. The token
 * lives in DATA_DIR beside the JWT secret, so that a restart before it is used prints the same
 * link; it stays there once used, so that the link then answers 410 (used) rather than 401.
 */

const TOKEN_FILE = 'setup-token';

/** Whether the service still waits for its first-run setup: nothing exists that someone could log in to. */
export async function setupPending(db: Db): Promise<boolean> {
  const [row] = await rows(
    db,
    sql`SELECT NOT EXISTS (SELECT 1 FROM platform_setup)
           AND NOT EXISTS (SELECT 1 FROM timebanks)
           AND NOT EXISTS (SELECT 1 FROM platform_admins) AS pending`,
  );
  return row?.pending === true;
}

/** The setup token kept in `dataDir`, made (readable by its owner only) when there is none. */
export function setupToken(dataDir: string): string {
  const file = path.join(dataDir, TOKEN_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Whether `given` is the token kept in `dataDir`; compared in constant time, and false when none was ever made. */
function tokenMatches(dataDir: string | undefined, given: string): boolean {
  if (dataDir === undefined) return false;
  const file = path.join(dataDir, TOKEN_FILE);
  if (!existsSync(file)) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(readFileSync(file, 'utf8').trim()), digest(given));
}

export type SetupInput = {
  token: string;
  timebank: { name: string; slug?: string | undefined };
  coordinator: { displayName: string; email: string; password: string };
};

const setupDone = () => new Rejection('setup_done', 'This service is set up already: log in instead.');

/**
 * Creates the first timebank and its coordinator, in one transaction with the row that marks
 * the setup done: of two uses of one link, exactly one creates anything; the other answers 410.
 */
export async function completeSetup(
  db: Db,
  dataDir: string | undefined,
  input: SetupInput,
  sessions: SessionSettings,
  now: Date,
): Promise<{ timebank: Timebank; coordinator: Member; session: IssuedSession }> {
  if (!tokenMatches(dataDir, input.token)) {
    throw new Rejection('setup_token_invalid', 'This setup link is not valid: use the link the service printed when it started.', { field: 'token' });
  }
  let created: { timebank: Timebank; coordinator: Member };
  try {
    created = await db.transaction(async (tx) => {
      // Two uses of one link queue here; the second then sees the first's timebank.
      await tx.execute(sql`LOCK TABLE platform_setup IN SHARE ROW EXCLUSIVE MODE`);
      if (!(await setupPending(tx))) throw setupDone();
      const timebank = await createTimebank(tx, input.timebank, now);
      await tx.insert(platformSetup).values({ id: 1, timebankId: timebank.id, completedAt: now });
      const coordinator = await createMember(tx, timebank.id, { ...input.coordinator, role: 'coordinator' }, now);
      const changes = changedFields({}, { timebank: timebank.name, coordinator: coordinator.email });
      await appendAudit(tx, undefined, { timebankId: timebank.id, action: 'setup.completed', target: { type: 'timebank', id: timebank.id }, changes }, now);
      return { timebank, coordinator };
    });
  } catch (error) {
    // Kept as a second guard: the lock above makes it unreachable on one database.
    if (isUniqueViolation(error, 'platform_setup_pkey')) throw setupDone();
    throw error;
  }
  // Logged in as the new coordinator, as the password grant would (one more hash check, once).
  const { principal, ...seen } = await authenticateWithPassword(db, { username: input.coordinator.email, password: input.coordinator.password, timebankId: created.timebank.id });
  return { ...created, session: await openSession(db, principal, seen, sessions, now) };
}
