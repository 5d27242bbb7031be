import { and, asc, eq, gt } from 'drizzle-orm';
import type { ApplicationStatus } from '../../domain/applications.js';
import { presentApplication } from '../../use-cases/present/application.js';
import type { Db } from '../client.js';
import { decodeCursor, toPage } from '../pagination.js';
import { applications, members, timebanks } from '../schema.js';

/* Applications to join a timebank, and the lookups an application needs. */

export type ApplicationRow = typeof applications.$inferSelect;

/** The stored row, password hash included: for use cases, never for an answer. */
export async function findApplicationRow(
  db: Db,
  timebankId: string,
  applicationId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ApplicationRow | undefined> {
  const query = db
    .select()
    .from(applications)
    .where(and(eq(applications.timebankId, timebankId), eq(applications.id, applicationId)));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}

export async function insertApplication(db: Db, row: typeof applications.$inferInsert): Promise<ApplicationRow> {
  const [inserted] = await db.insert(applications).values(row).returning();
  return inserted!;
}

export type Decision = {
  status: Exclude<ApplicationStatus, 'open'>;
  memberId?: string | undefined;
  reason?: string | null | undefined;
  decidedAt: Date;
  decidedBy: { type: string; id: string | null };
};

/** Records a decision; the password hash goes (to the new member, or nowhere). */
export async function recordDecision(db: Db, timebankId: string, applicationId: string, decision: Decision): Promise<ApplicationRow> {
  const [updated] = await db
    .update(applications)
    .set({
      status: decision.status,
      memberId: decision.memberId ?? null,
      reason: decision.reason ?? null,
      decidedAt: decision.decidedAt,
      decidedByType: decision.decidedBy.type,
      decidedById: decision.decidedBy.id,
      passwordHash: null,
    })
    .where(and(eq(applications.timebankId, timebankId), eq(applications.id, applicationId)))
    .returning();
  return updated!;
}

/** Flags an open application as a duplicate of the member who has its email. */
export async function markDuplicate(db: Db, timebankId: string, applicationId: string, memberId: string | null): Promise<ApplicationRow> {
  const [updated] = await db
    .update(applications)
    .set({ duplicateOfMemberId: memberId })
    .where(and(eq(applications.timebankId, timebankId), eq(applications.id, applicationId)))
    .returning();
  return updated!;
}

/** The timebank's applications, oldest first (ids are time-ordered), of one status when asked. */
export async function listApplications(
  db: Db,
  timebankId: string,
  options: { limit: number; cursor?: string | undefined; status?: ApplicationStatus | undefined },
) {
  const after = decodeCursor(options.cursor);
  const rows = await db
    .select()
    .from(applications)
    .where(
      and(
        eq(applications.timebankId, timebankId),
        options.status ? eq(applications.status, options.status) : undefined,
        after ? gt(applications.id, after) : undefined,
      ),
    )
    .orderBy(asc(applications.id))
    .limit(options.limit + 1);
  return toPage(rows, options.limit, presentApplication);
}

/** The member of the timebank with this email (as stored: normalised), if any. */
export async function memberWithEmail(db: Db, timebankId: string, email: string): Promise<string | undefined> {
  const [row] = await db
    .select({ id: members.id })
    .from(members)
    .where(and(eq(members.timebankId, timebankId), eq(members.email, email)));
  return row?.id;
}

export async function findTimebankBySlug(db: Db, slug: string) {
  const [row] = await db.select().from(timebanks).where(eq(timebanks.slug, slug));
  return row;
}
