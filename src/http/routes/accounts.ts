import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.js';
import { requireCoordinatorOrScope, requireTimebankAccess, type Principal } from '../../domain/principal.js';
import { decodeVersionCursor, DEFAULT_PAGE_SIZE } from '../../db/pagination.js';
import { findAccountRow, readAccount, readStatement } from '../../db/queries/accounts.js';
import type { AccountRow } from '../../db/schema.js';
import type { Db } from '../../db/client.js';
import { toCsv } from '../csv.js';
import type { RouteOptions } from '../options.js';
import {
  accountSchema,
  bearerAuth,
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

/**
 * A member sees its own account and the commons' balance (the community pot is everyone's business);
 * coordinators and partners with ledger:read see every account of their timebank.
 */
async function readableAccount(db: Db, principal: Principal, timebankId: string, accountId: string, purpose: 'balance' | 'statement' = 'balance'): Promise<AccountRow> {
  requireTimebankAccess(principal, timebankId);
  const row = await findAccountRow(db, timebankId, accountId);
  if (!row) {
    throw notFound('Account');
  }
  if (principal.type === 'member' && principal.role !== 'coordinator') {
    // The commons balance is everyone's business; its statement names other members.
    if (row.memberId !== principal.id && !(row.kind === 'commons' && purpose === 'balance')) {
      throw notFound('Account');
    }
  } else {
    requireCoordinatorOrScope(principal, timebankId, 'ledger:read');
  }
  return row;
}

export const accountRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock }) => {
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
        security: bearerAuth,
        params: accountParams,
        querystring: z.strictObject({ asOf: instantQuery.optional() }),
        response: { 200: accountSchema, ...problems(...readProblems) },
      },
    },
    async (request) => {
      const { timebankId, accountId } = request.params;
      const row = await readableAccount(database.db, request.principal, timebankId, accountId);
      return readAccount(database.db, row, request.query.asOf);
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
        security: bearerAuth,
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
      await readableAccount(database.db, request.principal, timebankId, accountId, 'statement');
      // Content negotiation on the same resource: CSV when the caller asks for it.
      const wantsCsv = /\btext\/csv\b/.test(request.headers.accept ?? '');
      const window = { from: request.query.from, to: request.query.to ?? clock() };
      if (!wantsCsv) {
        return readStatement(database.db, timebankId, accountId, {
          ...window,
          limit: request.query.limit ?? DEFAULT_PAGE_SIZE,
          afterVersion: decodeVersionCursor(request.query.cursor),
        });
      }
      const statement = await readStatement(database.db, timebankId, accountId, {
        ...window,
        limit: Number.MAX_SAFE_INTEGER,
        afterVersion: undefined,
      });
      const csv = toCsv(statement.items, ['postedAt', 'transferId', 'sequence', 'minutes', 'balanceAfterMinutes', 'counterpartyAccountId', 'description']);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="statement-${accountId}.csv"`)
        .send(csv);
    },
  );
};
