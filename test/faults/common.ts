import { randomBytes } from 'node:crypto';
import pg from 'pg';

/*
 * What the fault runs (run.ts, deliveries.ts) share: a database of their own on the PostgreSQL
 * the tests use, and the service's environment for it. Not the vitest helpers: these scripts run
 * under tsx, outside vitest.
 */

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function withAdmin<T>(url: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  // A restart of PostgreSQL (one of the faults) ends this connection too: the query in flight
  // fails and the caller handles that; the client's own error event must not end the run.
  client.on('error', () => {});
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh database named after the run; `drop` removes it, whoever is still connected. */
export async function faultDatabase(prefix: string): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await withAdmin(ADMIN_URL, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const drop = async () => {
    await withAdmin(ADMIN_URL, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch((error) => console.error('could not drop', name, error));
  };
  return { name, url: url.toString(), drop };
}

/** The service's environment for a fault run: its own admin, no login limits in the way, a small pool. */
export function serviceEnvironment(databaseUrl: string, port: number, admin: { email: string; password: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_POOL_SIZE: '10',
    LOGIN_RATE_LIMIT_MAX: '100000',
    LOGIN_RATE_LIMIT_PER_IDENTIFIER_MAX: '100000',
    LOGIN_RATE_LIMIT_PER_ADDRESS_MAX: '100000',
    ...extra,
  };
}
