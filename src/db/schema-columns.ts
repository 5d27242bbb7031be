import { timestamp } from 'drizzle-orm/pg-core';

/** Columns the schema modules share. Its own module: schema.ts and the modules it re-exports all read it as they load. */
export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull();
