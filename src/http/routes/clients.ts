import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireCoordinator } from '../../domain/principal.js';
import { DEFAULT_PAGE_SIZE } from '../../db/pagination.js';
import { listClients } from '../../db/queries/clients.js';
import { createClient } from '../../use-cases/clients.js';
import type { RouteOptions } from '../options.js';
import {
  bearerAuth,
  clientSchema,
  page,
  paginationQuery,
  problems,
  readProblems,
  scope,
  singleLine,
  timebankParams,
  writeProblems,
} from '../schemas.js';

const createdClientSchema = clientSchema
  .extend({
    clientSecret: z.string().describe('Shown only in this response; store it now'),
  })
  .meta({ id: 'CreatedClient' });

export const clientRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['clients'];

  app.post(
    '/v1/timebanks/:timebankId/clients',
    {
      schema: {
        operationId: 'createClient',
        summary: 'Register a partner app (coordinator)',
        description: 'The client acts in this timebank only, within its scopes. Its secret is shown once.',
        tags,
        security: bearerAuth,
        params: timebankParams,
        body: z.strictObject({ name: singleLine(200), scopes: z.array(scope).min(1).max(20) }),
        response: { 201: createdClientSchema, ...problems(...writeProblems) },
      },
    },
    async (request, reply) => {
      requireCoordinator(request.principal, request.params.timebankId);
      reply.code(201);
      return createClient(database.db, request.params.timebankId, request.body, clock());
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/clients',
    {
      schema: {
        operationId: 'listClients',
        summary: 'List partner apps (coordinator)',
        tags,
        security: bearerAuth,
        params: timebankParams,
        querystring: z.strictObject(paginationQuery),
        response: { 200: page(clientSchema), ...problems(...readProblems) },
      },
    },
    async (request) => {
      requireCoordinator(request.principal, request.params.timebankId);
      return listClients(database.db, request.params.timebankId, {
        limit: request.query.limit ?? DEFAULT_PAGE_SIZE,
        cursor: request.query.cursor,
      });
    },
  );
};
