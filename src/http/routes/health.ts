import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problem, sendProblem } from '../errors.js';
import type { RouteOptions } from '../options.js';
import { problems } from '../schemas.js';

const statusSchema = z.object({ status: z.literal('ok') });

export const healthRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database }) => {
  const tags = ['operations'];

  app.get(
    '/healthz',
    {
      logLevel: 'warn',
      schema: {
        operationId: 'getLiveness',
        summary: 'Liveness: the process answers',
        description: 'Answers 200 while the process runs, without touching the database: for a liveness probe.',
        tags,
        security: [],
        response: { 200: statusSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      logLevel: 'warn',
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: the database answers',
        description: 'Answers 200 when the database answers, else 503 not_ready with Retry-After: for a readiness probe or a load balancer.',
        tags,
        security: [],
        response: { 200: statusSchema, ...problems(503) },
      },
    },
    async (request, reply) => {
      try {
        await database.ping();
        return { status: 'ok' as const };
      } catch (error) {
        request.log.warn({ err: error }, 'database not reachable');
        return sendProblem(
          reply,
          problem(503, 'not_ready', 'Not ready', 'The database does not answer.'),
        );
      }
    },
  );
};
