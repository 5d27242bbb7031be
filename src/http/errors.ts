import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
} from 'fastify-type-provider-zod';
import { Rejection } from '../domain/errors.js';
import { isConnectionLoss, sqlStateOf } from '../db/errors.js';
import { rejectionCodes, type ProblemCode } from './problem-codes.js';

/**
 * RFC 9457 problem details for every error the service answers with. Rejections decided by the
 * domain map through one table; framework errors (validation, body size, media type, auth,
 * rate limit) map to stable codes; anything else is a bug: logged with the request id and
 * answered as a bare 500 without internals.
 */

export type FieldError = { field: string; location: string; message: string };

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_TYPE_BASE = 'https://timebank.example/problems/';


export function problem(
  status: number,
  code: ProblemCode,
  title: string,
  detail: string,
  extensions: Record<string, unknown> = {},
): Problem {
  // Extensions never override the standard members.
  return { ...extensions, type: PROBLEM_TYPE_BASE + code, title, status, detail, code };
}

export function problemFromRejection(rejection: Rejection): Problem {
  const { status, title } = rejectionCodes[rejection.code];
  return problem(status, rejection.code, title, rejection.detail, rejection.extensions);
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

const locationNames: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/**
 * A validation problem names at most this many fields, and each name at most FIELD_NAME_LENGTH
 * characters: a body of 90,000 unknown keys must not be answered with megabytes of errors.
 */
export const MAX_FIELD_ERRORS = 20;
const FIELD_NAME_LENGTH = 200;

type ValidationItem = { keyword: string; instancePath: string; message: string; params: { keys?: string[] } };

/** Each field error of a failed validation, in order; read lazily so that a cap stops early. */
function* fieldErrors(items: ValidationItem[], location: string): Generator<FieldError> {
  for (const item of items) {
    const base = item.instancePath.split('/').filter(Boolean).join('.');
    if (item.keyword === 'unrecognized_keys' && item.params.keys) {
      for (const key of item.params.keys) {
        const field = base ? `${base}.${key}` : key;
        yield { field: field.slice(0, FIELD_NAME_LENGTH), location, message: 'is not a known field' };
      }
    } else {
      yield { field: (base || '(root)').slice(0, FIELD_NAME_LENGTH), location, message: item.message };
    }
  }
}

function validationProblem(error: FastifyError & { validation: unknown[] }): Problem {
  const location = locationNames[error.validationContext ?? 'body'] ?? 'body';
  const errors: FieldError[] = [];
  let truncated = false;
  for (const entry of fieldErrors(error.validation as ValidationItem[], location)) {
    if (errors.length === MAX_FIELD_ERRORS) {
      truncated = true;
      break;
    }
    errors.push(entry);
  }
  const named = errors.map((entry) => entry.field).join(', ') + (truncated ? ', ...' : '');
  return problem(400, 'validation_failed', 'Validation failed', `Invalid ${location}: ${named}.`, {
    errors,
    ...(truncated ? { errorsTruncated: true } : {}),
  });
}

const byteSize = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MiB` : `${Math.round(bytes / 1024)} KiB`);

/** Errors raised by Fastify itself or by its plugins, by their stable error codes. */
function frameworkProblem(error: FastifyError, bodyLimit: number): Problem | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'payload_too_large', 'Payload too large', `The request body exceeds ${byteSize(bodyLimit)}.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(
        415,
        'unsupported_media_type',
        'Unsupported media type',
        'Send the body as application/json.',
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(400, 'malformed_body', 'Malformed body', 'The request body is not valid JSON.');
  }
  // @fastify/jwt and fast-jwt: no token, a malformed one, a bad signature, expired, not yet valid.
  if (/^(FST|FAST)_JWT_/.test(error.code ?? '')) {
    return problem(
      401,
      'unauthorized',
      'Unauthorized',
      error.code === 'FST_JWT_NO_AUTHORIZATION_IN_HEADER'
        ? 'Send an access token as "Authorization: Bearer <token>".'
        : 'The access token is invalid or has expired.',
    );
  }
  // The database refused or lost the transaction: nothing was written, and a retry (with the
  // same idempotency key) is safe. Contention that outlasted the retries, a backend terminated,
  // or no connection at all.
  const sqlState = sqlStateOf(error);
  if ((sqlState && /^(40001|40P01|53300)$/.test(sqlState)) || isConnectionLoss(error)) {
    return problem(503, 'service_unavailable', 'Service unavailable', 'The database is busy or unreachable: retry shortly with the same Idempotency-Key.');
  }
  if (error.statusCode === 429) {
    return problem(429, 'rate_limited', 'Too many requests', 'Too many attempts: wait and retry.');
  }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return problem(400, 'malformed_body', 'Malformed body', error.message === 'invalid UTF-8' ? 'The request body is not valid UTF-8.' : 'The request body is not valid JSON.');
  }
  return undefined;
}

function toProblem(error: FastifyError, request: FastifyRequest): Problem {
  if (error instanceof Rejection) {
    return problemFromRejection(error);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return validationProblem(error);
  }
  if (!isResponseSerializationError(error)) {
    const known = frameworkProblem(error, request.routeOptions.bodyLimit);
    if (known) {
      return known;
    }
    // A 4xx from a plugin that has no code of its own: keep its status, hide its internals.
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return problem(error.statusCode, 'bad_request', 'Bad request', error.message);
    }
  }
  request.log.error({ err: error }, 'unhandled error');
  return problem(
    500,
    'internal_error',
    'Internal server error',
    `An unexpected error occurred. Quote request id ${request.id} when reporting it.`,
  );
}

/**
 * Errors the router raises before any route or hook runs (Fastify's frameworkErrors option):
 * a path segment over the length limit, a URL that does not decode.
 */
export function routerErrorReply(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const body =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? problem(414, 'uri_too_long', 'URI too long', 'A path segment is too long.')
      : problem(400, 'bad_url', 'Bad URL', 'The URL could not be decoded.');
  void sendProblem(reply, body);
}

export const errorHandling = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const body = toProblem(error, request);
      if (body.status === 401) {
        reply.header('WWW-Authenticate', 'Bearer');
      }
      if (request.routeOptions.config.oauthErrors) {
        // RFC 6749 section 5.2 clients read `error`; the problem fields stay for everyone else.
        Object.assign(body, { error: body.code, error_description: body.detail });
      }
      if (body.status === 503) {
        reply.header('Retry-After', '1');
      }
      return sendProblem(reply, body);
    });
    app.setNotFoundHandler((request, reply) =>
      sendProblem(
        reply,
        problem(404, 'not_found', 'Not found', `No route ${request.method} ${request.url}.`),
      ),
    );
  },
  { name: 'error-handling' },
);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Adds the OAuth 2.0 `error` and `error_description` members to problem bodies. */
    oauthErrors?: boolean;
  }
}
