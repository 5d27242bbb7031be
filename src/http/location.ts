import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/*
 * RFC 9110 section 10.2.2: a 201 names the resource it created in a Location header. A route
 * that creates one resource says where it lives (`config.location`, a path with :timebankId
 * and :id); the header is set when the answer is sent, so that a replayed answer carries it too.
 */

export const createdLocation = fp(
  async (app: FastifyInstance) => {
    app.addHook('onSend', async (request, reply, payload) => {
      const template = request.routeOptions.config.location;
      if (!template || reply.statusCode !== 201 || typeof payload !== 'string') return payload;
      const { id } = JSON.parse(payload) as { id?: unknown };
      const { timebankId } = request.params as { timebankId?: string };
      if (typeof id === 'string') reply.header('location', template.replace(':timebankId', timebankId ?? '').replace(':id', id));
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
