import Fastify from 'fastify';
import pg from 'pg';

/*
 * The baselines for reads, as their own process on the port given as the first argument:
 * - /constant, a bare Fastify route returning a constant JSON body through a response schema;
 * - /account/:id (when a database URL and a timebank id follow the port): a bare Fastify route
 *   that runs one prepared primary-key query for the account row on a pool of the service's
 *   size and returns it. No authentication, no validation: what a read costs when it asks
 *   the database once.
 */
const [port, databaseUrl, timebankId] = process.argv.slice(2);
const app = Fastify({ logger: false });
app.get(
  '/constant',
  { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, service: { type: 'string' } } } } } },
  async () => ({ ok: true, service: 'constant' }),
);
if (databaseUrl && timebankId) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  app.get<{ Params: { id: string } }>(
    '/account/:id',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'string' }, member_id: { type: 'string' }, kind: { type: 'string' }, balance_minutes: { type: 'integer' }, min_balance_minutes: { type: 'integer' }, max_balance_minutes: { type: 'integer' } },
          },
        },
      },
    },
    async (request) => {
      const result = await pool.query({
        name: 'account',
        text: 'SELECT * FROM accounts WHERE timebank_id = $1 AND id = $2',
        values: [timebankId, request.params.id],
      });
      return result.rows[0];
    },
  );
}
await app.listen({ port: Number(port), host: '127.0.0.1' });
