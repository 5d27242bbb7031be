import { isDeepStrictEqual } from 'node:util';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import fastJson from 'fast-json-stringify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/*
 * Responses are written by fast-json-stringify, compiled from the JSON Schema of each route's zod
 * response schema (the one openapi.yaml publishes), as Fastify writes responses by default. Only
 * the declared properties go out, required ones must be present, and each value is written as its
 * declared type. Checking every response with zod as well cost a balance read about a seventh of
 * its CPU; with `checkResponses` (the test suite, or CHECK_RESPONSES=true) each response is also
 * checked by zod, and must come out exactly as zod would have written it.
 *
 * The trade, without the check: a value of the wrong type is converted, not refused (a number
 * given as a string is written as a number, a null where an integer is declared as 0), where zod
 * would have answered 500. The handlers build responses from typed rows; the suite's check is
 * what holds them to their schemas.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keywords that only validate: the writer needs none of them, and without them it needs no validator. */
const VALIDATION_ONLY = new Set([
  '$schema',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'multipleOf',
  'description',
  'examples',
  'default',
  'title',
]);
/** Keywords whose value is a map from names (of properties, of definitions) to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs']);
const SCALARS = new Set(['string', 'integer', 'number', 'boolean']);

const isObject = (value: Json | undefined): value is { [key: string]: Json } => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A scalar schema with nothing but a type (and maybe an enum) once validation keywords are gone. */
function plainScalar(schema: Json | undefined): string | undefined {
  if (!isObject(schema) || typeof schema.type !== 'string' || !SCALARS.has(schema.type)) return undefined;
  return Object.keys(schema).every((key) => key === 'type' || key === 'enum') ? schema.type : undefined;
}

/** The schema without validation-only keywords; `T | null` of a scalar as a type list. */
export function writerSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(writerSchema);
  if (!isObject(schema)) return schema;
  const result: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(schema)) {
    if (VALIDATION_ONLY.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && isObject(value)) {
      result[key] = Object.fromEntries(Object.entries(value).map(([name, member]) => [name, writerSchema(member)]));
    } else {
      result[key] = writerSchema(value);
    }
  }
  // A string refined by patterns (a uuid) is a string to the writer.
  if (Array.isArray(result.allOf) && result.allOf.every((member) => plainScalar(member) !== undefined)) {
    delete result.allOf;
  }
  if (Array.isArray(result.anyOf) && result.anyOf.length === 2) {
    const [first, second] = result.anyOf;
    const other = isObject(second) && second.type === 'null' ? first : isObject(first) && first.type === 'null' ? second : undefined;
    const type = plainScalar(other);
    if (type) {
      delete result.anyOf;
      result.type = [type, 'null'];
    }
  }
  return result;
}

function zodSchemaOf(schema: unknown): z.ZodType {
  if (schema instanceof z.ZodType) return schema;
  const properties = (schema as { properties?: unknown } | undefined)?.properties;
  if (properties instanceof z.ZodType) return properties;
  throw new Error(`not a zod response schema: ${JSON.stringify(schema)}`);
}

type Writer = (data: unknown) => string;

/**
 * One writer per distinct schema, not per route and status: most of a route's responses are the
 * same problem document, and each compiled writer keeps its generated source in the heap (714
 * writers and 11 MB when every response had its own, 57 writers and under 1 MB shared).
 */
function writerCache() {
  const bySchema = new WeakMap<z.ZodType, Writer>();
  const byText = new Map<string, Writer>();
  return (schema: z.ZodType): Writer => {
    let write = bySchema.get(schema);
    if (write) return write;
    const jsonSchema = writerSchema(z.toJSONSchema(schema, { io: 'output', target: 'draft-7', unrepresentable: 'any' }) as Json);
    const text = JSON.stringify(jsonSchema);
    write = byText.get(text);
    if (!write) {
      write = fastJson(jsonSchema as unknown as Parameters<typeof fastJson>[0]) as Writer;
      byText.set(text, write);
    }
    bySchema.set(schema, write);
    return write;
  };
}

export function responseSerializerCompiler(options: { checkResponses: boolean }): FastifySerializerCompiler<unknown> {
  const writerOf = writerCache();
  return (route) => {
    const schema = zodSchemaOf(route.schema);
    const write = writerOf(schema);
    if (!options.checkResponses) return write;
    const check = zodSerializerCompiler({ ...route, schema }) as (data: unknown) => string;
    return (data: unknown) => {
      // Throws ResponseSerializationError (a 500 that names the route) when zod refuses the data.
      const expected = check(data);
      const written = write(data);
      if (!isDeepStrictEqual(JSON.parse(written), JSON.parse(expected))) {
        throw new Error(`${route.method} ${route.url}: the response is written as ${written}, but zod writes ${expected}`);
      }
      return written;
    };
  };
}
