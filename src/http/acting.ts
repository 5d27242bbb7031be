import type { FastifyRequest } from 'fastify';
import type { Acting } from '../domain/audit.js';

/** Who makes an audited change, and in which request: what the audit log records. */
export function acting(request: FastifyRequest): Acting {
  return { principal: request.principal, requestId: request.id };
}
