import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.js';
import {
  requireAdmin,
  requireCoordinator,
  requireTimebankAccess,
} from '../../domain/principal.js';
import { createTimebank, updateTimebank } from '../../use-cases/timebanks.js';
import { acting } from '../acting.js';
import { ifMatchHeaders, ifMatchOf } from '../etag.js';
import type { RouteOptions } from '../options.js';
import {
  oauth,
  DEFAULT_PAGE_SIZE,
  optionalIdempotencyHeaders,
  page,
  paginationQuery,
  problems,
  readProblems,
  settingsChangeSchema,
  singleLine,
  timebankParams,
  timebankSchema,
  timebankSlug as slug,
  writeProblems,
} from '../schemas.js';


export const timebankRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, reads, clock }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['timebanks'];

  app.post(
    '/v1/timebanks',
    {
      config: { idempotency: 'optional', location: '/v1/timebanks/:id' },
      schema: {
        operationId: 'createTimebank',
        summary: 'Create a timebank (platform admin)',
        description: 'Creates the timebank, its commons account and its default category taxonomy.',
        tags,
        security: oauth(),
        headers: optionalIdempotencyHeaders,
        body: z.strictObject({
          name: singleLine(200),
          slug: slug.optional().describe('Derived from the name when absent'),
          settings: settingsChangeSchema.optional(),
        }).meta({ id: 'TimebankBody' }),
        response: { 201: timebankSchema, ...problems(...writeProblems, 409, 422) },
      },
    },
    async (request, reply) => {
      requireAdmin(request.principal);
      reply.code(201);
      return createTimebank(database.db, request.body, clock(), acting(request));
    },
  );

  app.get(
    '/v1/timebanks',
    {
      schema: {
        operationId: 'listTimebanks',
        summary: 'List the timebanks the caller belongs to (all, for an admin)',
        description: 'A platform admin sees every timebank; anyone else sees the timebank its token belongs to.',
        tags,
        security: oauth(),
        querystring: z.strictObject(paginationQuery),
        response: { 200: page(timebankSchema), ...problems(...readProblems) },
      },
    },
    async (request) => {
      const principal = request.principal;
      return reads.listTimebanks({
        limit: request.query.limit ?? DEFAULT_PAGE_SIZE,
        cursor: request.query.cursor,
        onlyIds: principal.type === 'admin' ? undefined : [principal.timebankId],
      });
    },
  );

  app.get(
    '/v1/timebanks/:timebankId',
    {
      config: { etag: true },
      schema: {
        operationId: 'getTimebank',
        summary: 'Get a timebank',
        description: 'The timebank, its commons account and its settings: for its members, coordinators and partner clients, and platform admins.',
        tags,
        security: oauth(),
        params: timebankParams,
        response: { 200: timebankSchema, ...problems(...readProblems) },
      },
    },
    async (request) => {
      requireTimebankAccess(request.principal, request.params.timebankId);
      const timebank = await reads.findTimebank(request.params.timebankId);
      if (!timebank) {
        throw notFound('Timebank');
      }
      return timebank;
    },
  );

  app.patch(
    '/v1/timebanks/:timebankId',
    {
      config: { etag: true },
      schema: {
        operationId: 'updateTimebank',
        summary: 'Rename a timebank or change its settings (coordinator)',
        description: 'Coordinators only. New default limits apply to accounts opened afterwards. With If-Match, applies only while the timebank still has that ETag (412 otherwise).',
        tags,
        security: oauth(),
        params: timebankParams,
        headers: ifMatchHeaders,
        body: z.strictObject({
          name: singleLine(200).optional(),
          settings: settingsChangeSchema.optional(),
        }).meta({ id: 'TimebankChangeBody' }),
        response: { 200: timebankSchema, ...problems(...writeProblems, 412, 422) },
      },
    },
    async (request) => {
      requireCoordinator(request.principal, request.params.timebankId);
      return updateTimebank(database.db, request.params.timebankId, request.body, acting(request), clock(), ifMatchOf(request));
    },
  );
};
