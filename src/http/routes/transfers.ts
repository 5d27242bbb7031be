import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.js';
import {
  requireCoordinator,
  requireCoordinatorOrScope,
  requireScope,
  requireTimebankAccess,
  type Principal,
} from '../../domain/principal.js';
import { requestHash, type WriteRequest, type WriteResult } from '../../use-cases/ledger-write.js';
import {
  confirmTransfer,
  createTransfer,
  createTransferBatch,
  rejectTransfer,
  reverseTransfer,
  type GroupedTransfer,
} from '../../use-cases/ledger-write.js';
import { TransferGroups } from '../../use-cases/transfer-groups.js';
import { createLinkedTransfer } from '../../use-cases/cross-write.js';
import { PROBLEM_CONTENT_TYPE, problemFromRejection } from '../errors.js';
import type { LedgerMetrics } from '../metrics.js';
import type { RouteOptions } from '../options.js';
import {
  oauth,
  DEFAULT_PAGE_SIZE,
  externalId,
  freeText,
  id,
  idempotencyHeaders,
  instantQuery,
  metadata,
  minutes,
  page,
  paginationQuery,
  problems,
  readProblems,
  timebankParams,
  transferSchema,
  writeProblems,
} from '../schemas.js';

const transferFields = {
  payerAccountId: id.describe('The account that spends: the one who received help'),
  payeeAccountId: id.describe('The account that earns: the one who gave help'),
  minutes,
  description: freeText(2000).optional(),
  categoryId: id.optional(),
  requestId: id.optional(),
  offerId: id.optional(),
  pending: z
    .boolean()
    .optional()
    .describe('Coordinators and partners only: wait for the payer to confirm (default false)'),
  externalId: externalId
    .optional()
    .describe('Your own id for the transfer, 1 to 255 characters: a second transfer you record with it is 409 external_id_taken (a durable guard against double entry beside Idempotency-Key). Never changes.'),
  metadata: metadata.optional(),
};

/** A transfer of a batch: between two accounts of this timebank. */
const localTransferInput = z.strictObject(transferFields).meta({ id: 'BatchTransferBody' });

const crossPayee = z
  .strictObject({ linkId: id.describe("One of this timebank's links (GET .../links)"), accountId: id.describe("The payee's account in the linked timebank (GET .../links/{linkId}/directory)") })
  .meta({ id: 'CrossTimebankPayee' });

/** One transfer: to an account of this timebank (payeeAccountId), or of a linked one (payee). */
const transferInput = z
  .strictObject({ ...transferFields, payeeAccountId: transferFields.payeeAccountId.optional(), payee: crossPayee.optional().describe('A member of a linked timebank, instead of payeeAccountId (DESIGN.md section 7)') })
  .superRefine((body, context) => {
    if ((body.payeeAccountId === undefined) === (body.payee === undefined)) {
      context.addIssue({ code: 'custom', path: ['payeeAccountId'], message: 'give exactly one of payeeAccountId and payee' });
    }
    if (body.payee !== undefined) {
      for (const field of ['categoryId', 'requestId', 'offerId'] as const) {
        if (body[field] !== undefined) context.addIssue({ code: 'custom', path: [field], message: 'a cross-timebank transfer names no category, request or offer' });
      }
    }
  })
  .meta({ id: 'TransferBody' });

const transferParams = z.strictObject({ timebankId: id, transferId: id });
const writeErrors = problems(...writeProblems, 409, 422);
// Confirm and reject take no body; an empty JSON object is accepted too.
const emptyBody = z.strictObject({}).nullish();

/** A member records its own transfers; a partner app needs ledger:write. */
function requireTransferWriter(principal: Principal, timebankId: string): void {
  requireTimebankAccess(principal, timebankId);
  if (principal.type === 'client') {
    requireScope(principal, 'ledger:write');
  }
}

/**
 * Group commits of one timebank in the database at once: the next claims its keys and locks its
 * accounts while the previous writes and commits.
 */
const GROUPS_IN_FLIGHT = 2;

/** Posted transfers and refusals, for /metrics: a batch counts each transfer it posts. */
function countOutcome(metrics: LedgerMetrics, result: WriteResult): void {
  const body = result.body as { code?: string; status?: string; items?: Array<{ status?: string }> };
  if (result.statusCode >= 400) {
    metrics.transferRejected(body.code ?? 'unknown');
    return;
  }
  const transfers = body.items ?? [body];
  metrics.transfersPosted(transfers.filter((transfer) => transfer.status === 'posted').length);
}

