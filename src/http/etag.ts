import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { contentHash } from '../domain/canonical.js';
import { Rejection } from '../domain/errors.js';

/*
 * Entity tags for mutable resources (RFC 9110 section 8.8.3): the tag is a hash of the
 * representation the caller is answered with, so it changes exactly when what the caller sees
 * changes. A PATCH with If-Match applies only while the resource still has that tag; the
 * use case checks it with the resource's row locked, so two writers cannot both pass.
 */

/** The representation's tag; fields in `except` change without changing it (bookkeeping such as lastUsedAt). */
export function etagOf(representation: unknown, except: readonly string[] = []): string {
  const tagged = except.length > 0 && representation && typeof representation === 'object'
    ? Object.fromEntries(Object.entries(representation).filter(([field]) => !except.includes(field)))
    : representation;
  return `"${contentHash(tagged).slice(0, 32)}"`;
}

type EtagConfig = boolean | { except: readonly string[] } | undefined;
const exceptOf = (config: EtagConfig) => (typeof config === 'object' ? config.except : []);

export const ifMatchHeaders = z.object({
  'if-match': z
    .string()
    .max(2000)
    .optional()
    .describe('Apply only if the resource still has one of these ETags (or * for any): 412 precondition_failed if someone changed it since'),
});

/** The tags an If-Match header lists (RFC 9110: strong comparison; a weak tag never matches). */
function listedTags(header: string): string[] | '*' {
  if (header.trim() === '*') return '*';
  return [...header.matchAll(/(W\/)?"([^"]*)"/g)].filter((match) => !match[1]).map((match) => `"${match[2]}"`);
}

/**
 * The request's If-Match as a check of the resource's current representation (as this caller
 * would be answered with it), or undefined when the request has none.
 */
export function ifMatchOf(request: FastifyRequest): ((current: unknown) => void) | undefined {
  const header = request.headers['if-match'];
  if (typeof header !== 'string') return undefined;
  const tags = listedTags(header);
  const except = exceptOf(request.routeOptions.config.etag);
  return (current) => {
    if (tags !== '*' && !tags.includes(etagOf(current, except))) {
      throw new Rejection('precondition_failed', 'The resource changed since the ETag in If-Match was read: read it again, then retry.');
    }
  };
}

/** ETag on the answers of routes that serve a mutable resource (`config: { etag: true }`). */
export const entityTags = fp(
  async (app: FastifyInstance) => {
    app.addHook('preSerialization', async (request, reply, payload) => {
      if (request.routeOptions.config.etag && reply.statusCode < 300 && payload && typeof payload === 'object') {
        reply.header('etag', etagOf(payload, exceptOf(request.routeOptions.config.etag)));
      }
      return payload;
    });
  },
  { name: 'entity-tags' },
);

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The answer is a mutable resource: it carries an ETag, and its PATCH honours If-Match.
     * Fields in `except` are bookkeeping that changes without anyone changing the resource.
     */
    etag?: boolean | { except: readonly string[] };
  }
}
