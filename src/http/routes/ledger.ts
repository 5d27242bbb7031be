import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireCoordinator } from '../../domain/principal.js';
import type { RouteOptions } from '../options.js';
import { oauth, problems, readProblems, timebankParams } from '../schemas.js';

const verificationSchema = z
  .object({
    ok: z.boolean(),
    transferCount: z.int().describe('Sealed transfers in the hash chain'),
    sumMinutes: z.int().describe('Sum of all balances: 0 in a sound ledger'),
    chainHead: z.object({ sequence: z.int(), hash: z.string() }).describe('The last sealed transfer: what throughSequence, reports and the journal pin to'),
    unsealedCount: z.int().describe('Posted transfers not yet sealed into the chain: final already, and sealed within about a second of their commit'),
    oldestUnsealedSeconds: z.number().nullable().describe('How long ago the oldest unsealed transfer was posted; null when none waits'),
    mismatches: z.array(z.looseObject({ kind: z.string() })),
  })
  .meta({ id: 'LedgerVerification' });

export const ledgerRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { reads, clock }) => {
  app.addHook('onRequest', app.authenticate);
  const tags = ['ledger'];

  app.get(
    '/v1/timebanks/:timebankId/ledger/verify',
    {
      schema: {
        operationId: 'verifyLedger',
        summary: 'Recompute the ledger\'s invariants and hash chain (coordinator)',
        description:
          'Checks that balances sum to zero, that each balance equals the sum of its entries, that each posted transfer has two entries that cancel, that every posted transfer is sealed or waiting for its seal, that the hash chain is unbroken, and, for each link with a timebank of this deployment, that the two clearing balances are exact opposites and that every cross transfer\'s two legs match (minutes, status, and each naming the other). Lists every mismatch found, and how much of the ledger waits for its seal.',
        tags,
        security: oauth(),
        params: timebankParams,
        response: { 200: verificationSchema, ...problems(...readProblems) },
      },
    },
    async (request) => {
      requireCoordinator(request.principal, request.params.timebankId);
      // One snapshot, so that transfers committed meanwhile cannot look like a broken chain.
      return reads.verifyLedger(request.params.timebankId, clock());
    },
  );

  app.get(
    '/v1/timebanks/:timebankId/ledger/journal',
    {
      schema: {
        operationId: 'getLedgerJournal',
        summary: 'The ledger as an hledger journal (coordinator)',
        description:
          'One transaction per posted transfer in sequence order, amounts in integer minutes with the commodity "min"; `hledger -f - balance` shows the same balances as the API.',
        tags,
        security: oauth(),
        params: timebankParams,
        response: {
          200: { description: 'Plain-text journal', content: { 'text/plain': { schema: z.string() } } },
          ...problems(...readProblems),
        },
      },
    },
    async (request, reply) => {
      requireCoordinator(request.principal, request.params.timebankId);
      const journal = await reads.ledgerJournal(request.params.timebankId);
      return reply.type('text/plain; charset=utf-8').send(journal);
    },
  );
};
