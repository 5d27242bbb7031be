import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { invalidField } from '../../domain/errors.js';
import { requireCoordinatorOrScope, isCoordinatorOf } from '../../domain/principal.js';
import { activityReport, everyMemberReport, exchangeRecords, ledgerPin, membersReport, mutualityReport } from '../../use-cases/reports.js';
import { toCsv } from '../csv.js';
import type { RouteOptions } from '../options.js';
import { exchangeSchema, memberRowSchema, mutualitySchema, ratioSchema } from '../report-schemas.js';
import { oauth, DEFAULT_PAGE_SIZE, queryBoolean, queryInteger, earliestInstant, instantQuery, paginationQuery, problems, readProblems, timebankParams, timestamp } from '../schemas.js';

const DAY = 86_400_000;

const windowQuery = {
  from: instantQuery.optional().describe('Start, inclusive (default: a year before to, and not before year 1000); ISO 8601 with a time zone, from year 1000 to 9999 in UTC'),
  to: instantQuery.optional().describe('End, exclusive (default: now); ISO 8601 with a time zone, from year 1000 to 9999 in UTC'),
};

const throughSequenceQuery = {
  throughSequence: queryInteger(0, Number.MAX_SAFE_INTEGER, 'must be a ledger sequence')
    .optional()
    .describe(
      "Read the ledger as it stood when its chain ended at this sequence: later transfers and later reversals (and their entries, in balances) are left out. With a mutuality report's from, to and ledgerCheck.chainHead.sequence, the figures behind that report. Members themselves (who is registered, their names) are read as they are now. Default: the chain head when the first page is read (the cursor carries it to the next pages).",
    ),
};
const throughSequenceField = z.int().describe('The ledger sequence this answer (every page of it) is read through');
/** Beside a CSV file: the ledger sequence its rows were read through. */
const ledgerSequenceHeader = { 'Ledger-Sequence': { type: 'string' as const, description: 'With Accept: text/csv, the ledger sequence every row was read through (as throughSequence)' } };

const csvOr = <T extends z.ZodType>(schema: T, description: string, headers?: Record<string, { type: 'string'; description: string }>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: {
    'application/json': { schema },
    'text/csv': { schema: z.string().describe('With a header row') },
  },
});

function window(query: { from?: Date | undefined; to?: Date | undefined }, now: Date) {
  const to = query.to ?? now;
  const from = query.from ?? new Date(Math.max(to.getTime() - 365 * DAY, earliestInstant));
  if (from >= to) {
    throw invalidField('query', 'from', 'must be before to');
  }
  return { from, to };
}

/** A nested report as CSV rows: one per figure, ratios with numerator and denominator. */
function figureRows(value: unknown, path: string, rows: Array<Record<string, unknown>>): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if ('numerator' in record && 'denominator' in record) {
      rows.push({ figure: path, value: record.value, numerator: record.numerator, denominator: record.denominator });
      return;
    }
    for (const [key, inner] of Object.entries(record)) figureRows(inner, path ? `${path}.${key}` : key, rows);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((inner, index) => {
      // Categories are labelled by name; their ids and names are labels, not figures. Links are
      // labelled by id (a peer's name may be missing or shared), their peer named in rows of its own.
      if (inner && typeof inner === 'object' && 'name' in inner) {
        const { name, categoryId: _categoryId, ...figures } = inner as { name: unknown; categoryId?: unknown };
        figureRows(figures, `${path}.${String(name)}`, rows);
      } else if (inner && typeof inner === 'object' && 'linkId' in inner) {
        const { linkId, ...figures } = inner as { linkId: unknown };
        figureRows(figures, `${path}.${String(linkId)}`, rows);
      } else {
        figureRows(inner, `${path}.${index}`, rows);
      }
    });
    return;
  }
  rows.push({ figure: path, value, numerator: '', denominator: '' });
}

const wantsCsv = (accept: string | undefined) => /\btext\/csv\b/.test(accept ?? '');

