import { eq } from 'drizzle-orm';
import type { Db } from '../client.js';
import { platformAdmins } from '../schema.js';

/** A platform administrator's public fields: never its password hash. */
export async function findAdmin(db: Db, adminId: string): Promise<{ email: string } | undefined> {
  const [admin] = await db.select({ email: platformAdmins.email }).from(platformAdmins).where(eq(platformAdmins.id, adminId));
  return admin;
}
