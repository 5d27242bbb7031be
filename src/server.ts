import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, loadDotEnvFile, type Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { retryConnectionLoss } from './db/retry.js';
import { ensurePlatformAdmin } from './use-cases/auth.js';
import { runMaintenance } from './use-cases/maintenance.js';
import { setupPending, setupToken } from './use-cases/setup.js';

const MAINTENANCE_INTERVAL_MS = 60_000;

/** Process entry: configuration, database, app, listen, and a graceful shutdown. */
async function main(): Promise<void> {
  loadDotEnvFile();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    connectionLifetimeSeconds: config.databaseConnectionLifetimeSeconds,
  });
  await retryConnectionLoss(() => database.migrate());

  const app = await buildApp({ config, database });
  app.addHook('onClose', async () => {
    await database.close();
  });
  app.log.info(
    { database: database.kind, ...(database.kind === 'pglite' ? { dataDir: config.dataDir } : {}) },
    'database ready',
  );

  if (config.admin) {
    const outcome = await retryConnectionLoss(() => ensurePlatformAdmin(database.db, config.admin!));
    app.log.info(`platform admin ${outcome === 'created' ? 'created' : 'already present'}`);
  }

  // Pending transfers past their deadline post by themselves within a minute.
  const maintenance = setInterval(() => {
    runMaintenance(database.db, new Date())
      .then((resolved) => {
        if (resolved.posted + resolved.expired > 0) app.log.info(resolved, 'pending transfers resolved');
      })
      .catch((err: unknown) => app.log.error({ err }, 'maintenance failed'));
  }, MAINTENANCE_INTERVAL_MS);
  maintenance.unref();
  app.addHook('preClose', async () => clearInterval(maintenance));

  // In-flight requests finish before the database closes; a second signal forces the exit.
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) {
      app.log.error({ err }, 'closing after an uncaught error');
    } else {
      app.log.info({ signal }, 'shutting down');
    }
    await app.close();
  });

  await app.listen({ port: config.port, host: config.host });

  if (!config.admin) await printSetupLink(app, database, config);
}

/** First run: whoever opens the link printed here creates the first timebank (DESIGN.md section 9). */
async function printSetupLink(app: FastifyInstance, database: Database, config: Config): Promise<void> {
  try {
    if (!(await retryConnectionLoss(() => setupPending(database.db)))) return;
    const base = config.publicUrl ?? `http://localhost:${(app.server.address() as AddressInfo).port}`;
    app.log.info({ url: `${base}/app/setup?token=${setupToken(config.dataDir)}` }, 'setup link');
  } catch (err) {
    // The service runs on without it; the next start prints it.
    app.log.error({ err }, 'the setup link could not be made');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
