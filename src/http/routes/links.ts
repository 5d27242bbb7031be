import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireCoordinator, requireCoordinatorOrScope, requireScope, requireTimebankAccess } from '../../domain/principal.js';
import { notifyPeerStatus } from '../../use-cases/federation/remote-links.js';
import { linkedDirectory } from '../../use-cases/linked-directory.js';
import { acceptLinkProposal, changeLinkSide, getLink, getLinks, proposeLinkWith, reconcileLink } from '../../use-cases/links.js';
import { acting } from '../acting.js';
import type { RouteOptions } from '../options.js';
import { oauth, problems, readProblems, timebankParams, writeProblems } from '../schemas.js';
import { linkChange, linkedDirectorySchema, linkParams, linkProposal, linkSchema, reconciliationSchema } from './links-schemas.js';

/** Links between timebanks (DESIGN.md section 7): coordinators make them; members and partners read them. */
export const linkRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock, federation }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['links'];
  const db = database.db;

  app.post(
    '/v1/timebanks/:timebankId/links',
    {
      config: { location: '/v1/timebanks/:timebankId/links/:id' },
      schema: {
        operationId: 'proposeLink',
        summary: 'Propose a link with another timebank, of this deployment or of another (coordinator)',
        description:
          'Both sides are written as proposed, each with its own id and clearing account; the peer\'s limits are these seen from there. The peer\'s coordinators accept it (POST .../links/{linkId}/accept on their side). 409 link_exists when the two are linked already or one has proposed it. With peerUrl, the timebank is in the deployment there: this side is written once that deployment has written its own, from a signed proposal; 502 peer_unreachable when it does not answer, 422 peer_refused (with its problem in peerProblem) when it refuses, and then nothing is written here.',
        tags,
        security: oauth(),
        params: timebankParams,
        body: linkProposal,
        response: { 201: linkSchema, ...problems(...writeProblems, 409, 422, 502) },
      },
    },
    async (request, reply) => {
      requireCoordinator(request.principal, request.params.timebankId);
      reply.code(201);
      return proposeLinkWith(db, acting(request), request.params.timebankId, request.body, clock(), federation);
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/links',
    {
      schema: {
        operationId: 'listLinks',
        summary: "The timebank's links, with their balances and limits",
        description: 'Members and coordinators of the timebank, and partners with ledger:read.',
        tags,
        security: oauth('ledger:read'),
        params: timebankParams,
        response: { 200: z.object({ items: z.array(linkSchema) }).meta({ id: 'LinkList' }), ...problems(...readProblems) },
      },
    },
    async (request) => {
      readAccess(request.principal, request.params.timebankId, 'ledger:read');
      return { items: await getLinks(db, request.params.timebankId) };
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/links/:linkId',
    {
      schema: {
        operationId: 'getLink',
        summary: 'Get a link',
        description: 'Members and coordinators of the timebank, and partners with ledger:read.',
        tags,
        security: oauth('ledger:read'),
        params: linkParams,
        response: { 200: linkSchema, ...problems(...readProblems) },
      },
    },
    async (request) => {
      readAccess(request.principal, request.params.timebankId, 'ledger:read');
      return getLink(db, request.params.timebankId, request.params.linkId);
    },
  );

  app.post(
    '/v1/timebanks/:timebankId/links/:linkId/accept',
    {
      schema: {
        operationId: 'acceptLink',
        summary: "Accept the peer's proposal (coordinator of the side that did not propose)",
        description: 'Both sides become active. 409 link_not_proposed when it is active or suspended already; 403 on the side that proposed it. With a peer in another deployment, the acceptance is sent to it, signed, and this side becomes active once it has confirmed; 502 peer_unreachable or 422 peer_refused otherwise, and this side stays proposed.',
        tags,
        security: oauth(),
        params: linkParams,
        body: z.strictObject({}).nullish(),
        response: { 200: linkSchema, ...problems(...writeProblems, 409, 422, 502) },
      },
    },
    async (request) => {
      requireCoordinator(request.principal, request.params.timebankId);
      return acceptLinkProposal(db, acting(request), request.params.timebankId, request.params.linkId, clock(), federation);
    },
  );

  app.patch(
    '/v1/timebanks/:timebankId/links/:linkId',
    {
      schema: {
        operationId: 'updateLink',
        summary: "Change this side's limits, or suspend or reactivate the link (coordinator)",
        description:
          "Each side sets its own limits: its clearing account's cap is maxOwedByUsMinutes and its floor -maxOwedToUsMinutes, checked by every cross transfer. A tighter limit that what the link owes (with pending transfers) already breaks is 422 limit_breaks_balance. A suspended side stops cross transfers both ways; pending ones can still be rejected or expire. A new status is sent, signed, to a peer in another deployment, which keeps it as its peerStatus; the change stands here even when the peer cannot be told.",
        tags,
        security: oauth(),
        params: linkParams,
        body: linkChange,
        response: { 200: linkSchema, ...problems(...writeProblems, 422) },
      },
    },
    async (request) => {
      requireCoordinator(request.principal, request.params.timebankId);
      const tellPeer = (link: Parameters<typeof notifyPeerStatus>[1]) =>
        notifyPeerStatus(federation, link, clock()).catch((err: unknown) => request.log.warn({ err, linkId: link.id }, 'the linked deployment could not be told of the status change'));
      return changeLinkSide(db, acting(request), request.params.timebankId, request.params.linkId, request.body, clock(), tellPeer);
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/links/:linkId/reconcile',
    {
      schema: {
        operationId: 'reconcileLink',
        summary: "Both sides' view of the link's balance (coordinator, or partner with ledger:read)",
        description: 'Read in one snapshot; agree is true when the two clearing balances are exact opposites, as they always must be. A peer in another deployment is asked for its balance (signed); when it cannot be, peerBalanceMinutes is null and agree false.',
        tags,
        security: oauth('ledger:read'),
        params: linkParams,
        response: { 200: reconciliationSchema, ...problems(...readProblems) },
      },
    },
    async (request) => {
      requireCoordinatorOrScope(request.principal, request.params.timebankId, 'ledger:read');
      return reconcileLink(db, request.params.timebankId, request.params.linkId, federation, clock());
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/links/:linkId/directory',
    {
      schema: {
        operationId: 'getLinkedDirectory',
        summary: "The linked timebank's members who chose to be visible, and their open listings",
        description:
          "Only members with federationVisible: a display name and an account id to pay (payee { linkId, accountId }), and their open, unexpired offers and requests (with their category's name, tags, whether they can happen remotely and weekly hours; never a location), all marked remote. Members and coordinators of this timebank, and partners with members:read. 422 link_not_active unless both sides are active. With a timebank of another deployment, that deployment is asked for its directory (signed): 502 peer_unreachable when it cannot be reached, 422 peer_refused (its problem in peerProblem) when it refuses.",
        tags,
        security: oauth('members:read'),
        params: linkParams,
        response: { 200: linkedDirectorySchema, ...problems(...readProblems, 422, 502) },
      },
    },
    async (request) => {
      readAccess(request.principal, request.params.timebankId, 'members:read');
      return linkedDirectory(db, request.params.timebankId, request.params.linkId, clock(), federation);
    },
  );
};

/** Anyone of the timebank; a partner client with the scope. */
function readAccess(principal: Parameters<typeof requireTimebankAccess>[0], timebankId: string, scope: 'ledger:read' | 'members:read'): void {
  requireTimebankAccess(principal, timebankId);
  if (principal.type === 'client') requireScope(principal, scope);
}
