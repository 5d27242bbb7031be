import pg from 'pg';
import type { TestProject } from 'vitest/node';

/*
 * Finds the PostgreSQL the tests run against: TEST_DATABASE_URL, else DATABASE_URL, else a
 * local server on 127.0.0.1:5432, else a throwaway container where a Docker engine answers.
 * Each test file then creates (and drops) its own database on that server.
 */

const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function answers(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

export default async function setup(project: TestProject) {
  const given = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (given) {
    const failure = await answers(given);
    if (failure) {
      throw new Error(`The test database URL does not answer: ${failure}`);
    }
    project.provide('adminDatabaseUrl', given);
    return;
  }
  const localFailure = await answers(LOCAL_URL);
  if (!localFailure) {
    project.provide('adminDatabaseUrl', LOCAL_URL);
    return;
  }
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    project.provide('adminDatabaseUrl', container.getConnectionUri());
    return async () => {
      await container.stop();
    };
  } catch (error) {
    throw new Error(
      [
        'The tests need PostgreSQL and found none:',
        `  - no TEST_DATABASE_URL or DATABASE_URL is set;`,
        `  - ${LOCAL_URL} does not answer (${localFailure});`,
        `  - no Docker engine for a throwaway container (${(error as Error).message}).`,
        'Set TEST_DATABASE_URL=postgres://user@host:port/db (a role that may create databases),',
        'or start a local PostgreSQL, or start Docker.',
      ].join('\n'),
    );
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}
