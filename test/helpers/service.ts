import { PassThrough } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppConfig } from '../../src/app.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { ensurePlatformAdmin } from '../../src/use-cases/auth.js';
import { createTestDatabase } from './database.js';
import { sequenceAll } from '../../src/use-cases/events.js';
import { sealAll } from '../../src/use-cases/sealer.js';

export const ADMIN = { email: 'admin@example.org', password: 'admin-password-for-tests' };
export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123456789';
/** The bearer token /metrics asks for in tests (`config: { metricsToken: undefined }` turns it off). */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789';

// Response bodies are checked by assertions, so tests read them loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

export type TestService = {
  app: FastifyInstance;
  database: Database;
  /** The PostgreSQL database's URL (undefined when embedded). */
  databaseUrl: string | undefined;
  /** Everything the app logged so far, one JSON object per line. */
  logs(): string;
  request(options: InjectOptions & { token?: string }): Promise<LightMyRequestResponse>;
  /** POST or PATCH a JSON body and expect `status`; returns the parsed body. */
  send<T = Json>(
    method: 'POST' | 'PATCH',
    url: string,
    body: unknown,
    token: string | undefined,
    status?: number,
  ): Promise<T>;
  get<T = Json>(url: string, token: string | undefined, status?: number): Promise<T>;
  login(username: string, password: string, timebankId?: string): Promise<string>;
  adminToken(): Promise<string>;
  /** Seals every transfer committed so far (as the app's sealer does within its interval). */
  seal(): Promise<void>;
  /** Numbers every event committed so far (as the app's sequencer does within its interval). */
  sequenceEvents(): Promise<void>;
  close(): Promise<void>;
};

export type TestServiceOptions = {
  /** Embedded PGlite in memory instead of a PostgreSQL database of its own. */
  embedded?: boolean;
  config?: Partial<AppConfig>;
  /** The app's clock, for tests that move time. */
  clock?: () => Date;
  /** Runs before the app is ready, e.g. to add a route that fails on purpose. */
  beforeReady?: (app: FastifyInstance) => void;
  /** The built web client to serve at /app (null: none). */
  webRoot?: string | null;
  /** Another service's database (its `databaseUrl`): a second process on the same data. */
  databaseUrl?: string;
  /** No platform admin: the service waits for its first-run setup. */
  withoutAdmin?: boolean;
};

/** The real app on a fresh database (its own PostgreSQL database, or PGlite in memory). */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const testDatabase = options.embedded || options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? testDatabase?.url;
  const database = await openDatabase({
    databaseUrl,
    dataDir: '',
    inMemory: true,
    poolSize: 20,
  });
  await database.migrate();
  if (!options.withoutAdmin) await ensurePlatformAdmin(database.db, ADMIN);

  let logText = '';
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => {
    logText += chunk.toString('utf8');
  });
  const app = await buildApp({
    config: {
      jwtSecret: TEST_JWT_SECRET,
      tokenTtlSeconds: 900,
      logLevel: 'info',
      // Every request of a test file comes from one address: only the per-account limit is near.
      loginRateLimit: { max: 1000, perIdentifierMax: 100_000, perAddressMax: 100_000, windowSeconds: 60 },
      // Every response of the suite is checked by zod too, and must be written as zod writes it.
      checkResponses: true,
      metricsToken: TEST_METRICS_TOKEN,
      // Tests move the app's clock by weeks (deadlines, maintenance) while their tokens keep real
      // time: logins last a year, so that maintenance does not remove their sessions meanwhile.
      sessionTtlSeconds: 365 * 86_400,
      // The slowest sealer allowed: a test that reads the sealed ledger seals first (service.seal()).
      sealIntervalMs: 1000,
      ...options.config,
    },
    database,
    logStream,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.webRoot !== undefined ? { webRoot: options.webRoot } : {}),
  });
  options.beforeReady?.(app);
  await app.ready();

  const request: TestService['request'] = ({ token, ...rest }) =>
    app.inject({
      ...rest,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...rest.headers },
    });

  const expectStatus = (response: LightMyRequestResponse, status: number) => {
    if (response.statusCode !== status) {
      throw new Error(
        `${response.raw.req.method} ${response.raw.req.url}: expected ${status}, got ${response.statusCode}: ${response.body}`,
      );
    }
  };

  const service: TestService = {
    app,
    database,
    databaseUrl,
    logs: () => logText,
    request,
    async send(method, url, body, token, status = method === 'POST' ? 201 : 200) {
      const response = await request({ method, url, payload: body as object, token });
      expectStatus(response, status);
      return response.json();
    },
    async sequenceEvents() {
      while ((await sequenceAll(database.db)).busy > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    async seal() {
      // A timebank the app's own sealer holds is sealed by it: wait for it to finish.
      while ((await sealAll(database.db)).busy > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    async get(url, token, status = 200) {
      const response = await request({ method: 'GET', url, token });
      expectStatus(response, status);
      return response.json();
    },
    async login(username, password, timebankId) {
      const response = await request({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { grant_type: 'password', username, password, ...(timebankId ? { timebank_id: timebankId } : {}) },
      });
      expectStatus(response, 200);
      return response.json().access_token as string;
    },
    adminToken: () => service.login(ADMIN.email, ADMIN.password),
    async close() {
      await app.close();
      await database.close();
      await testDatabase?.drop();
    },
  };
  return service;
}

/** One series' value in a Prometheus text exposition (NaN when absent). */
export function metricValue(exposition: string, series: string): number {
  return Number(exposition.split('\n').find((line) => line.startsWith(series + ' '))?.split(' ')[1]);
}

export type Timebank = { id: string; commonsAccountId: string; name: string; slug: string };
export type Member = { id: string; timebankId: string; accountId: string; email: string; role: string; status: string };

let sequence = 0;
const unique = () => `${process.pid}-${Date.now().toString(36)}-${(sequence += 1)}`;

/** A timebank with a coordinator and a member, each logged in. */
export async function seedTimebank(service: TestService, name = `Timebank ${unique()}`) {
  const admin = await service.adminToken();
  const timebank = await service.send<Timebank>('POST', '/v1/timebanks', { name }, admin);
  const base = `/v1/timebanks/${timebank.id}`;
  const password = 'a-long-enough-password';
  const coordinator = await service.send<Member>(
    'POST',
    `${base}/members`,
    { displayName: 'Cora Coordinator', email: `cora-${unique()}@example.org`, password, role: 'coordinator' },
    admin,
  );
  const member = await service.send<Member>(
    'POST',
    `${base}/members`,
    { displayName: 'Mo Member', email: `mo-${unique()}@example.org`, password },
    admin,
  );
  return {
    timebank,
    base,
    admin,
    password,
    coordinator,
    member,
    coordinatorToken: await service.login(coordinator.email, password),
    memberToken: await service.login(member.email, password),
  };
}
