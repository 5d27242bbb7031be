import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { problem, sendProblem } from './errors.js';

/*
 * The web client at /app: static files built from web/ into dist/web (`npm run build`). It
 * talks to the public API with the user's token like any partner app, so the server only
 * serves files.
 */

/** dist/web above this module, whether it runs from src/ (tsx) or dist/src/ (node). */
export function findWebRoot(): string | undefined {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(directory, 'dist', 'web');
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

export const webClient: FastifyPluginAsync<{ root: string | undefined }> = async (app, { root }) => {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/app/'));
  app.get('/app', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/app/'));
  if (!root) {
    app.get('/app/*', { schema: { hide: true } }, async (_request, reply) =>
      sendProblem(reply, problem(503, 'web_client_not_built', 'Web client not built', 'The web client is not built: run npm run build.')),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/app/',
    index: 'index.html',
    // Bundles carry a content hash in their names; index.html must be fetched anew.
    setHeaders: (response, filePath) => {
      response.header('cache-control', filePath.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
  // The first-run link's page (DESIGN.md section 9) is the client's, which reads the path.
  app.get('/app/setup', { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-store').sendFile('index.html'));
};
