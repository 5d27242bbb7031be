import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toCsv } from '../csv.js';
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
} from '../schemas.js';

const accountParams = z.strictObject({ timebankId: id, accountId: id });

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

export const accountRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { reads, clock }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['accounts'];

  app.get(
    '/v1/timebanks/:timebankId/accounts/:accountId',
    {
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
