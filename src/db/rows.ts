import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { NodePgSession } from 'drizzle-orm/node-postgres';
import type { PgDialect } from 'drizzle-orm/pg-core';
import type { Db } from './client.js';

export type Row = Record<string, unknown>;

/** The rows of a raw SQL query, the same on node-postgres and PGlite. */
export async function rows(db: Db, query: SQL): Promise<Row[]> {
  return ((await db.execute(query)) as unknown as { rows: Row[] }).rows;
}

type NamedQueryClient = { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Row[] }> };

/**
 * The rows of a raw SQL query run as a named prepared statement on PostgreSQL (by node-postgres,
 * once per connection and statement text; the name is the text's hash), so that a statement run
 * for every write is parsed once per connection and, once PostgreSQL settles on a generic plan,
 * not planned again. Only for statements whose text depends on the shape of the write, never on
 * its values: each distinct text stays prepared on its connection until the connection is
 * replaced. Values come back as node-postgres parses them (not through drizzle's column types).
 * On PGlite it runs as any other query.
 */
export async function preparedRows(db: Db, query: SQL): Promise<Row[]> {
  const { session, dialect } = db as unknown as { session: unknown; dialect: PgDialect };
  if (!(session instanceof NodePgSession)) return rows(db, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  const name = `tb_${createHash('sha1').update(text).digest('base64url')}`;
  const client = (session as unknown as { client: NamedQueryClient }).client;
  return (await client.query({ name, text, values: params })).rows;
}
