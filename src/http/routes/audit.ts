import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireCoordinator } from '../../domain/principal.js';
import type { RouteOptions } from '../options.js';
import { oauth, DEFAULT_PAGE_SIZE, id, page, paginationQuery, problems, readProblems, timebankParams, timestamp } from '../schemas.js';

const auditEntrySchema = z
  .object({
    id,
    at: timestamp,
    actor: z.object({
      type: z.enum(['member', 'client', 'admin', 'system']),
      id: id.nullable().describe('The member, client or admin; null for the service itself (maintenance)'),
    }),
    action: z.string().describe('e.g. member.updated, member.sessions_revoked, client.revoked, timebank.updated, transfer.reversed'),
    target: z.object({ type: z.string(), id: z.string() }),
    changes: z
      .record(z.string(), z.array(z.unknown()).length(2))
      .describe('Each changed field as [before, after]; a secret shows only "(hidden)"'),
    requestId: z.string().nullable().describe('The X-Request-Id of the request that made the change'),
  })
  .meta({ id: 'AuditEntry' });

export const auditRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { reads }) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/v1/timebanks/:timebankId/audit-log',
    {
      schema: {
        operationId: 'listAuditLog',
        summary: 'The audit log of privileged changes, newest first (coordinator)',
        description:
          'Every change of roles, statuses, emails and passwords, settings, account limits, partner clients, categories, sessions ended for a member, and reversals and limit overrides. Append-only: the database refuses to change or delete an entry.',
        tags: ['audit'],
        security: oauth(),
        params: timebankParams,
        querystring: z.strictObject({
          ...paginationQuery,
          action: z.string().min(1).max(100).regex(/^[a-z_.]+$/, 'must be an action name').optional(),
          target: z.string().min(1).max(100).optional().describe('The id of the changed resource'),
        }),
        response: { 200: page(auditEntrySchema), ...problems(...readProblems) },
      },
    },
    async (request) => {
      const { timebankId } = request.params;
      requireCoordinator(request.principal, timebankId);
      return reads.listAuditLog(timebankId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
    },
  );
};
