import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/*
 * RFC 9110 section 10.2.2: a 201 names the resource it created in a Location header. A route
 * that creates one resource says where it lives (`config.location`, a path with :timebankId
 * and :id). The header is set from the answer as the route returns it; a replayed answer that
 * is sent as stored text is read once more for its id, so that it carries the header too.
 */

function setLocation(request: FastifyRequest, reply: FastifyReply, id: unknown): void {
  const template = request.routeOptions.config.location;
  if (!template || typeof id !== 'string') return;
  const { timebankId } = request.params as { timebankId?: string };
  reply.header('location', template.replace(':timebankId', timebankId ?? '').replace(':id', id));
}

export const createdLocation = fp(
  async (app: FastifyInstance) => {
    app.addHook('preSerialization', async (request, reply, payload) => {
      if (reply.statusCode === 201 && payload && typeof payload === 'object') setLocation(request, reply, (payload as { id?: unknown }).id);
      return payload;
    });
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode === 201 && typeof payload === 'string' && request.routeOptions.config.location && !reply.hasHeader('location')) {
        setLocation(request, reply, (JSON.parse(payload) as { id?: unknown }).id);
      }
      return payload;
    });
  },
  { name: 'created-location' },
);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Where a resource this route creates lives, e.g. /v1/timebanks/:timebankId/members/:id. */
    location?: string;
  }
}
