import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export type ServiceProcess = {
  child: ChildProcess;
  baseUrl: string;
  /** Every line the process wrote to standard output and error. */
  output: string[];
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
};

/** Runs src/server.ts as its own process, as `npm start` would, on a free port. */
export async function startServiceProcess(environment: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind a failed test.
      child.kill('SIGKILL');
      reject(new Error(`no listen line:\n${output.join('\n')}`));
    }, 60_000);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    }
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output.join('\n')}`));
    });
  });
  return { child, baseUrl, output, exited };
}

export async function postJson(url: string, body: unknown, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export type ReadyService = { child: ChildProcess; exited: Promise<number | null> };

/**
 * Runs src/server.ts as its own process on a known address, its output appended to `logFile`
 * (quietly, at any log level); resolves once /readyz answers 200.
 */
export async function startReadyService(
  environment: Record<string, string>,
  baseUrl: string,
  logFile: string,
  options: { nodeArguments?: string[]; built?: boolean } = {},
): Promise<ReadyService> {
  const output = openSync(logFile, 'a');
  // From source through tsx, or the compiled dist/ with the flags `npm start` gives node.
  const entry = options.built ? [...startFlags(), 'dist/src/server.js'] : ['--import', 'tsx', 'src/server.ts'];
  const child = spawn(process.execPath, [...(options.nodeArguments ?? []), ...entry], { env: { PATH: process.env.PATH ?? '', ...environment }, stdio: ['ignore', output, output] });
  closeSync(output);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  for (const deadline = Date.now() + 60_000; Date.now() < deadline && !gone; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const ready = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(1_000) }).then((response) => response.ok, () => false);
    if (ready) return { child, exited };
  }
  child.kill('SIGKILL');
  throw new Error(`the service did not become ready:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      server.close(() => resolve(address.port));
    });
  });
}

/** The node flags of package.json's start script, so that the compiled service runs as `npm start` runs it. */
export function startFlags(): string[] {
  const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;
  const words = start.split(/\s+/);
  const [node, entry] = [words.indexOf('node'), words.indexOf('dist/src/server.js')];
  if (node < 0 || entry < node) throw new Error(`the start script does not run node dist/src/server.js: ${start}`);
  return words.slice(node + 1, entry);
}
