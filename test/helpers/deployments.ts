import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from './database.js';
import { freePort, startReadyService, type ReadyService } from './process.js';

/*
 * Deployments of the service for tests across deployments: each its own process and database
 * on loopback, reaching the others through PUBLIC_URL with loopback allowed
 * (FEDERATION_ALLOW_HOSTS), set up through the first-run setup and logged in as its coordinator.
 */

export type Deployment = {
  name: string;
  baseUrl: string;
  dataDir: string;
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  service?: ReadyService | undefined;
  token: string;
  timebankId: string;
};

export type Answer = { status: number; body: Record<string, unknown> & { items?: Array<Record<string, unknown>> }; headers: Headers };

/** Named deployments with their databases, ports and data directories, not started yet. */
export async function deployments(prefix: string, names: string[]) {
  const workDir = mkdtempSync(path.join(tmpdir(), `timebank-${prefix}-`));
  const jwtSecret = randomBytes(48).toString('base64url');
  const made: Deployment[] = [];
  for (const name of names) {
    made.push({ name, baseUrl: `http://127.0.0.1:${await freePort()}`, dataDir: path.join(workDir, name), database: await createTestDatabase(), token: '', timebankId: '' });
  }

  async function start(deployment: Deployment): Promise<void> {
    const environment = {
      DATABASE_URL: deployment.database.url,
      JWT_SECRET: jwtSecret,
      DATA_DIR: deployment.dataDir,
      HOST: '127.0.0.1',
      PORT: new URL(deployment.baseUrl).port,
      PUBLIC_URL: deployment.baseUrl,
      FEDERATION_ALLOW_HOSTS: '127.0.0.1',
      LOG_LEVEL: 'warn',
      CHECK_RESPONSES: 'true',
    };
    deployment.service = await startReadyService(environment, deployment.baseUrl, path.join(workDir, `${deployment.name}.log`));
  }

  async function stop(deployment: Deployment): Promise<void> {
    deployment.service?.child.kill('SIGTERM');
    await deployment.service?.exited;
    deployment.service = undefined;
  }

  async function close(): Promise<void> {
    await Promise.all(made.map(stop));
    await Promise.all(made.map((deployment) => deployment.database.drop()));
    rmSync(workDir, { recursive: true, force: true });
  }

  return { deployments: made, start, stop, close };
}

export async function call(deployment: Deployment, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${deployment.baseUrl}${route}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), authorization: `Bearer ${deployment.token}`, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Answer['body']), headers: response.headers };
}

/** The first-run setup: the deployment's timebank and its coordinator, logged in. */
export async function setUp(deployment: Deployment): Promise<void> {
  const tokenFile = path.join(deployment.dataDir, 'setup-token');
  for (const deadline = Date.now() + 20_000; !existsSync(tokenFile) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
  const body = {
    token: readFileSync(tokenFile, 'utf8').trim(),
    timebank: { name: `${deployment.name} Time Bank` },
    coordinator: { displayName: 'Coordinator', email: `coordinator@${deployment.name.toLowerCase()}.example`, password: 'a-long-enough-password' },
  };
  const answer = await call(deployment, 'POST', '/v1/setup', body);
  if (answer.status !== 201) throw new Error(`setup of ${deployment.name} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  deployment.token = answer.body.access_token as string;
  deployment.timebankId = (answer.body.timebank as { id: string }).id;
}
