/**
 * The zod type provider documents every registered schema twice (as request input and as
 * response output); only the variants some operation refers to belong in the contract.
 */
export type OpenApiDocument = {
  components?: { schemas?: Record<string, unknown>; [key: string]: unknown };
  [key: string]: unknown;
};

export function withoutUnusedSchemas(document: OpenApiDocument): OpenApiDocument {
  const schemas = document.components?.schemas;
  if (!schemas) {
    return document;
  }
  const { components, ...rest } = document;
  const used = new Set<string>();
  const pending = [...referencedSchemas(rest)];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (!used.has(name) && schemas[name] !== undefined) {
      used.add(name);
      pending.push(...referencedSchemas(schemas[name]));
    }
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...document, components: { ...components, schemas: kept } };
}

function referencedSchemas(value: unknown): string[] {
  const text = JSON.stringify(value) ?? '';
  return [...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1]!);
}
