import { existsSync, readFileSync } from 'node:fs';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clientScopes } from '../domain/principal.js';
import { eventBodyExamples, eventComponentExamples } from './event-examples.js';
import { answerExamples, bodyExamples, componentExamples } from './examples.js';
import type { OpenApiDocument } from './openapi-schemas.js';
import { problemDescriptions } from './problem-schema.js';
import { tokenRequestVariants } from './routes/auth-schemas.js';

/*
 * What the contract says about every operation alike, added once to the document the route
 * schemas produce: the security schemes, the headers every answer carries, and the problems any
 * operation can answer with whatever its route (a busy database, a long URL, a large body).
 */

/** The service's version: package.json's, found from src/http or from its build in dist/src/http. */
export const packageVersion = ((): string => {
  const path = ['../../package.json', '../../../package.json'].map((relative) => new URL(relative, import.meta.url)).find((url) => existsSync(url));
  return path ? (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version : '0.0.0';
})();

const scopeDescriptions: Record<(typeof clientScopes)[number], string> = {
  'members:read': 'Read members and the member directory',
  'members:write': 'Add and change members',
  'ledger:read': 'Read accounts, statements and transfers',
  'ledger:write': 'Record, confirm and reject transfers, and batches',
  'listings:write': 'Post and change offers and requests for members',
  'reports:read': 'Read the mutuality, members and activity reports and the exchange export',
  'events:read': 'Read the event feed: ledger events also need ledger:read, member events members:read',
  'webhooks:write': 'Subscribe webhooks to the events this client may read, and manage them',
};

export const securitySchemes = {
  oauth2: {
    type: 'oauth2',
    description:
      'Access tokens from POST /v1/auth/token, sent as "Authorization: Bearer <token>". People (members, coordinators, platform admins) use the password flow, and what they may do follows their role; their tokens carry no scopes. Partner apps use client credentials: an operation that lists a scope needs it; one that lists none is open to the callers its description names, partner apps of the timebank included whatever their scopes when it says so, and refused to the others.',
    flows: {
      password: { tokenUrl: '/v1/auth/token', refreshUrl: '/v1/auth/token', scopes: {} },
      clientCredentials: { tokenUrl: '/v1/auth/token', scopes: scopeDescriptions },
    },
  },
  clientBasic: {
    type: 'http',
    scheme: 'basic',
    description: 'Token endpoint only: a partner client\'s client_id and client_secret as HTTP Basic credentials (RFC 6749 section 2.3.1), instead of in the body',
  },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN of the deployment' },
} as const;

type Header = { description: string; schema: { type: string } };
type Response = { description?: string; headers?: Record<string, Header>; content?: Record<string, unknown> };
type Operation = {
  operationId: string;
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { required?: boolean; content: Record<string, unknown> };
  responses: Record<string, Response>;
  [extension: `x-${string}`]: unknown;
};

const header = (description: string): Header => ({ description, schema: { type: 'string' } });
const requestIdHeader = header('The request\'s id, also in the logs: quote it when reporting a problem. A request may send its own X-Request-Id (1 to 100 letters, digits, dots, hyphens and underscores).');
const replayedHeader = header('"true" when this answer is the stored answer of an earlier request with the same Idempotency-Key');
const retryAfterHeader = header('Seconds to wait before trying again');
const etagHeader = header('The representation\'s entity tag: send it in If-Match to change the resource only if nobody changed it since');

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
const commonProblems: Record<string, (operation: Operation) => boolean> = {
  // Every operation that reads the database may find it busy or unreachable (the liveness
  // probe and the metrics read none).
  '503': (operation) => !['getLiveness', 'getMetrics'].includes(operation.operationId),
  // The router refuses an overlong path segment before any route runs.
  '414': (operation) => (operation.parameters ?? []).some((parameter) => parameter.in === 'path'),
  '413': (operation) => operation.requestBody !== undefined,
  '415': (operation) => operation.requestBody !== undefined,
};

function completeOperation(operation: Operation): void {
  for (const [status, applies] of Object.entries(commonProblems)) {
    if (applies(operation) && !operation.responses[status]) {
      operation.responses[status] = { description: problemDescriptions[Number(status)]!, content: problemContent };
    }
  }
  const keyed = (operation.parameters ?? []).some((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key');
  for (const [status, response] of Object.entries(operation.responses)) {
    const headers: Record<string, Header> = { ...response.headers, 'X-Request-Id': requestIdHeader };
    if (keyed && status !== '503' && status !== '429') headers['Idempotency-Replayed'] = replayedHeader;
    if (status === '503' || status === '429') headers['Retry-After'] = retryAfterHeader;
    if (status.startsWith('2') && operation['x-etag']) headers.ETag = etagHeader;
    if (status === '201' && operation['x-location']) headers.Location = header(`Where the new resource lives: ${String(operation['x-location']).replace(':timebankId', '{timebankId}').replace(':id', '{id}')}`);
    response.headers = headers;
  }
  if (operation['x-optional-body'] && operation.requestBody) operation.requestBody.required = false;
  const ok = operation.responses['200'];
  if (operation['x-event-stream'] && ok?.content) {
    ok.content['text/event-stream'] = {
      schema: { type: 'string', description: 'Server-Sent Events: each `id:` an event\'s sequence, `event:` its type, `data:` the Event as JSON; a comment line every 15 s while nothing happens' },
    };
  }
  delete operation['x-event-stream'];
  delete operation['x-optional-body'];
  delete operation['x-location'];
  delete operation['x-etag'];
}

/** The token endpoint's body: one variant per grant, as JSON or as a form (RFC 6749). */
function tokenEndpoint(document: OpenApiDocument, operation: Operation): void {
  const { schemas } = z.toJSONSchema(tokenRequestVariants.registry, { target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}` });
  for (const [name, schema] of Object.entries(schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = schema as Record<string, unknown>;
    document.components!.schemas![name] = rest;
  }
  document.components!.schemas!.TokenRequest = {
    ...(document.components!.schemas!.TokenRequest as object),
    discriminator: { propertyName: 'grant_type', mapping: { password: '#/components/schemas/PasswordGrant', refresh_token: '#/components/schemas/RefreshTokenGrant', client_credentials: '#/components/schemas/ClientCredentialsGrant' } },
  };
  const media = { schema: { $ref: '#/components/schemas/TokenRequest' }, examples: tokenRequestVariants.examples };
  operation.requestBody = { required: true, content: { 'application/json': media, 'application/x-www-form-urlencoded': media } };
}

/** An example of the answer of an operation whose answer's schema has no name. */
function withAnswerExample(operation: Operation): void {
  const example = answerExamples[operation.operationId];
  if (example === undefined) return;
  const success = Object.entries(operation.responses).find(([status]) => status.startsWith('2'))?.[1];
  const media = Object.values(success?.content ?? {})[0] as { example?: unknown } | undefined;
  if (media) media.example = example;
}

/**
 * The zod provider names a request schema by its id plus "Input", and refuses an id that is
 * another's name plus "Input": request bodies have ids ending in "Body" (TransferBody), and
 * their components are named XInput (TransferInput).
 */
const withRequestNames = (document: OpenApiDocument): OpenApiDocument =>
  JSON.parse(JSON.stringify(document).replace(/"(#\/components\/schemas\/)?([A-Za-z]+)BodyInput"/g, '"$1$2Input"')) as OpenApiDocument;

/** The document with what every operation shares, the token endpoint's grants, and examples. */
export function withContractDetails(generated: OpenApiDocument): OpenApiDocument {
  const document = withRequestNames(generated);
  const schemas = document.components?.schemas ?? {};
  for (const [name, example] of Object.entries({ ...componentExamples, ...eventComponentExamples, ...bodyExamples, ...eventBodyExamples })) {
    const schema = schemas[name] as { examples?: unknown[] } | undefined;
    if (schema && !schema.examples) schema.examples = [example];
  }
  for (const methods of Object.values((document.paths ?? {}) as Record<string, Record<string, Operation>>)) {
    for (const operation of Object.values(methods)) {
      if (operation.operationId === 'createToken') tokenEndpoint(document, operation);
      withAnswerExample(operation);
      completeOperation(operation);
    }
  }
  return document;
}

/**
 * Each route's schemas as the zod provider turns them into the contract, and what it leaves
 * out: response headers declared beside a content-typed response (`headers: { Name:
 * { type, description } }`), that a body the route can do without (confirm, reject) is
 * optional, where a resource the route creates lives (the Location of its 201), and whether its
 * answers carry an ETag.
 */
export function routeTransform(data: Parameters<typeof jsonSchemaTransform>[0]): ReturnType<typeof jsonSchemaTransform> {
  const transformed = jsonSchemaTransform(data);
  const schema = data.schema as { body?: unknown; response?: Record<string, { headers?: unknown } | undefined> } | undefined;
  const responses = (transformed.schema as { response?: Record<string, Record<string, unknown>> } | undefined)?.response;
  for (const [status, response] of Object.entries(schema?.response ?? {})) {
    if (response?.headers && responses?.[status]) responses[status].headers = response.headers;
  }
  if (schema?.body instanceof z.ZodType && schema.body.safeParse(undefined).success) {
    (transformed.schema as Record<string, unknown>)['x-optional-body'] = true;
  }
  if (data.route.config?.location) (transformed.schema as Record<string, unknown>)['x-location'] = data.route.config.location;
  if (data.route.config?.etag) (transformed.schema as Record<string, unknown>)['x-etag'] = true;
  if (data.route.config?.eventStream) (transformed.schema as Record<string, unknown>)['x-event-stream'] = true;
  return transformed;
}
