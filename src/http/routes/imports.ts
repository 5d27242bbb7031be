import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { invalidField } from '../../domain/errors.js';
import { importFormats, MAX_IMPORT_BYTES } from '../../domain/imports.js';
import { requireCoordinator } from '../../domain/principal.js';
import { runImport } from '../../use-cases/imports.js';
import { acting } from '../acting.js';
import type { RouteOptions } from '../options.js';
import { importProblemSchema } from '../problem-schema.js';
import { id, oauth, optionalIdempotencyHeaders, problems, timebankParams, timestamp, writeProblems } from '../schemas.js';

/* Import from other timebank software: members and their transfer history (docs/import.md). */

const csvText = (what: string) => z.string().max(MAX_IMPORT_BYTES).describe(what);

export const importBodySchema = z
  .strictObject({
    format: z.enum(importFormats).describe('generic: this service\'s CSV files, with header rows; timeoverflow: TimeOverflow\'s own import files, without header rows'),
    members: csvText('The members file, as CSV text (UTF-8). generic: externalId,displayName,email[,kind][,joinedAt][,phone]; timeoverflow: member_id, entry_date, name, surname, second surname, gender, date_of_birth, phone, alt_phone, email').optional(),
    transfers: csvText('The transfer history, as CSV text (UTF-8). generic: payerExternalId,payeeExternalId,minutes,postedAt[,description] ("commons" names the commons account); timeoverflow: source_id, source_type, destination_id, destination_type, amount (seconds), created_at, reason, post_id').optional(),
    dryRun: z.boolean().optional().describe('true: check every row and answer what would be imported, changing nothing. Default false'),
  })
  .meta({ id: 'ImportBody' });

const importedAccountSchema = z
  .object({
    kind: z.enum(['member', 'commons']),
    externalId: z.string().nullable().describe('The member\'s id in the files (kept as its externalId); null for the commons'),
    displayName: z.string(),
    newMember: z.boolean().describe('true: a member the import creates; false: an account of the timebank that the history touches'),
    memberId: id.nullable().describe('null in a dry run for a new member, and for the commons'),
    accountId: id.nullable().describe('null in a dry run for a new member'),
    transfers: z.int().describe('Imported transfers this account is the payer or payee of'),
    givenMinutes: z.int().describe('Minutes the imported history pays it (help it gave)'),
    receivedMinutes: z.int().describe('Minutes the imported history takes from it (help it received)'),
    balanceMinutes: z.int().describe('Its balance once the import is applied'),
  })
  .meta({ id: 'ImportedAccount' });

export const importResultSchema = z
  .object({
    id: id.nullable().describe('The import; null for a dry run of content not imported yet'),
    dryRun: z.boolean(),
    alreadyImported: z.boolean().describe('true: this content was imported before (id): nothing changed, and the figures are that import\'s'),
    format: z.enum(importFormats),
    members: z.int().describe('Members created (or, in a dry run, that would be)'),
    transfers: z.int().describe('Transfers of history posted (or that would be)'),
    minutes: z.int().describe('The minutes of those transfers, together'),
    firstPostedAt: timestamp.nullable().describe('The date of the earliest imported transfer'),
    lastPostedAt: timestamp.nullable().describe('The date of the latest imported transfer'),
    accounts: z.array(importedAccountSchema).describe('Every member the files create, and every account of the timebank the history touches, with its balance after the import'),
    problems: z.array(importProblemSchema).describe('Every problem row (dry run; a real run with problems answers 422 import_invalid instead), members file first, by line: at most 1,000'),
    problemsTruncated: z.boolean().describe('true when there were more than 1,000 problems and only the first 1,000 are listed'),
    createdAt: timestamp.nullable().describe('When the import was applied; null for a dry run'),
  })
  .meta({ id: 'ImportResult' });

export const importRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { database, clock }) => {
  app.addHook('onRequest', app.authenticate);

  app.post(
    '/v1/timebanks/:timebankId/imports',
    {
      bodyLimit: MAX_IMPORT_BYTES,
      config: { idempotency: 'optional' },
      schema: {
        operationId: 'createImport',
        summary: 'Import members and their transfer history from other timebank software (coordinator)',
        description:
          'Coordinators and admins. Two CSV files as text in a JSON body of at most 20 MiB (413 beyond): members and transfers, in the generic format or TimeOverflow\'s (docs/import.md). With dryRun, every row is checked and the answer (200) lists each problem by file, line and field, and what the import would do, changing nothing. A real run writes everything in one transaction (201), or nothing when any row has a problem (422 import_invalid, listing them). Imported members keep their id as externalId and get no password (a coordinator resets it to let them in). History is posted at its own dates, in date order, on the hash chain and in the reports; limits are not enforced on it, and each transfer records that override (overrideLimits, and importId in its metadata). The same content imported again changes nothing and answers the first import\'s result (200, alreadyImported).',
        tags: ['imports'],
        security: oauth(),
        headers: optionalIdempotencyHeaders,
        params: timebankParams,
        body: importBodySchema,
        response: { 200: importResultSchema, 201: importResultSchema, ...problems(...writeProblems, 409, 422) },
      },
    },
    async (request, reply) => {
      const { timebankId } = request.params;
      requireCoordinator(request.principal, timebankId);
      const { members, transfers, format, dryRun } = request.body;
      if (members === undefined && transfers === undefined) throw invalidField('body', 'members', 'give the members file, the transfers file, or both');
      const outcome = await runImport(database.db, timebankId, { format, members, transfers, dryRun: dryRun ?? false }, acting(request), clock());
      reply.code(outcome.statusCode);
      return outcome.body;
    },
  );
};
