import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateSchema, schemaUrl } from '../../clients/typescript/generate.js';

/*
 * The TypeScript client's types are generated from openapi.yaml and committed: CI fails when
 * the contract changed and they were not generated again. generateSchema() is what
 * `npm run client:generate` writes (openapi-typescript's openapiTS and astToString).
 */
describe('the generated TypeScript client types', () => {
  it('are up to date with openapi.yaml', async () => {
    const committed = await readFile(schemaUrl, 'utf8');
    const generated = await generateSchema();
    if (committed !== generated) {
      const [was, now] = [committed.split('\n'), generated.split('\n')];
      const line = was.findIndex((text, index) => text !== now[index]);
      expect.fail(
        'clients/typescript/src/schema.d.ts is stale: run `npm run client:generate` and commit the result ' +
          `(first difference at line ${(line < 0 ? was.length : line) + 1}: ${JSON.stringify(now[line < 0 ? was.length : line] ?? '')})`,
      );
    }
  });
});
