import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireCoordinator, requireTimebankAccess } from '../../domain/principal.js';
import { createCategory, renameCategory } from '../../use-cases/categories.js';
import { acting } from '../acting.js';
import type { RouteOptions } from '../options.js';
import {
  oauth,
  optionalIdempotencyHeaders,
  categorySchema,
  id,
  problems,
  readProblems,
  singleLine,
  timebankParams,
  writeProblems,
} from '../schemas.js';

export const categoryRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, reads, clock }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['categories'];

  app.get(
    '/v1/timebanks/:timebankId/categories',
    {
      schema: {
        operationId: 'listCategories',
        summary: 'The timebank\'s category taxonomy (two levels)',
        description: 'Every member, coordinator and partner client of the timebank: the two-level taxonomy offers, requests and transfers name.',
        tags,
        security: oauth(),
        params: timebankParams,
        response: { 200: z.object({ items: z.array(categorySchema) }), ...problems(...readProblems) },
      },
    },
    async (request) => {
      requireTimebankAccess(request.principal, request.params.timebankId);
      return { items: await reads.listCategories(request.params.timebankId) };
    },
  );

  app.post(
    '/v1/timebanks/:timebankId/categories',
    {
      config: { idempotency: 'optional' },
      schema: {
        operationId: 'createCategory',
        summary: 'Add a category (coordinator)',
        description: 'Coordinators only. Names are unique among siblings (409 category_exists); a parent must be a top-level category (422 invalid_parent_category).',
        tags,
        security: oauth(),
        headers: optionalIdempotencyHeaders,
        params: timebankParams,
        body: z.strictObject({
          name: singleLine(100),
          parentId: id.nullable().optional().describe('A top-level category; absent for a new top-level one'),
        }).meta({ id: 'CategoryBody' }),
        response: { 201: categorySchema, ...problems(...writeProblems, 409, 422) },
      },
    },
    async (request, reply) => {
      requireCoordinator(request.principal, request.params.timebankId);
      reply.code(201);
      return createCategory(database.db, request.params.timebankId, request.body, acting(request), clock());
    },
  );

  app.patch(
    '/v1/timebanks/:timebankId/categories/:categoryId',
    {
      schema: {
        operationId: 'renameCategory',
        summary: 'Rename a category (coordinator)',
        description: 'Offers, requests and transfers filed under it keep pointing to it.',
        tags,
        security: oauth(),
        params: z.strictObject({ timebankId: id, categoryId: id }),
        body: z.strictObject({ name: singleLine(100) }).meta({ id: 'CategoryRenameBody' }),
        response: { 200: categorySchema, ...problems(...writeProblems, 409) },
      },
    },
    async (request) => {
      const { timebankId, categoryId } = request.params;
      requireCoordinator(request.principal, timebankId);
      return renameCategory(database.db, timebankId, categoryId, request.body.name, acting(request), clock());
    },
  );
};
