import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.js';
import { checkMemberChange, checkMemberCreation } from '../../domain/member.js';
import {
  requireCoordinatorOrScope,
  requireScope,
  requireSelfOrCoordinator,
  requireSelfOrCoordinatorOrScope,
  requireTimebankAccess,
} from '../../domain/principal.js';
import { createMember, endAllSessions, updateMember } from '../../use-cases/members.js';
import { acting } from '../acting.js';
import { ifMatchHeaders, ifMatchOf } from '../etag.js';
import type { RouteOptions } from '../options.js';
import { contactSharingChange, directoryEntry, phone } from './members-schemas.js';
import {
  oauth,
  DEFAULT_PAGE_SIZE,
  optionalIdempotencyHeaders,
  email,
  externalId,
  id,
  memberSchema,
  metadata,
  page,
  paginationQuery,
  password,
  problems,
  readProblems,
  singleLine,
  timebankParams,
  writeProblems,
} from '../schemas.js';

const kind = z.enum(['person', 'organisation']);
const role = z.enum(['member', 'coordinator']);
const status = z.enum(['active', 'suspended', 'left']);
const memberParams = z.strictObject({ timebankId: id, memberId: id });
const memberExternalId = externalId.describe('A partner app\'s own id for the member, 1 to 255 characters: unique in the timebank (409 external_id_taken)');