export const reportRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock, pseudonymKey }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['reports'];

  app.get(
    '/v1/timebanks/:timebankId/reports/mutuality',
    {
      schema: {
        operationId: 'getMutualityReport',
        summary: 'Mutuality and reciprocity figures (coordinator, or partner with reports:read)',
        description:
          'Every figure of mutuality-metrics.md over the UTC window [from, to), and what crossed the timebank\'s links (federation). Ratios carry numerator and denominator; an undefined ratio is null. membersToContact is for coordinators only. CSV (Accept: text/csv) has one row per figure; a link\'s rows are named federation.links.{linkId}.',
        tags,
        security: oauth('reports:read'),
        params: timebankParams,
        querystring: z.strictObject({
          ...windowQuery,
          population: z.enum(['active', 'all']).optional().describe('Default active'),
          maxCycleLength: queryInteger(2, 5).optional().describe('Default 4'),
          dormantDays: queryInteger(1, 3650).optional().describe('Default 90'),
          ...throughSequenceQuery,
        }),
        response: { 200: csvOr(mutualitySchema, 'The report'), ...problems(...readProblems) },
      },
    },
    async (request, reply) => {
      const { timebankId } = request.params;
      requireCoordinatorOrScope(request.principal, timebankId, 'reports:read');
      const now = clock();
      // Through the chain head unless asked otherwise (a report counts sealed transfers only),
      // named in the answer as ledgerCheck.chainHead.
      const through = (await ledgerPin(database.db, timebankId, { cursor: undefined, throughSequence: request.query.throughSequence })).throughSequence;
      const report = await mutualityReport(database.db, timebankId, {
        throughSequence: through,
        ...window(request.query, now),
        population: request.query.population ?? 'active',
        maxCycleLength: request.query.maxCycleLength ?? 4,
        dormantDays: request.query.dormantDays ?? 90,
        now,
      });
      const { membersToContact: _contacts, ...figures } = report;
      const visible = isCoordinatorOf(request.principal, timebankId) ? report : figures;
      if (!wantsCsv(request.headers.accept)) return visible;
      const rows: Array<Record<string, unknown>> = [];
      figureRows({ ...figures, window: undefined }, '', rows);
      return reply.type('text/csv; charset=utf-8').send(toCsv(rows.filter((row) => row.value !== undefined), ['figure', 'value', 'numerator', 'denominator']));
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/reports/members',
    {
      schema: {
        operationId: 'getMembersReport',
        summary: 'One row per member over [from, to) (coordinator, or partner with reports:read)',
        description:
          'JSON pages with limit and cursor; CSV (Accept: text/csv) holds every member. Every page is read through one ledger sequence (throughSequence; returned in JSON, and in the Ledger-Sequence header of the CSV response).',
        tags,
        security: oauth('reports:read'),
        params: timebankParams,
        querystring: z.strictObject({ ...paginationQuery, ...windowQuery, ...throughSequenceQuery }),
        response: {
          200: csvOr(z.object({ items: z.array(memberRowSchema), throughSequence: throughSequenceField, nextCursor: z.string().nullable() }), 'Members', ledgerSequenceHeader),
          ...problems(...readProblems),
        },
      },
    },
    async (request, reply) => {
      const { timebankId } = request.params;
      requireCoordinatorOrScope(request.principal, timebankId, 'reports:read');
      const span = window(request.query, clock());
      const start = await ledgerPin(database.db, timebankId, { cursor: request.query.cursor, throughSequence: request.query.throughSequence });
      if (!wantsCsv(request.headers.accept)) {
        return membersReport(database.db, timebankId, span, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, start });
      }
      const rows = await everyMemberReport(database.db, timebankId, span, start.throughSequence);
      return reply
        .type('text/csv; charset=utf-8')
        .header('ledger-sequence', String(start.throughSequence))
        .send(toCsv(rows, Object.keys(memberRowSchema.shape)));
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/reports/activity',
    {
      schema: {
        operationId: 'getActivityReport',
        summary: 'Exchanges, minutes and members per week or month (coordinator, or partner with reports:read)',
        description: 'Weeks start on Monday, UTC. Periods without activity are present with zeros.',
        tags,
        security: oauth('reports:read'),
        params: timebankParams,
        querystring: z.strictObject({ ...windowQuery, ...throughSequenceQuery, interval: z.enum(['week', 'month']).optional().describe('Default month') }),
        response: {
          200: z.object({
            interval: z.enum(['week', 'month']),
            from: timestamp,
            to: timestamp,
            throughSequence: throughSequenceField,
            items: z.array(z.object({ periodStart: timestamp, exchanges: z.int(), minutes: z.int(), activeMembers: z.int(), newMembers: z.int(), twoWayShare: ratioSchema })),
          }),
          ...problems(...readProblems),
        },
      },
    },
    async (request) => {
      const { timebankId } = request.params;
      requireCoordinatorOrScope(request.principal, timebankId, 'reports:read');
      const span = window(request.query, clock());
      const interval = request.query.interval ?? 'month';
      if ((span.to.getTime() - span.from.getTime()) / DAY > (interval === 'week' ? 7 * 520 : 31 * 240)) {
        throw invalidField('query', 'from', 'the window is too long for this interval');
      }
      const { throughSequence } = await ledgerPin(database.db, timebankId, { cursor: undefined, throughSequence: request.query.throughSequence });
      return activityReport(database.db, timebankId, interval, span, throughSequence);
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/exports/exchanges',
    {
      schema: {
        operationId: 'exportExchanges',
        summary: 'The exchanges behind the reports (coordinator, or partner with reports:read)',
        description:
          'Giver, receiver, minutes, time, category and brokered for every exchange in [from, to), so that every figure can be recomputed independently. pseudonymise=true replaces member ids with keyed hashes, the same on every page of the same window. JSON pages with limit and cursor; CSV (Accept: text/csv) streams the whole window. Every page is read through one ledger sequence (throughSequence; returned in JSON, and in the Ledger-Sequence header of the CSV response), so the pages agree with each other however the ledger moves while they are read.',
        tags,
        security: oauth('reports:read'),
        params: timebankParams,
        querystring: z.strictObject({
          ...paginationQuery,
          ...windowQuery,
          pseudonymise: queryBoolean.optional(),
          ...throughSequenceQuery,
        }),
        response: {
          200: csvOr(
            z.object({ items: z.array(exchangeSchema), throughSequence: throughSequenceField, nextCursor: z.string().nullable() }),
            'Exchanges',
            ledgerSequenceHeader,
          ),
          ...problems(...readProblems),
        },
      },
    },
    async (request, reply) => {
      const { timebankId } = request.params;
      requireCoordinatorOrScope(request.principal, timebankId, 'reports:read');
      const span = window(request.query, clock());
      const key = request.query.pseudonymise ? pseudonymKey : undefined;
      const start = await ledgerPin(database.db, timebankId, { cursor: request.query.cursor, throughSequence: request.query.throughSequence });
      if (!wantsCsv(request.headers.accept)) {
        const pages = exchangeRecords(database.db, timebankId, span, { pseudonymKey: key, pageSize: request.query.limit ?? DEFAULT_PAGE_SIZE, start, pages: 1 });
        const { value } = await pages.next();
        return { items: value?.records ?? [], throughSequence: start.throughSequence, nextCursor: value?.nextCursor ?? null };
      }
      const columns = ['transferId', 'giverMemberId', 'receiverMemberId', 'minutes', 'postedAt', 'categoryId', 'brokered'];
      async function* csv() {
        yield toCsv([], columns);
        for await (const page of exchangeRecords(database.db, timebankId, span, { pseudonymKey: key, pageSize: 5000, start: { ...start, afterId: undefined } })) {
          yield toCsv(page.records, columns, { header: false });
        }
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="exchanges.csv"')
        .header('ledger-sequence', String(start.throughSequence))
        .send(Readable.from(csv()) as unknown as string);
    },
  );
};
