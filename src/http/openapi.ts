import { stringify } from 'yaml';
import { buildApp } from '../app.js';
import { openDatabase } from '../db/client.js';

/**
 * The OpenAPI document as the routes' schemas produce it. openapi.yaml is this text, committed;
 * a test fails when the two differ (`npm run openapi` rewrites the file).
 */
export async function generateOpenApiYaml(): Promise<string> {
  const database = await openDatabase({ databaseUrl: undefined, dataDir: '', inMemory: true });
  const app = await buildApp({
    config: {
      jwtSecret: 'openapi-generation-only-never-serves-requests',
      tokenTtlSeconds: 900,
      logLevel: 'silent',
      loginRateLimit: { max: 1, perIdentifierMax: 1, perAddressMax: 1, windowSeconds: 1 },
    },
    database,
  });
  try {
    await app.ready();
    // Without YAML anchors: a document of shared headers would otherwise be aliases that
    // parsers cap (the yaml package refuses more than 100).
    return stringify(app.swagger(), { aliasDuplicateObjects: false, lineWidth: 0 });
  } finally {
    await app.close();
    await database.close();
  }
}
