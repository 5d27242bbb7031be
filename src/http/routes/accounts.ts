import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { changeAccountLimits } from '../../use-cases/accounts.js';
import { acting } from '../acting.js';
import { toCsv } from '../csv.js';
import { ifMatchHeaders, ifMatchOf } from '../etag.js';
import type { RouteOptions } from '../options.js';
import {
  accountSchema,
  oauth,
  DEFAULT_PAGE_SIZE,
  id,
  instantQuery,
  paginationQuery,
  problems,
  readProblems,
  timestamp,
  writeProblems,
} from '../schemas.js';

const accountParams = z.strictObject({ timebankId: id, accountId: id });

// An account's tag covers what a coordinator changes (its limits), not the figures every
// transfer moves: a limit change must not fail because the member exchanged meanwhile.
const accountEtag = {
  except: ['balanceMinutes', 'pendingDebitMinutes', 'pendingCreditMinutes', 'availableMinutes', 'givenMinutes', 'receivedMinutes', 'asOf'],
} as const;

const limitsChange = z
  .strictObject({
    minBalanceMinutes: z.int().min(-10_000_000).max(0).optional().describe('The credit floor: how far the account may go below 0, 0 or below'),
    maxBalanceMinutes: z.int().min(0).max(10_000_000).optional().describe('The cap: how much the account may hold, 0 or above'),
  })
  .meta({ id: 'AccountLimitsBody' });

const statementSchema = z
  .object({
    accountId: id,
    from: timestamp.nullable(),
    to: timestamp,
    openingBalanceMinutes: z.int(),
    closingBalanceMinutes: z.int(),
    items: z.array(
      z.object({
        transferId: id,
        sequence: z.int().nullable(),
        minutes: z.int().describe('Signed: + earned, - spent'),
        balanceAfterMinutes: z.int(),
        postedAt: timestamp,
        description: z.string().nullable(),
        counterpartyAccountId: id,
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'Statement' });

export const accountRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, reads, clock }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['accounts'];

  app.get(
    '/v1/timebanks/:timebankId/accounts/:accountId',
    {
      config: { etag: accountEtag },
      schema: {
        operationId: 'getAccount',
        summary: 'An account\'s balance, pending minutes, room and totals',
        description: 'With asOf, every figure is recomputed from the entries and transfers as they stood at that instant.',
        tags,
        security: oauth('ledger:read'),
        params: accountParams,
        querystring: z.strictObject({ asOf: instantQuery.optional() }),
        response: { 200: accountSchema, ...problems(...readProblems) },
      },
    },
    async (request) => {
      const { timebankId, accountId } = request.params;
      // A member sees its own account and the commons' balance; coordinators and partners with
      // ledger:read see every account of their timebank.
      return reads.getAccount(request.principal, timebankId, accountId, request.query.asOf);
    },
  );

  app.patch(
    '/v1/timebanks/:timebankId/accounts/:accountId',
    {
      config: { etag: accountEtag },
      schema: {
        operationId: 'updateAccountLimits',
        summary: 'Change an account\'s floor or cap (coordinator)',
        description:
          'Coordinators and platform admins only: limits are the timebank\'s credit policy, so partner clients cannot change them (403), and a member is refused (403 for its own account or the commons, 404 for another member\'s). The floor stays at or below 0 and the cap at or above 0. Loosening a limit always applies; a tighter floor above the balance less what brokered pending transfers hold, or a tighter cap below the balance plus what pending transfers will bring, is 422 limit_breaks_balance naming the field and the tightest value allowed now. The change is made with the account locked as transfers lock it, so every transfer checks either the old limits or the new ones, and is recorded in the audit log (account.limits_changed). The ETag covers the limits, not the balance figures; with If-Match, applies only while the account still has that ETag (412 otherwise).',
        tags,
        security: oauth(),
        params: accountParams,
        headers: ifMatchHeaders,
        body: limitsChange,
        response: { 200: accountSchema, ...problems(...writeProblems, 412, 422) },
      },
    },
    async (request) => {
      const { timebankId, accountId } = request.params;
      return changeAccountLimits(database.db, timebankId, accountId, request.body, acting(request), clock(), ifMatchOf(request));
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/accounts/:accountId/statement',
    {
      schema: {
        operationId: 'getStatement',
        summary: 'Entries with running balance over [from, to); CSV with Accept: text/csv',
        description:
          'Opening balance at from, closing balance at to (default now). JSON pages with limit and cursor; CSV holds the whole window.',
        tags,
        security: oauth('ledger:read'),
        params: accountParams,
        querystring: z.strictObject({ ...paginationQuery, from: instantQuery.optional(), to: instantQuery.optional() }),
        response: {
          200: {
            description: 'The statement',
            content: {
              'application/json': { schema: statementSchema },
              'text/csv': { schema: z.string().describe('Header row, then one row per entry') },
            },
          },
          ...problems(...readProblems),
        },
      },
    },
    async (request, reply) => {
      const { timebankId, accountId } = request.params;
      // Content negotiation on the same resource: CSV when the caller asks for it.
      const wantsCsv = /\btext\/csv\b/.test(request.headers.accept ?? '');
      const window = { from: request.query.from, to: request.query.to ?? clock() };
      // A member sees the statement of its own account only, not even the commons'.
      if (!wantsCsv) {
        return reads.getStatement(request.principal, timebankId, accountId, {
          ...window,
          limit: request.query.limit ?? DEFAULT_PAGE_SIZE,
          cursor: request.query.cursor,
        });
      }
      const statement = await reads.getStatement(request.principal, timebankId, accountId, {
        ...window,
        limit: Number.MAX_SAFE_INTEGER,
        cursor: undefined,
      });
      const csv = toCsv(statement.items, ['postedAt', 'transferId', 'sequence', 'minutes', 'balanceAfterMinutes', 'counterpartyAccountId', 'description']);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="statement-${accountId}.csv"`)
        .send(csv);
    },
  );
};
