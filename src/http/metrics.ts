import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { problem, sendProblem } from './errors.js';
import { problems } from './schemas.js';

/*
 * GET /metrics in the Prometheus text format. Labels are route templates, methods, status codes
 * and problem codes: never ids, timebanks or anything personal. Each app has its own registry,
 * so that several apps in one process (as in tests) do not share counters.
 *
 * The figures describe the service's load and its refusals, which is not for anyone to read: the
 * endpoint answers only with "Authorization: Bearer <METRICS_TOKEN>", and without that variable it
 * does not exist (404, as any unknown path).
 */

export type LedgerMetrics = {
  transfersPosted(count: number): void;
  transferRejected(code: string): void;
  /** How many single-transfer requests one group commit wrote together. */
  transferGroup(size: number): void;
};

declare module 'fastify' {
  interface FastifyInstance {
    ledgerMetrics: LedgerMetrics;
  }
}

// Both sides hashed first: equal lengths for timingSafeEqual, and no early exit on length.
const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares the bearer token in constant time; answers 404 or 401 itself when it does not pass. */
function metricsGuard(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!expected) {
      return sendProblem(reply, problem(404, 'not_found', 'Not found', `No route ${request.method} ${request.url}.`));
    }
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!timingSafeEqual(digest(given), expected)) {
      reply.header('WWW-Authenticate', 'Bearer');
      return sendProblem(reply, problem(401, 'unauthorized', 'Unauthorized', 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".'));
    }
    return undefined;
  };
}

const plugin: FastifyPluginAsync<{ database: Database; token: string | undefined }> = async (app, { database, token }) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'timebank_' });
  const latency = new Histogram({
    name: 'timebank_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status code',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const posted = new Counter({ name: 'timebank_transfers_posted_total', help: 'Transfers posted (replays not counted)', registers: [registry] });
  const rejected = new Counter({
    name: 'timebank_transfers_rejected_total',
    help: 'Transfer writes refused, by problem code (replays not counted)',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'timebank_db_pool_connections',
    help: 'Database pool connections by state (PostgreSQL only)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const usage = database.poolUsage();
      if (!usage) return;
      this.set({ state: 'total' }, usage.total);
      this.set({ state: 'idle' }, usage.idle);
      this.set({ state: 'waiting' }, usage.waiting);
    },
  });

  const groups = new Histogram({
    name: 'timebank_transfer_group_size',
    help: 'Single-transfer requests written together by one group commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });

  app.decorate('ledgerMetrics', {
    transfersPosted: (count: number) => posted.inc(count),
    transferRejected: (code: string) => rejected.inc({ code }),
    transferGroup: (size: number) => groups.observe(size),
  });
  app.addHook('onResponse', (request, reply, done) => {
    // The route template (/v1/timebanks/:timebankId/...), never the URL with its ids.
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe({ route, method: request.method, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  app.get(
    '/metrics',
    {
      onRequest: metricsGuard(token),
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (with METRICS_TOKEN as the bearer token)',
        description: 'The Prometheus text format. Not found when METRICS_TOKEN is not set.',
        tags: ['operations'],
        security: [{ metricsToken: [] }],
        response: {
          200: { description: 'The metrics', content: { 'text/plain': { schema: z.string() } } },
          ...problems(401, 404),
        },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
};

export const metrics = fp(plugin, { name: 'metrics' });
