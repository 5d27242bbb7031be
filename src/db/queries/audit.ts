import { and, desc, eq, lt } from 'drizzle-orm';
import type { Db } from '../client.js';
import { decodeCursor, toPage } from '../pagination.js';
import { auditLog } from '../schema.js';
import { presentAuditEntry } from '../../use-cases/present/audit.js';

/** Newest first (ids are time-ordered), by action and target when asked. */
export async function listAuditLog(
  db: Db,
  timebankId: string,
  options: { limit: number; cursor?: string | undefined; action?: string | undefined; target?: string | undefined },
) {
  const before = decodeCursor(options.cursor);
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.timebankId, timebankId),
        options.action === undefined ? undefined : eq(auditLog.action, options.action),
        options.target === undefined ? undefined : eq(auditLog.targetId, options.target),
        before ? lt(auditLog.id, before) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(options.limit + 1);
  return toPage(rows, options.limit, presentAuditEntry);
}
