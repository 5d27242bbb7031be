import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { problemCatalogue, type ProblemCode } from '../../src/http/problem-codes.js';

type Json = Record<string, unknown>;
type MediaType = { schema?: Json; example?: unknown; examples?: Record<string, { value?: unknown }> };
type Operation = {
  operationId: string;
  requestBody?: { content?: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
};

const document = parse(readFileSync('openapi.yaml', 'utf8')) as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Json> } };

// The contract's schemas are JSON Schema 2020-12 with OpenAPI's extra keywords (x-...).
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ $id: 'openapi', components: document.components }, undefined, undefined, false);
/** A schema of the document, its references made absolute so that it compiles on its own. */
const compile = (schema: Json) => ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as Json);

const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
);

/** Every media type of an operation, request and responses, with its examples. */
function mediaTypes(operation: Operation): Array<{ where: string; media: MediaType }> {
  const found = Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => ({ where: `request ${type}`, media }));
  for (const [status, response] of Object.entries(operation.responses)) {
    for (const [type, media] of Object.entries(response.content ?? {})) found.push({ where: `${status} ${type}`, media });
  }
  return found;
}

const examplesOf = (media: MediaType) => [...(media.example === undefined ? [] : [media.example]), ...Object.values(media.examples ?? {}).map((example) => example.value)];

/** The examples a media type's schema carries, itself or through the component it names. */
function schemaExamples(schema: Json | undefined): unknown[] {
  if (!schema) return [];
  const ref = typeof schema.$ref === 'string' ? schema.$ref.replace('#/components/schemas/', '') : undefined;
  const target = ref ? document.components.schemas[ref] : schema;
  return Array.isArray(target?.examples) ? target.examples : [];
}

describe('the contract\'s examples', () => {
  it('each validate against the schema beside them', () => {
    let checked = 0;
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      const validate = compile({ $ref: `#/components/schemas/${name}` });
      for (const example of (schema.examples as unknown[] | undefined) ?? []) {
        expect(validate(example), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
        checked += 1;
      }
    }
    for (const { name, operation } of operations) {
      for (const { where, media } of mediaTypes(operation)) {
        if (!media.schema) continue;
        const validate = compile(media.schema);
        for (const example of examplesOf(media)) {
          expect(validate(example), `${name} ${where}: ${ajv.errorsText(validate.errors)}`).toBe(true);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('are refused when they break their schema, so that the check above can fail', () => {
    const validate = compile({ $ref: '#/components/schemas/Transfer' });
    const example = (document.components.schemas.Transfer!.examples as Json[])[0]!;
    expect(validate(example)).toBe(true);
    expect(validate({ ...example, minutes: '60' })).toBe(false);
    const problem = compile({ $ref: '#/components/schemas/Problem' });
    expect(problem({ type: 'x', title: 'x', status: 400, detail: 'x', code: 'no_such_code' })).toBe(false);
  });

  it('cover every operation: a description, and an example of its answer', () => {
    for (const { name, operation } of operations) {
      expect((operation as Json).description, name).toEqual(expect.stringMatching(/\S/));
      const success = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'));
      const answered = success.some(([, response]) =>
        Object.values(response.content ?? {}).some((media) => examplesOf(media).length > 0 || schemaExamples(media.schema).length > 0),
      );
      const bodiless = success.every(([, response]) => !response.content);
      expect(answered || bodiless, `${name} has no example of its answer`).toBe(true);
    }
  });

  it('show each main error code, with the status and title the service answers it with', () => {
    const examples = document.components.schemas.Problem!.examples as Array<{ code: ProblemCode; status: number; title: string; type: string }>;
    for (const example of examples) {
      expect(example, example.code).toMatchObject({ status: problemCatalogue[example.code].status, title: problemCatalogue[example.code].title });
      expect(example.type.endsWith(`/${example.code}`), example.code).toBe(true);
    }
    const shown = new Set(examples.map((example) => example.code));
    for (const code of ['validation_failed', 'unauthorized', 'insufficient_scope', 'not_found', 'idempotency_key_reused', 'insufficient_balance', 'limit_exceeded', 'rate_limited', 'service_unavailable']) {
      expect(shown, code).toContain(code);
    }
  });
});
