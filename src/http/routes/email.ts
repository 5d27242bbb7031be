import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { unsubscribe } from '../../use-cases/mailer.js';
import type { RouteOptions } from '../options.js';
import { problems } from '../schemas.js';

const query = z.strictObject({ token: z.string().min(1).max(300).describe('The token of the link in the email') });
const answer = z.object({ unsubscribed: z.enum(['claims', 'digest']).describe('The kind of email turned off') }).meta({ id: 'Unsubscribed' });

/** The link at the foot of every email: it turns that kind of email off, without a login (RFC 8058 one-click too). */
export const emailRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, mailKey }) => {
  for (const method of ['get', 'post'] as const) {
    app[method](
      '/v1/email/unsubscribe',
      {
        schema: {
          operationId: method === 'get' ? 'unsubscribeEmail' : 'unsubscribeEmailOneClick',
          summary: method === 'get' ? 'Turn off a kind of email, from the link in it' : 'Turn off a kind of email in one click (RFC 8058, List-Unsubscribe-Post)',
          description: 'The token in the link names the member and the kind of email (claims, or the weekly digest); it is signed, so it needs no login. The member can turn it on again in its settings (PATCH .../members/{memberId} with notifications).',
          tags: ['members'],
          security: [],
          querystring: query,
          response: { 200: answer, ...problems(400, 404) },
        },
      },
      async (request) => unsubscribe(database.db, mailKey, request.query.token),
    );
  }
};
