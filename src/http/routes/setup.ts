import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { completeSetup } from '../../use-cases/setup.js';
import { ids, memberExample, timebankExample } from '../examples.js';
import type { RouteOptions } from '../options.js';
import { email, memberSchema, password, problems, singleLine, timebankSchema, timebankSlug } from '../schemas.js';
import { tokenResponse } from './auth-schemas.js';

const setupBody = z
  .strictObject({
    token: z.string().min(1).max(200).describe('The token of the setup link the service printed at startup'),
    timebank: z.strictObject({
      name: singleLine(200),
      slug: timebankSlug.optional().describe('Derived from the name when absent'),
    }),
    coordinator: z.strictObject({ displayName: singleLine(200), email, password }),
  })
  .meta({
    id: 'SetupInput',
    examples: [
      {
        token: 'kq3L0c1mZr7TtJxN2aF5sLwG9hUoD4iB6cE8qAYk3vQ',
        timebank: { name: 'Riverside Time Bank', slug: 'riverside' },
        coordinator: { displayName: 'Cora Coordinator', email: 'cora@riverside.example', password: 'a-long-enough-password' },
      },
    ],
  });

const setupAnswer = tokenResponse
  .extend({ timebank: timebankSchema, coordinator: memberSchema })
  .meta({
    id: 'SetupResult',
    examples: [
      {
        access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJtZW1iZXIifQ.c2lnbmF0dXJl',
        token_type: 'Bearer',
        expires_in: 900,
        refresh_token: `${ids.cora}.0.Yk3vQ0e8pXc1mZr7TtJxN2aF5sLwG9hUoD4iB6cE8qA`,
        timebank: timebankExample,
        coordinator: { ...memberExample, role: 'coordinator' },
      },
    ],
  });

/** First run (DESIGN.md section 9): the setup link's form posts here, with no access token. */
export const setupRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock, sessions, dataDir }) => {
  app.post(
    '/v1/setup',
    {
      bodyLimit: 16_384,
      schema: {
        operationId: 'completeSetup',
        summary: 'First run: create the first timebank and its coordinator',
        description:
          'Open only while the service has no timebank and no platform admin, with the token of the setup link the service logs at startup (message "setup link"). Creates the timebank (with its commons account and default categories) and its first coordinator, and answers with that coordinator\'s tokens, as the password grant would. A wrong token is 401 setup_token_invalid; once the setup is done (or a timebank exists), 410 setup_done.',
        tags: ['auth'],
        security: [{}],
        body: setupBody,
        response: { 201: setupAnswer, ...problems(400, 401, 409, 410, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const done = await completeSetup(database.db, dataDir, request.body, sessions, clock());
      const { accessToken, expiresIn } = app.issueAccessToken(done.session.principal, done.session.tokenVersion);
      reply.code(201).header('Cache-Control', 'no-store');
      return {
        access_token: accessToken,
        token_type: 'Bearer' as const,
        expires_in: expiresIn,
        refresh_token: done.session.refreshToken,
        timebank: done.timebank,
        coordinator: done.coordinator,
      };
    },
  );
};
