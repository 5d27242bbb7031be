import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireCoordinator } from '../../domain/principal.js';
import {
  applyToJoin,
  approveApplication,
  declineApplication,
  findApplication,
  findJoinableTimebank,
  listApplications,
} from '../../use-cases/applications.js';
import { acting } from '../acting.js';
import { applicationLimiter } from '../application-limits.js';
import type { RouteOptions } from '../options.js';
import { DEFAULT_PAGE_SIZE, oauth, optionalIdempotencyHeaders, page, problems, readProblems, timebankParams, writeProblems } from '../schemas.js';
import {
  applicationBody,
  applicationParams,
  applicationReceipt,
  applicationSchema,
  applicationsQuery,
  declineBody,
  emptyBody,
  joinableTimebank,
  slugParams,
} from './applications-schemas.js';

/*
 * Joining a timebank (DESIGN.md section 8): the public join page's two calls, without a token,
 * and the coordinators' queue. Partner apps have no part in it: deciding who joins a community
 * is its coordinators' judgement, and a partner app with members:write adds members directly.
 */

export const applicationRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock, applicationMail }) => {
  const tags = ['applications'];
  const coordinatorOnly = 'Coordinators of the timebank and platform admins; partner clients are refused (403), whatever their scopes.';

  app.get(
    '/v1/joinable-timebanks/:slug',
    {
      schema: {
        operationId: 'getJoinableTimebank',
        summary: 'Find a timebank that takes applications, by its slug (no token)',
        description: 'For the public join page: the id, name and join policy of the timebank with this slug, when its joinPolicy is application or open. A closed timebank is 404, as an unknown slug is, so that closed timebanks cannot be found by guessing names.',
        tags,
        security: [{}],
        params: slugParams,
        response: { 200: joinableTimebank, ...problems(400, 404) },
      },
    },
    async (request) => findJoinableTimebank(database.db, request.params.slug),
  );

  app.post(
    '/v1/timebanks/:timebankId/applications',
    {
      // Unauthenticated: a small body, like the token endpoint's, and counted per address first.
      bodyLimit: 16_384,
      onRequest: applicationLimiter(app),
      schema: {
        operationId: 'applyToJoin',
        summary: 'Apply to join a timebank (no token)',
        description:
          'Anyone may apply to a timebank whose joinPolicy is application or open; a closed one answers 403 joining_closed. The answer is 202 with the application\'s id and status: open (the coordinators decide) or, in an open timebank, approved (the member exists, and logs in with the password given). An email that is already a member\'s gets exactly the same answer as any other (the password is hashed either way), so that nobody learns who belongs: the application is kept for the coordinators, flagged with duplicateOfMemberId, and is never approved. A second application with an email whose application is still open is 409 application_exists. At most 10 applications per client address every 10 minutes (429, with Retry-After). Body at most 16 KiB.',
        tags,
        security: [{}],
        params: timebankParams,
        body: applicationBody,
        response: { 202: applicationReceipt, ...problems(400, 403, 404, 409, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const receipt = await applyToJoin(database.db, request.params.timebankId, request.body, clock());
      reply.code(202);
      return receipt;
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/applications',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'listApplications',
        summary: 'List applications to join (coordinator)',
        description: `${coordinatorOnly} Oldest first; ?status=open is the queue. duplicateOfMemberId flags an application whose email a member had already. Paginated with limit and cursor.`,
        tags,
        security: oauth(),
        params: timebankParams,
        querystring: applicationsQuery,
        response: { 200: page(applicationSchema), ...problems(...readProblems) },
      },
    },
    async (request) => {
      const { timebankId } = request.params;
      requireCoordinator(request.principal, timebankId);
      return listApplications(database.db, timebankId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/applications/:applicationId',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'getApplication',
        summary: 'Get an application to join (coordinator)',
        description: coordinatorOnly,
        tags,
        security: oauth(),
        params: applicationParams,
        response: { 200: applicationSchema, ...problems(...readProblems) },
      },
    },
    async (request) => {
      const { timebankId, applicationId } = request.params;
      requireCoordinator(request.principal, timebankId);
      return findApplication(database.db, timebankId, applicationId);
    },
  );

  app.post(
    '/v1/timebanks/:timebankId/applications/:applicationId/approve',
    {
      onRequest: app.authenticate,
      config: { idempotency: 'optional' },
      schema: {
        operationId: 'approveApplication',
        summary: 'Approve an application: the member joins (coordinator)',
        description: `${coordinatorOnly} Creates the member (role member, kind person) and its account with the timebank's default limits, with the password the applicant chose, in the same transaction as the decision; the audit log records application.approved and member.created. An email a member has (a duplicate) is 409 email_taken naming that member in memberId, and nothing changes. A decided application is 409 application_not_open. With SMTP_URL set, the applicant is emailed.`,
        tags,
        security: oauth(),
        headers: optionalIdempotencyHeaders,
        params: applicationParams,
        body: emptyBody,
        response: { 200: applicationSchema, ...problems(...writeProblems, 409) },
      },
    },
    async (request) => {
      const { timebankId, applicationId } = request.params;
      requireCoordinator(request.principal, timebankId);
      return approveApplication(database.db, timebankId, applicationId, acting(request), clock(), applicationMail);
    },
  );

  app.post(
    '/v1/timebanks/:timebankId/applications/:applicationId/decline',
    {
      onRequest: app.authenticate,
      config: { idempotency: 'optional' },
      schema: {
        operationId: 'declineApplication',
        summary: 'Decline an application (coordinator)',
        description: `${coordinatorOnly} With an optional reason; the audit log records application.declined. A decided application is 409 application_not_open. With SMTP_URL set, the applicant is emailed, with the reason.`,
        tags,
        security: oauth(),
        headers: optionalIdempotencyHeaders,
        params: applicationParams,
        body: declineBody,
        response: { 200: applicationSchema, ...problems(...writeProblems, 409) },
      },
    },
    async (request) => {
      const { timebankId, applicationId } = request.params;
      requireCoordinator(request.principal, timebankId);
      return declineApplication(database.db, timebankId, applicationId, request.body?.reason, acting(request), clock(), applicationMail);
    },
  );
};