export const transferRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, reads, clock, transferGroupMax, federation }) => {
  const groups = new TransferGroups(database.db, { maxGroupSize: transferGroupMax, maxGroupsInFlight: GROUPS_IN_FLIGHT, observe: (size) => app.ledgerMetrics.transferGroup(size) });
  app.addHook('onRequest', app.authenticate);
  const tags = ['transfers'];

  const writeRequest = (request: FastifyRequest, timebankId: string, body: unknown): WriteRequest => ({
    db: database.db,
    timebankId,
    principal: request.principal,
    idempotency: {
      key: request.headers['idempotency-key'] as string,
      requestHash: requestHash({ route: request.routeOptions.url, params: request.params, body: body ?? null }),
      renderRejection: (rejection) => {
        const problem = problemFromRejection(rejection);
        return { statusCode: problem.status, body: problem };
      },
    },
    now: clock(),
    requestId: request.id,
  });

  const send = (reply: FastifyReply, result: WriteResult) => {
    if (result.replayed) {
      reply.header('idempotency-replayed', 'true');
    } else {
      countOutcome(app.ledgerMetrics, result);
    }
    if (result.statusCode >= 400) {
      reply.type(PROBLEM_CONTENT_TYPE);
    }
    return reply.code(result.statusCode).send(result.body);
  };

  app.post(
    '/v1/timebanks/:timebankId/transfers',
    {
      config: { location: '/v1/timebanks/:timebankId/transfers/:id' },
      schema: {
        operationId: 'createTransfer',
        summary: 'Record a transfer of time credits',
        description:
          'The payer pays at once (posted). The payee records hours it gave: pending until the payer confirms when the timebank\'s confirmation is counterparty (and always when the payer is the commons). Such a claim holds none of the payer\'s room (only the claimant\'s headroom under its cap); the payer\'s limits are checked when it is confirmed, and unconfirmed at its deadline it expires unless the timebank\'s autoConfirmMemberClaims is true. At most maxOpenClaims claims wait on one payer (422 too_many_open_claims). A coordinator, or a partner with ledger:write, records for anyone (posted unless pending is true; a pending one holds the payer\'s room). Limits are checked under row locks: 422 insufficient_balance or limit_exceeded; a member is told figures and holder status of its own account only, and gets 422 transfer_refused when the other account refuses. To pay a member of a linked timebank, give payee { linkId, accountId } instead of payeeAccountId: both legs (payer to the link\'s clearing account here, the peer\'s clearing account to the payee there) are written in one transaction, or neither, and the answer is this ledger\'s leg with link and remoteTransferId. A pending one (pending: true, brokers only) is confirmed by the payee\'s side, and may be withdrawn (rejected) from this side. A payee not visible to linked timebanks is 404; 422 link_not_active or link_limit_reached when the link refuses. Over a link to another deployment, this leg is written pending and the payee\'s deployment is asked to prepare and commit its leg: 201 with this leg posted when both have, the payee side\'s refusal as this answer\'s problem, or 202 with this leg pending when the peer has not answered within a few seconds (the service carries on, and the transfer ends posted on both sides or on neither; pending: true is refused there). Idempotency-Key is required. An externalId the same recorder gave a transfer of the timebank already is 409 external_id_taken, and nothing is recorded; externalId and metadata are kept as given and never change.',
        tags,
        security: oauth('ledger:write'),
        params: timebankParams,
        headers: idempotencyHeaders,
        body: transferInput,
        response: { 201: transferSchema, 202: transferSchema.describe('A transfer to another deployment still in flight: this leg, pending'), ...writeErrors },
      },
    },
    async (request, reply) => {
      const { timebankId } = request.params;
      requireTransferWriter(request.principal, timebankId);
      const write = writeRequest(request, timebankId, request.body);
      const { payee, payeeAccountId, ...rest } = request.body;
      if (payee) return send(reply, await createLinkedTransfer(write, federation, { ...rest, payee }));
      const input = { ...rest, payeeAccountId: payeeAccountId! };
      // Written with whatever other transfers of the timebank arrive meanwhile (group commit).
      return send(reply, transferGroupMax > 1 ? await groups.submit({ request: write as GroupedTransfer['request'], input }) : await createTransfer(write, input));
    },
  );

  app.post(
    '/v1/timebanks/:timebankId/transfers/batch',
    {
      schema: {
        operationId: 'createTransferBatch',
        summary: 'Record up to 1000 transfers at once, all or none (coordinator, or partner with ledger:write)',
        description:
          'For group sessions. The transfers apply in order in one transaction; if one is refused, none is recorded and the problem names its index. Each transfer may carry its own externalId: one the caller gave a transfer already, or given twice in the batch (the second time), is 409 external_id_taken naming that index.',
        tags,
        security: oauth('ledger:write'),
        params: timebankParams,
        headers: idempotencyHeaders,
        body: z.strictObject({ transfers: z.array(localTransferInput).min(1).max(1000) }).meta({ id: 'TransferBatchBody' }),
        response: { 201: z.object({ items: z.array(transferSchema) }), ...writeErrors },
      },
    },
    async (request, reply) => {
      const { timebankId } = request.params;
      requireCoordinatorOrScope(request.principal, timebankId, 'ledger:write');
      return send(
        reply,
        await createTransferBatch(writeRequest(request, timebankId, request.body), request.body.transfers),
      );
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/transfers',
    {
      schema: {
        operationId: 'listTransfers',
        summary: 'List transfers',
        description:
          'Coordinators and partners with ledger:read see the timebank\'s; a member sees those of its own account. from/to bound the creation time, [from, to). externalId finds the transfers recorded with it, at most one per recorder (see recordedBy).',
        tags,
        security: oauth('ledger:read'),
        params: timebankParams,
        querystring: z.strictObject({
          ...paginationQuery,
          accountId: id.optional(),
          status: z.enum(['pending', 'posted', 'rejected', 'expired']).optional(),
          from: instantQuery.optional(),
          to: instantQuery.optional(),
          externalId: externalId.optional().describe('Only the transfers recorded with this externalId (exact match), at most one per recorder'),
        }),
        response: { 200: page(transferSchema), ...problems(...readProblems) },
      },
    },
    async (request) => {
      const { timebankId } = request.params;
      const principal = request.principal;
      let accountId = request.query.accountId;
      if (principal.type === 'member' && principal.role !== 'coordinator') {
        requireTimebankAccess(principal, timebankId);
        const own = await reads.memberAccountId(timebankId, principal.id);
        if (accountId && accountId !== own) {
          throw notFound('Account');
        }
        accountId = own;
      } else {
        requireCoordinatorOrScope(principal, timebankId, 'ledger:read');
      }
      return reads.listTransfers(timebankId, {
        ...request.query,
        accountId,
        limit: request.query.limit ?? DEFAULT_PAGE_SIZE,
      });
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/transfers/:transferId',
    {
      schema: {
        operationId: 'getTransfer',
        summary: 'Get a transfer (its parties, coordinators, partners with ledger:read)',
        description: 'Its payer and payee, coordinators, and partner clients with ledger:read; to anyone else it does not exist (404). sequence and hash are null until the transfer is sealed into the chain, within a second of posting.',
        tags,
        security: oauth('ledger:read'),
        params: transferParams,
        response: { 200: transferSchema, ...problems(...readProblems) },
      },
    },
    async (request) => {
      const { timebankId, transferId } = request.params;
      const principal = request.principal;
      requireTimebankAccess(principal, timebankId);
      const transfer = await reads.findTransfer(timebankId, transferId);
      if (!transfer) {
        throw notFound('Transfer');
      }
      if (principal.type === 'member' && principal.role !== 'coordinator') {
        const own = await reads.memberAccountId(timebankId, principal.id);
        if (own !== transfer.payerAccountId && own !== transfer.payeeAccountId) {
          throw notFound('Transfer');
        }
      } else {
        requireCoordinatorOrScope(principal, timebankId, 'ledger:read');
      }
      return transfer;
    },
  );

  for (const action of ['confirm', 'reject'] as const) {
    app.post(
      `/v1/timebanks/:timebankId/transfers/:transferId/${action}`,
      {
        schema: {
          operationId: `${action}Transfer`,
          summary:
            action === 'confirm'
              ? 'Confirm a pending transfer: it posts (the counterparty, or a coordinator)'
              : 'Reject a pending transfer (the counterparty, its creator, or a coordinator)',
          description:
            'Resolves a pending transfer exactly once; a second resolution is 409 transfer_not_pending. Confirming checks the limits (a member\'s claim meets the payer\'s floor only now): a refusal leaves the transfer pending. Idempotency-Key is required.',
          tags,
          security: oauth('ledger:write'),
          params: transferParams,
          headers: idempotencyHeaders,
          body: emptyBody,
          response: { 200: transferSchema, ...writeErrors },
        },
      },
      async (request, reply) => {
        const { timebankId, transferId } = request.params;
        requireTransferWriter(request.principal, timebankId);
        const resolve = action === 'confirm' ? confirmTransfer : rejectTransfer;
        return send(reply, await resolve(writeRequest(request, timebankId, request.body), transferId));
      },
    );
  }

  app.post(
    '/v1/timebanks/:timebankId/transfers/:transferId/reverse',
    {
      config: { location: '/v1/timebanks/:timebankId/transfers/:id' },
      schema: {
        operationId: 'reverseTransfer',
        summary: 'Reverse a posted transfer (coordinator)',
        description:
          'Posts a new transfer in the opposite direction that references the original; a transfer is reversed at most once. A reversal that would break a limit needs overrideLimits: true, which is recorded on it. Idempotency-Key is required.',
        tags,
        security: oauth(),
        params: transferParams,
        headers: idempotencyHeaders,
        body: z.strictObject({
          reason: freeText(2000).min(1),
          overrideLimits: z.boolean().optional(),
        }).meta({ id: 'ReversalBody' }),
        response: { 201: transferSchema, ...writeErrors },
      },
    },
    async (request, reply) => {
      const { timebankId, transferId } = request.params;
      requireCoordinator(request.principal, timebankId);
      return send(
        reply,
        await reverseTransfer(writeRequest(request, timebankId, request.body), transferId, request.body),
      );
    },
  );
};
