import { PassThrough } from 'node:stream';
import { errorCodes, type FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { federationPaths } from '../../domain/federation.js';
import { balanceForPeer, receiveAcceptance, receivePeerStatus, receiveProposal, type ProposalSender } from '../../use-cases/federation/remote-links.js';
import { SIGNATURE_HEADER, sha256 } from '../../use-cases/federation/signing.js';
import { verifyLinkMessage, verifyProposal, type Received } from '../../use-cases/federation/verify.js';
import type { RouteOptions } from '../options.js';
import { problems } from '../schemas.js';
import {
  acceptanceSchema,
  balanceSchema,
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
  const verifyOnLink = async (request: FastifyRequest<{ Params: { linkId: string } }>) => {
    links.set(request, await verifyLinkMessage(db, received(request), request.params.linkId, clock()));
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
};