export const memberRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, reads, clock }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['members'];

  app.post(
    '/v1/timebanks/:timebankId/members',
    {
      config: { idempotency: 'optional', location: '/v1/timebanks/:timebankId/members/:id' },
      schema: {
        operationId: 'createMember',
        summary: 'Add a member, with its account (coordinator, or client with members:write)',
        description: 'Only a coordinator may add a coordinator. Without a password the member cannot log in until one is set.',
        tags,
        security: oauth('members:write'),
        headers: optionalIdempotencyHeaders,
        params: timebankParams,
        body: z.strictObject({
          displayName: singleLine(200),
          email,
          password: password.optional(),
          kind: kind.optional().describe('Default person'),
          role: role.optional().describe('Default member'),
          externalId: memberExternalId.optional(),
          metadata: metadata.optional(),
        }).meta({ id: 'MemberBody' }),
        response: { 201: memberSchema, ...problems(...writeProblems, 409) },
      },
    },
    async (request, reply) => {
      const { timebankId } = request.params;
      requireCoordinatorOrScope(request.principal, timebankId, 'members:write');
      checkMemberCreation(request.principal, timebankId, request.body.role ?? 'member');
      reply.code(201);
      return createMember(database.db, timebankId, request.body, clock(), acting(request));
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/members',
    {
      schema: {
        operationId: 'listMembers',
        summary: 'List members (coordinator, or client with members:read)',
        description: 'Coordinators, and partner clients with members:read. Ordered by creation; paginated with limit and cursor. externalId finds the member a partner app gave that id, and email the member with that email (compared as stored: trimmed, NFKC, lower case); each gives 0 or 1 item, and only this timebank\'s. q finds members whose name or email contains it, case-insensitive.',
        tags,
        security: oauth('members:read'),
        params: timebankParams,
        querystring: z.strictObject({
          ...paginationQuery,
          status: status.optional(),
          role: role.optional(),
          externalId: externalId.optional().describe('Only the member with this externalId (exact match)'),
          email: singleLine(254).optional().describe('Only the member with this email (case-insensitive)'),
          q: singleLine(200).optional().describe('Only members whose name or email contains this, case-insensitive'),
        }),
        response: { 200: page(memberSchema), ...problems(...readProblems) },
      },
    },
    async (request) => {
      const { timebankId } = request.params;
      requireCoordinatorOrScope(request.principal, timebankId, 'members:read');
      return reads.listMembers(timebankId, {
        ...request.query,
        limit: request.query.limit ?? DEFAULT_PAGE_SIZE,
      });
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/directory',
    {
      schema: {
        operationId: 'listDirectory',
        summary: 'The member directory: active members\' names and accounts, to find whom to pay or record hours with',
        description: 'Any member of the timebank, or a client with members:read. A member\'s email and phone appear only when it shares them (contactSharing on the member: its own choice, off by default); nothing else of its record. q matches part of the name, case-insensitive.',
        tags,
        security: oauth('members:read'),
        params: timebankParams,
        querystring: z.strictObject({ ...paginationQuery, q: singleLine(200).optional() }),
        response: { 200: page(directoryEntry), ...problems(...readProblems) },
      },
    },
    async (request) => {
      const { timebankId } = request.params;
      requireTimebankAccess(request.principal, timebankId);
      if (request.principal.type === 'client') requireScope(request.principal, 'members:read');
      return reads.listDirectory(timebankId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/members/:memberId',
    {
      config: { etag: true },
      schema: {
        operationId: 'getMember',
        summary: 'Get a member (the member itself, coordinator, or client with members:read)',
        description: 'The member itself, its coordinators, and partner clients with members:read.',
        tags,
        security: oauth('members:read'),
        params: memberParams,
        response: { 200: memberSchema, ...problems(...readProblems) },
      },
    },
    async (request) => {
      const { timebankId, memberId } = request.params;
      requireSelfOrCoordinatorOrScope(request.principal, timebankId, memberId, 'members:read');
      return (await reads.findMember(timebankId, memberId)) ?? Promise.reject(notFound('Member'));
    },
  );

  app.patch(
    '/v1/timebanks/:timebankId/members/:memberId',
    {
      config: { etag: true },
      schema: {
        operationId: 'updateMember',
        summary: 'Change a member (the member itself, coordinator, or client with members:write)',
        description:
          'A member may change its own displayName, email, password, kind, phone, notifications and contactSharing; changing one\'s own email or password needs currentPassword, and a new password ends the member\'s other sessions. A client with members:write may change anything but role, password, notifications and contactSharing (which emails a person gets and which contact details other members see are that person\'s choices: a partner app may record a phone, not share it), and never a coordinator\'s record; a coordinator anything (a password set by a coordinator is a reset). A change of role or status, or a reset, ends every session of the member. Members are never deleted: set status to left. With If-Match, applies only while the member still has that ETag (412 otherwise).',
        tags,
        security: oauth('members:write'),
        params: memberParams,
        headers: ifMatchHeaders,
        body: z.strictObject({
          displayName: singleLine(200).optional(),
          email: email.optional(),
          password: password.optional(),
          currentPassword: z.string().min(1).max(200).optional().describe('Required when members change their own email or password'),
          kind: kind.optional(),
          role: role.optional(),
          status: status.optional(),
          externalId: memberExternalId.nullable().optional().describe('Coordinators and clients with members:write only: a partner app\'s own id for the member, 1 to 255 characters, unique in the timebank (409 external_id_taken); null removes it'),
          metadata: metadata.optional().describe('Coordinators and clients with members:write only: replaces the metadata whole ({} removes it); at most 20 keys of 1 to 40 characters, values of at most 500 characters'),
          notifications: z
            .strictObject({ claims: z.boolean().optional(), digest: z.boolean().optional() })
            .optional()
            .describe('The member itself or a coordinator: which emails it gets (each given kind is set, the other kept)'),
          phone: phone.nullable().optional().describe('A contact phone number (null removes it): an optional leading +, then digits, spaces and ( ) - . /; 3 to 40 characters with at least 3 digits. Other members see it only when contactSharing.phone is true'),
          contactSharing: contactSharingChange.optional(),
          federationVisible: z.boolean().optional().describe('Be visible to linked timebanks (display name and open listings) and payable from them: the member\'s own choice, or a coordinator\'s, never a partner app\'s'),
        }).meta({ id: 'MemberChangeBody' }),
        response: { 200: memberSchema, ...problems(...writeProblems, 409, 412) },
      },
    },
    async (request) => {
      const { timebankId, memberId } = request.params;
      requireSelfOrCoordinatorOrScope(request.principal, timebankId, memberId, 'members:write');
      const { currentPassword: _proof, ...change } = request.body;
      checkMemberChange(request.principal, timebankId, change);
      return updateMember(database.db, timebankId, memberId, request.body, acting(request), clock(), ifMatchOf(request));
    },
  );

  app.post(
    '/v1/timebanks/:timebankId/members/:memberId/sessions/revoke',
    {
      schema: {
        operationId: 'revokeMemberSessions',
        summary: 'Log out everywhere: end every session of a member (the member itself, or a coordinator)',
        description: 'Every access and refresh token of the member stops working at its next request.',
        tags,
        security: oauth(),
        params: memberParams,
        response: { 204: z.null().describe('Every session ended'), ...problems(...readProblems) },
      },
    },
    async (request, reply) => {
      const { timebankId, memberId } = request.params;
      requireSelfOrCoordinator(request.principal, timebankId, memberId);
      await endAllSessions(database.db, timebankId, memberId, acting(request), clock());
      return reply.code(204).send(null);
    },
  );
};
