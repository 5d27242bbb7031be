import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/*
 * Security headers on every answer, chosen by helmet. The policy is the same for every request
 * (no nonces), so helmet runs once at start-up and its headers are recorded; each request then
 * gets the recorded set instead of building helmet's middleware again (which @fastify/helmet
 * does per request, a twentieth of a balance read's CPU).
 */

/** The headers helmet sets for these options, as it would set them on a response. */
function helmetHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  return headers;
}

export const securityHeaders = fp(
  async (app: FastifyInstance, options: { helmet: Readonly<HelmetOptions> }) => {
    const headers = Object.freeze(helmetHeaders(options.helmet));
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });
  },
  { name: 'security-headers' },
);
