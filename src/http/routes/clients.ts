import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireCoordinator } from '../../domain/principal.js';
import { createClient, getClient, revokeClient, rotateClientSecret, updateClient } from '../../use-cases/clients.js';
import { acting } from '../acting.js';
import { ifMatchHeaders, ifMatchOf } from '../etag.js';

// A client's tag ignores lastUsedAt, which every token it gets moves: a coordinator's edit must
// not fail because the partner app logged in meanwhile.
const clientEtag = { except: ['lastUsedAt'] } as const;
import type { RouteOptions } from '../options.js';
import {
  oauth,
  clientSchema,
  DEFAULT_PAGE_SIZE,
  id,
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

const clientParams = z.strictObject({ timebankId: id, clientId: id });
const scopes = z.array(scope).min(1).max(20);

export const clientRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, reads, clock }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['clients'];

  app.post(
    '/v1/timebanks/:timebankId/clients',
    {
      config: { location: '/v1/timebanks/:timebankId/clients/:id' },
      schema: {
        operationId: 'createClient',
        summary: 'Register a partner app (coordinator)',
        description: 'The client acts in this timebank only, within its scopes. Its secret is shown once.',
        tags,
        security: oauth(),
        params: timebankParams,
        body: z.strictObject({ name: singleLine(200), scopes }).meta({ id: 'ClientBody' }),
        response: { 201: createdClientSchema, ...problems(...writeProblems) },
      },
    },
    async (request, reply) => {
      requireCoordinator(request.principal, request.params.timebankId);
      reply.code(201);
      return createClient(database.db, request.params.timebankId, request.body, acting(request), clock());
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/clients',
    {
      schema: {
        operationId: 'listClients',
        summary: 'List partner apps (coordinator)',
        description: 'Revoked clients too, with their revokedAt.',
        tags,
        security: oauth(),
        params: timebankParams,
        querystring: z.strictObject(paginationQuery),
        response: { 200: page(clientSchema), ...problems(...readProblems) },
      },
    },
    async (request) => {
      requireCoordinator(request.principal, request.params.timebankId);
      return reads.listClients(request.params.timebankId, {
        limit: request.query.limit ?? DEFAULT_PAGE_SIZE,
        cursor: request.query.cursor,
      });
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/clients/:clientId',
    {
      config: { etag: clientEtag },
      schema: {
        operationId: 'getClient',
        summary: 'Get a partner app (coordinator)',
        description: 'Coordinators only. The secret is never shown again after creation or rotation.',
        tags,
        security: oauth(),
        params: clientParams,
        response: { 200: clientSchema, ...problems(...readProblems) },
      },
    },
    async (request) => {
      requireCoordinator(request.principal, request.params.timebankId);
      return getClient(database.db, request.params.timebankId, request.params.clientId);
    },
  );

  app.patch(
    '/v1/timebanks/:timebankId/clients/:clientId',
    {
      config: { etag: clientEtag },
      schema: {
        operationId: 'updateClient',
        summary: 'Rename a partner app or change its scopes (coordinator)',
        description: 'Coordinators only. Narrower scopes apply to the tokens it already holds from their next request. With If-Match, applies only while the client still has that ETag (412 otherwise).',
        tags,
        security: oauth(),
        params: clientParams,
        headers: ifMatchHeaders,
        body: z.strictObject({ name: singleLine(200).optional(), scopes: scopes.optional() }).meta({ id: 'ClientChangeBody' }),
        response: { 200: clientSchema, ...problems(...writeProblems, 412) },
      },
    },
    async (request) => {
      requireCoordinator(request.principal, request.params.timebankId);
      return updateClient(database.db, request.params.timebankId, request.params.clientId, request.body, acting(request), clock(), ifMatchOf(request));
    },
  );

  app.delete(
    '/v1/timebanks/:timebankId/clients/:clientId',
    {
      schema: {
        operationId: 'revokeClient',
        summary: 'Revoke a partner app (coordinator)',
        description: 'For good: it gets no new tokens, and the tokens it holds fail at their next request. It stays listed, with revokedAt.',
        tags,
        security: oauth(),
        params: clientParams,
        response: { 204: z.null().describe('Revoked'), ...problems(...readProblems) },
      },
    },
    async (request, reply) => {
      requireCoordinator(request.principal, request.params.timebankId);
      await revokeClient(database.db, request.params.timebankId, request.params.clientId, acting(request), clock());
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/timebanks/:timebankId/clients/:clientId/secret',
    {
      schema: {
        operationId: 'rotateClientSecret',
        summary: 'Rotate a partner app\'s secret (coordinator)',
        description: 'Returns the new secret, once. The old one keeps working for graceSeconds (default 0, at most 86,400), so that the partner can switch without an outage.',
        tags,
        security: oauth(),
        params: clientParams,
        body: z.strictObject({ graceSeconds: z.int().min(0).max(86_400).optional() }).meta({ id: 'SecretRotationBody' }),
        response: { 200: createdClientSchema, ...problems(...writeProblems) },
      },
    },
    async (request) => {
      const { timebankId, clientId } = request.params;
      requireCoordinator(request.principal, timebankId);
      return rotateClientSecret(database.db, timebankId, clientId, request.body.graceSeconds ?? 0, acting(request), clock());
    },
  );
};
