import formBody from '@fastify/formbody';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readUnsubscribeToken, unsubscribe } from '../../use-cases/mailer.js';
import type { RouteOptions } from '../options.js';
import { problems } from '../schemas.js';

const query = z.strictObject({ token: z.string().min(1).max(300).describe('The token of the link in the email') });
const answer = z.object({ unsubscribed: z.enum(['claims', 'digest']).describe('The kind of email turned off') }).meta({ id: 'Unsubscribed' });
const what = { claims: 'emails about claims waiting for you', digest: 'the weekly digest' } as const;

const escape = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
const page = (body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Emails</title></head><body><main>${body}</main></body></html>`;

/**
 * The link at the foot of every email. Opening it asks to confirm (a GET changes nothing, so
 * that link scanners unsubscribe no one); confirming, or a mail client's one-click POST
 * (RFC 8058, a form body), turns that kind of email off. The signed token needs no login.
 */
export const emailRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, mailKey }) => {
  await app.register(formBody, { bodyLimit: 16 * 1024 });
  const description = 'The token in the link names the member and the kind of email (claims, or the weekly digest); it is signed, so it needs no login. The member can turn it on again in its settings (PATCH .../members/{memberId} with notifications).';

  app.get(
    '/v1/email/unsubscribe',
    {
      schema: {
        operationId: 'confirmUnsubscribe',
        summary: 'The page behind the link in an email: asks to confirm turning that kind of email off',
        description: `${description} Changes nothing by itself.`,
        tags: ['members'],
        security: [],
        querystring: query,
        response: { 200: { description: 'An HTML page with the button that confirms', content: { 'text/html': { schema: z.string() } } }, ...problems(400, 404) },
      },
    },
    async (request, reply) => {
      const { kind } = readUnsubscribeToken(mailKey, request.query.token);
      const action = `/v1/email/unsubscribe?token=${encodeURIComponent(request.query.token)}`;
      return reply.type('text/html; charset=utf-8').send(page(`<p>Stop ${what[kind]}?</p><form method="post" action="${escape(action)}"><button type="submit">Stop them</button></form>`));
    },
  );

  app.post(
    '/v1/email/unsubscribe',
    {
      schema: {
        operationId: 'unsubscribeEmail',
        summary: 'Turn off a kind of email: the confirmation, or a mail client\'s one-click (RFC 8058)',
        description: `${description} Any body is ignored (a one-click POST sends List-Unsubscribe=One-Click as a form).`,
        tags: ['members'],
        security: [],
        querystring: query,
        body: z.unknown().optional(),
        response: { 200: answer, ...problems(400, 404) },
      },
    },
    async (request) => unsubscribe(database.db, mailKey, request.query.token),
  );
};
