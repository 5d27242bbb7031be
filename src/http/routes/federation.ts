import { PassThrough } from 'node:stream';
import { errorCodes, type FastifyReply, type FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Rejection } from '../../domain/errors.js';
import { DECISION_HEADER, federationPaths } from '../../domain/federation.js';
import { receiveCommit, receivePrepare } from '../../use-cases/federation/received-transfers.js';
import { directoryForPeer } from '../../use-cases/linked-directory.js';
import { balanceForPeer, receiveAcceptance, receivePeerStatus, receiveProposal, type ProposalSender } from '../../use-cases/federation/remote-links.js';
import { SIGNATURE_HEADER, sha256 } from '../../use-cases/federation/signing.js';
import { verifyLinkMessage, verifyProposal, type Received } from '../../use-cases/federation/verify.js';
import type { WriteResult } from '../../use-cases/ledger-shell.js';
import type { RouteOptions } from '../options.js';
import { PROBLEM_CONTENT_TYPE, problemFromRejection } from '../errors.js';
import { problems } from '../schemas.js';
import {
  acceptanceSchema,
  balanceSchema,
  commitSchema,
  federationTransferParams,
  legAnswerSchema,
  peerDirectorySchema,
  prepareSchema,
  federationKeySchema,
  federationLinkParams,
  peerStatusSchema,
  proposalAnswerSchema,
  remoteProposalSchema,
  sideStatusSchema,
  signatureHeaders,
} from './federation-schemas.js';

/*
 * What one deployment asks another about the links between their timebanks (docs/federation.md,
 * "Across deployments"). No access token: each request is signed by the sending deployment,
 * and verified before its handler runs; a request refused changes nothing.
 */

/** Federation messages are small: a larger body is refused before it is read further. */
const BODY_LIMIT = 16 * 1024;

type LinkMessage = Awaited<ReturnType<typeof verifyLinkMessage>>;

const SIGNED = 'Signed by the sending deployment (Federation-Signature header): 401 signature_invalid for a signature that does not verify or was made for another request, 400 timestamp_out_of_range for one made more than 5 minutes away from this clock, 409 nonce_replayed for a request received already.';

/** A PREPARE's answer; a refusal here was decided and kept (ledger-shell.ts), which the header tells the sender. */
function sendOutcome(reply: FastifyReply, result: WriteResult) {
  if (result.statusCode >= 400) reply.type(PROBLEM_CONTENT_TYPE).header(DECISION_HEADER, 'refused');
  return reply.code(result.statusCode).send(result.body);
}

/** A refusal of a PREPARE, kept as its answer for the message repeated. */
function renderRejection(rejection: Rejection) {
  const problem = problemFromRejection(rejection);
  return { statusCode: problem.status, body: problem };
}

