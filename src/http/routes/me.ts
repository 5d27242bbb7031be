import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.js';
import type { RouteOptions } from '../options.js';
import { oauth, id, problems, scope } from '../schemas.js';

const meSchema = z
  .object({
    type: z.enum(['admin', 'member', 'client']),
    id,
    timebankId: id.nullable(),
    role: z.enum(['admin', 'coordinator', 'member']).nullable(),
    scopes: z.array(scope),
    displayName: z.string().nullable().describe('Member display name or client name'),
    email: z.string().nullable(),
    accountId: id.nullable(),
    status: z.enum(['active', 'suspended', 'left']).nullable(),
  })
  .meta({ id: 'Me' });

export const meRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { reads }) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/v1/me',
    {
      schema: {
        operationId: 'getMe',
        summary: 'Who the access token speaks for',
        description: 'Who the access token is now: a member (its timebank, role, account and status), a platform admin, or a partner client (its timebank and scopes). Any valid token may ask.',
        tags: ['auth'],
        security: oauth(),
        response: { 200: meSchema, ...problems(401, 404) },
      },
    },
    async (request) => {
      const principal = request.principal;
      const none = { timebankId: null, role: null, scopes: [], displayName: null, email: null, accountId: null, status: null };
      switch (principal.type) {
        case 'admin': {
          const admin = await reads.findAdmin(principal.id);
          if (!admin) throw notFound('Administrator');
          return { ...none, type: 'admin' as const, id: principal.id, role: 'admin' as const, email: admin.email };
        }
        case 'member': {
          const member = await reads.findMember(principal.timebankId, principal.id);
          if (!member) throw notFound('Member');
          return {
            ...none,
            type: 'member' as const,
            id: member.id,
            timebankId: member.timebankId,
            role: member.role,
            displayName: member.displayName,
            email: member.email,
            accountId: member.accountId,
            status: member.status,
          };
        }
        case 'client': {
          const client = await reads.findClientById(principal.id);
          if (!client) throw notFound('Client');
          return {
            ...none,
            type: 'client' as const,
            id: client.id,
            timebankId: client.timebankId,
            scopes: principal.scopes,
            displayName: client.name,
          };
        }
      }
    },
  );
};
