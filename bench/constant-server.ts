import Fastify from 'fastify';

/*
 * The baseline for reads: a bare Fastify route returning a constant JSON body through a
 * response schema, as its own process on the port given as the first argument.
 */
const app = Fastify({ logger: false });
app.get(
  '/constant',
  { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, service: { type: 'string' } } } } } },
  async () => ({ ok: true, service: 'constant' }),
);
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
