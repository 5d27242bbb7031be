import { z } from 'zod';
import { requestStages } from '../domain/needs.js';
import { clientScopes } from '../domain/principal.js';
import { problemExamples } from './examples.js';
import { problemCatalogue, problemCodes } from './problem-codes.js';

/* The problem+json body every error answer has, and the error responses a route declares. */

const id = z.uuid();

/** A row of an import file at fault (docs/import.md). */
export const importProblemSchema = z
  .object({
    file: z.enum(['members', 'transfers']),
    line: z.int().min(1).describe('The line of the file the row starts on (1 is the first line, the header in the generic format)'),
    field: z.string().nullable().describe('The column at fault, as the format names it; null for the whole row or file'),
    message: z.string(),
  })
  .meta({ id: 'ImportProblem' });
const scope = z.enum(clientScopes);

const problemCode = z
  .enum(problemCodes)
  .describe('Stable machine-readable error code: its meaning never changes, and new codes are only added')
  .meta({ 'x-enumDescriptions': Object.fromEntries(problemCodes.map((code) => [code, `${problemCatalogue[code].status}: ${problemCatalogue[code].meaning}`])) });

// Extensions beside the RFC 9457 members: each code's own, named and typed for generated clients.
export const problemSchema = z
  .looseObject({
    type: z.string().describe('A URI naming the problem type; ends with the code'),
    title: z.string(),
    status: z.int(),
    detail: z.string().describe('What went wrong and what to do, in words fit to show a person'),
    code: problemCode,
    errors: z
      .array(z.object({ field: z.string(), location: z.enum(['body', 'query', 'path', 'header']), message: z.string() }))
      .optional()
      .describe('Per-field errors, for code validation_failed: at most 20'),
    errorsTruncated: z.boolean().optional().describe('Present (true) when there were more than 20 field errors and only the first 20 are listed'),
    field: z.string().optional().describe('The request field the problem is about, as a dotted path (transfers.3.minutes)'),
    index: z.int().optional().describe('In a batch: the position of the transfer that was refused'),
    accountId: id.optional().describe('insufficient_balance, limit_exceeded: the account that refused'),
    availableMinutes: z.int().optional().describe('insufficient_balance: what the payer can still spend'),
    requiredScope: scope.optional().describe('insufficient_scope: the scope the client lacks'),
    transferStatus: z.enum(['pending', 'posted', 'rejected', 'expired']).optional().describe('transfer_not_pending: the transfer\'s status now'),
    reversedByTransferId: id.optional().describe('already_reversed: the reversal'),
    stage: z.enum(requestStages).optional().describe('invalid_stage_transition: the request\'s stage now'),
    memberId: id.optional().describe('email_taken, when approving an application: the member who has that email already'),
    peerProblem: z
      .object({ status: z.int(), code: z.string(), detail: z.string() })
      .optional()
      .describe('peer_refused: the problem the linked deployment answered with'),
    applicationStatus: z.enum(['open', 'approved', 'declined']).optional().describe('application_not_open: the application\'s status now'),
    problems: z
      .array(importProblemSchema)
      .optional()
      .describe('import_invalid: every problem row of the import files, by file, line and field (at most 1,000)'),
    problemsTruncated: z.boolean().optional().describe('import_invalid: true when there were more than 1,000 problems and only the first 1,000 are listed'),
    error: z.string().optional().describe('Token endpoint only: the RFC 6749 error code (the same as code)'),
    error_description: z.string().optional().describe('Token endpoint only: the RFC 6749 description (the same as detail)'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details', examples: problemExamples });

/** What each error status means, in every operation that declares it. */
export const problemDescriptions: Record<number, string> = {
  400: 'Invalid request (validation_failed, malformed_body, ...)',
  401: 'Missing, invalid or expired access token',
  403: 'Not allowed for this caller',
  404: 'Not found, or not visible to this caller',
  409: 'Conflicts with the current state',
  412: 'If-Match names none of the resource\'s current ETags (precondition_failed)',
  413: 'Request body too large (1 MiB; 16 KiB at the token endpoint, 20 MiB for imports)',
  414: 'A path segment is too long',
  415: 'The body is not JSON (or a form, at the token endpoint)',
  422: 'Refused by a business rule',
  429: 'Too many requests: retry after Retry-After seconds',
  502: 'The linked deployment did not answer, or not as the federation protocol says (peer_unreachable)',
  503: 'The database is busy or unreachable (or, at /readyz, not ready): retry after Retry-After seconds, with the same Idempotency-Key',
};

/** The error responses a route can give, all RFC 9457 problem+json. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: problemDescriptions[status] ?? 'Error',
        content: { 'application/problem+json': { schema: problemSchema } },
      },
    ]),
  ) as Record<
    number,
    { description: string; content: { 'application/problem+json': { schema: typeof problemSchema } } }
  >;
}

