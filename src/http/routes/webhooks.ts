import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createWebhook, deleteWebhook, getWebhook, listTimebankWebhooks, pingWebhook, updateWebhook, webhookDeliveries } from '../../use-cases/webhooks.js';
import { acting } from '../acting.js';
import type { RouteOptions } from '../options.js';
import { oauth, problems, readProblems, timebankParams, writeProblems } from '../schemas.js';
import { createdWebhookSchema, deliveriesQuery, deliverySchema, pingSchema, webhookChange, webhookInput, webhookParams, webhookSchema } from './webhooks-schemas.js';

const access = 'Coordinators, or partner clients with webhooks:write (which see and manage only their own).';

export const webhookRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock, webhooks: settings }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['webhooks'];
  const db = database.db;

  app.post(
    '/v1/timebanks/:timebankId/webhooks',
    {
      config: { location: '/v1/timebanks/:timebankId/webhooks/:id' },
      schema: {
        operationId: 'createWebhook',
        summary: 'Subscribe an endpoint to events (coordinator, or partner with webhooks:write)',
        description: `${access} The endpoint receives the events after this moment, each signed as the Standard Webhooks specification says, with the secret this answer shows once. A partner client subscribes only to the types its scopes read (transfer and account events need ledger:read, member events members:read).`,
        tags,
        security: oauth('webhooks:write'),
        params: timebankParams,
        body: webhookInput,
        response: { 201: createdWebhookSchema, ...problems(...writeProblems) },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return createWebhook(db, acting(request), request.params.timebankId, request.body, settings, clock());
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/webhooks',
    {
      schema: {
        operationId: 'listWebhooks',
        summary: 'List the subscribed endpoints',
        description: access,
        tags,
        security: oauth('webhooks:write'),
        params: timebankParams,
        response: { 200: z.object({ items: z.array(webhookSchema) }).meta({ id: 'WebhookList' }), ...problems(...readProblems) },
      },
    },
    async (request) => listTimebankWebhooks(db, request.principal, request.params.timebankId),
  );

  app.get(
    '/v1/timebanks/:timebankId/webhooks/:webhookId',
    {
      schema: {
        operationId: 'getWebhook',
        summary: 'Get a subscribed endpoint',
        description: `${access} The secret is never shown again.`,
        tags,
        security: oauth('webhooks:write'),
        params: webhookParams,
        response: { 200: webhookSchema, ...problems(...readProblems) },
      },
    },
    async (request) => getWebhook(db, request.principal, request.params.timebankId, request.params.webhookId),
  );

  app.patch(
    '/v1/timebanks/:timebankId/webhooks/:webhookId',
    {
      schema: {
        operationId: 'updateWebhook',
        summary: 'Change an endpoint, pause it, or bring a disabled one back',
        description: `${access} \`status: active\` on a disabled endpoint tries its first undelivered event at once.`,
        tags,
        security: oauth('webhooks:write'),
        params: webhookParams,
        body: webhookChange,
        response: { 200: webhookSchema, ...problems(...writeProblems) },
      },
    },
    async (request) => updateWebhook(db, acting(request), request.params.timebankId, request.params.webhookId, request.body, settings, clock()),
  );

  app.delete(
    '/v1/timebanks/:timebankId/webhooks/:webhookId',
    {
      schema: {
        operationId: 'deleteWebhook',
        summary: 'Unsubscribe an endpoint',
        description: `${access} Its delivery log goes with it.`,
        tags,
        security: oauth('webhooks:write'),
        params: webhookParams,
        response: { 204: z.null().describe('Unsubscribed'), ...problems(...readProblems) },
      },
    },
    async (request, reply) => {
      await deleteWebhook(db, acting(request), request.params.timebankId, request.params.webhookId, clock());
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/webhooks/:webhookId/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: 'The delivery log of an endpoint, latest event first',
        description: `${access} Each event sent to it: attempts, the last answer, and when it is tried again.`,
        tags,
        security: oauth('webhooks:write'),
        params: webhookParams,
        querystring: deliveriesQuery,
        response: { 200: z.object({ items: z.array(deliverySchema) }).meta({ id: 'WebhookDeliveryPage' }), ...problems(...readProblems) },
      },
    },
    async (request) =>
      webhookDeliveries(db, request.principal, request.params.timebankId, request.params.webhookId, { limit: request.query.limit ?? 50, before: request.query.before }),
  );

  app.post(
    '/v1/timebanks/:timebankId/webhooks/:webhookId/test',
    {
      schema: {
        operationId: 'testWebhook',
        summary: 'Send a signed test event now',
        description: `${access} A \`webhook.test\` event, outside the feed and the delivery log, sent at once; the answer says how the endpoint responded.`,
        tags,
        security: oauth('webhooks:write'),
        params: webhookParams,
        response: { 200: pingSchema, ...problems(...readProblems) },
      },
    },
    async (request) => pingWebhook(db, request.principal, request.params.timebankId, request.params.webhookId, settings, clock()),
  );
};