export const federationRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock, federation }) => {
  const db = database.db;
  const tags = ['federation'];
  const digests = new WeakMap<FastifyRequest, string>();
  const links = new WeakMap<FastifyRequest, LinkMessage>();
  const senders = new WeakMap<FastifyRequest, ProposalSender>();

  // The signature covers the body's bytes as sent: they are hashed before the JSON is parsed.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      size += (chunk as Buffer).length;
      if (size > BODY_LIMIT) throw new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    digests.set(request, sha256(body));
    const replay = new PassThrough();
    replay.end(body);
    return replay;
  });

  const received = (request: FastifyRequest): Received => ({
    signature: request.headers[SIGNATURE_HEADER] as string | undefined,
    method: request.method,
    path: request.url,
    bodySha256: digests.get(request) ?? sha256(''),
  });
  const verifyOnLink = async (request: FastifyRequest) => {
    links.set(request, await verifyLinkMessage(db, received(request), (request.params as { linkId: string }).linkId, clock()));
  };

  app.get(
    federationPaths.key,
    {
      schema: {
        operationId: 'getFederationKey',
        summary: "This deployment's public key, which verifies the federation requests it sends",
        description: 'Open to anyone. A deployment receiving a link proposal reads the proposer\'s key here, and refuses a proposal signed with any other.',
        tags,
        security: [],
        response: { 200: federationKeySchema },
      },
    },
    async () => ({ keyId: federation.key.keyId, publicKeyJwk: federation.key.publicJwk }),
  );

  app.post(
    federationPaths.links,
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        operationId: 'receiveLinkProposal',
        summary: 'A link proposal from a timebank of another deployment',
        description: `${SIGNED} The proposal is verified with the key it carries, which must be the key the sender publishes at its URL (GET /v1/federation/key there). The named timebank's side is written as proposed, and its coordinators accept it. 404 when there is no such timebank here; 409 link_exists when the two timebanks are linked already.`,
        tags,
        security: [],
        headers: signatureHeaders,
        body: remoteProposalSchema,
        response: { 201: proposalAnswerSchema, ...problems(400, 401, 404, 409, 413, 415) },
      },
      preHandler: async (request) => {
        senders.set(request, await verifyProposal(db, federation, received(request), request.body.publicKeyJwk, clock()));
      },
    },
    async (request, reply) => {
      reply.code(201);
      return receiveProposal(db, federation, senders.get(request)!, request.body, clock());
    },
  );

  app.post(
    '/v1/federation/links/:linkId/accept',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        operationId: 'receiveLinkAcceptance',
        summary: "The peer accepted this side's proposal",
        description: `${SIGNED} Verified with the key kept for the link's peer. This side becomes active; an acceptance repeated is answered the same. 404 for a link this deployment does not have with the sender.`,
        tags,
        security: [],
        headers: signatureHeaders,
        params: federationLinkParams,
        body: acceptanceSchema,
        response: { 200: sideStatusSchema, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
      preHandler: verifyOnLink,
    },
    async (request) => receiveAcceptance(db, links.get(request)!, request.body.linkId, clock()),
  );

  app.post(
    '/v1/federation/links/:linkId/status',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        operationId: 'receiveLinkStatus',
        summary: "The peer's side was suspended or made active again",
        description: `${SIGNED} Kept as this side's peerStatus; this side's own status and limits do not change. Answers this side's status.`,
        tags,
        security: [],
        headers: signatureHeaders,
        params: federationLinkParams,
        body: peerStatusSchema,
        response: { 200: sideStatusSchema, ...problems(400, 401, 404, 409, 413, 415) },
      },
      preHandler: verifyOnLink,
    },
    async (request) => receivePeerStatus(db, links.get(request)!, request.body, clock()),
  );

  app.get(
    '/v1/federation/links/:linkId/balance',
    {
      schema: {
        operationId: 'getLinkBalanceForPeer',
        summary: "This side's clearing balance, for the peer's reconciliation",
        description: `${SIGNED} The two sides' balances must be exact opposites.`,
        tags,
        security: [],
        headers: signatureHeaders,
        params: federationLinkParams,
        response: { 200: balanceSchema, ...problems(400, 401, 404, 409) },
      },
      preHandler: verifyOnLink,
    },
    async (request) => balanceForPeer(db, links.get(request)!),
  );

  app.post(
    '/v1/federation/links/:linkId/transfers',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        operationId: 'prepareTransferForPeer',
        summary: 'PREPARE: the payer side asks this side to reserve its leg of a cross transfer',
        description: `${SIGNED} Writes this side's leg (the link's clearing account to the payee) pending, holding its room until the deadline, and answers prepared; answered from the leg when it exists already (a message repeated), and cancelled when the deadline has passed. Refusals change nothing: 404 for a payee who is not a visible active member, 422 link_not_active or link_limit_reached, 422 transfer_refused when the payee's account refuses.`,
        tags,
        security: [],
        headers: signatureHeaders,
        params: federationLinkParams,
        body: prepareSchema,
        response: { 200: legAnswerSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
      },
      preHandler: verifyOnLink,
    },
    async (request, reply) => sendOutcome(reply, await receivePrepare(db, links.get(request)!, request.body, renderRejection, clock())),
  );

  app.post(
    '/v1/federation/links/:linkId/transfers/:transferId/commit',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        operationId: 'commitTransferForPeer',
        summary: 'COMMIT: the payer side asks this side to post its prepared leg',
        description: `${SIGNED} Posts the leg prepared for this transfer if its deadline has not passed (committed), else cancels it (cancelled); a leg that ended already is answered as it ended. 404 when no leg was prepared for this transfer on this link.`,
        tags,
        security: [],
        headers: signatureHeaders,
        params: federationTransferParams,
        body: commitSchema,
        response: { 200: legAnswerSchema, ...problems(400, 401, 404, 409, 413, 415) },
      },
      preHandler: verifyOnLink,
    },
    async (request) => receiveCommit(db, links.get(request)!, { linkId: request.body.linkId, transferId: request.params.transferId }, clock()),
  );

  app.get(
    '/v1/federation/links/:linkId/directory',
    {
      schema: {
        operationId: 'getLinkedDirectoryForPeer',
        summary: "This side's visible members and their open listings, for the peer's members and matching",
        description: `${SIGNED} What GET .../links/{linkId}/directory shows of this side in this deployment, in the same shape: members who chose to be visible (display name and account), and their open, unexpired listings with their category's name, tags, whether they can happen remotely and weekly hours; never a location or an email. 422 link_not_active unless both sides are active.`,
        tags,
        security: [],
        headers: signatureHeaders,
        params: federationLinkParams,
        response: { 200: peerDirectorySchema, ...problems(400, 401, 404, 409, 422) },
      },
      preHandler: verifyOnLink,
    },
    async (request) => directoryForPeer(db, links.get(request)!, clock()),
  );
};
