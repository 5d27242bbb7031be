import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateOpenApiYaml } from '../../src/http/openapi.js';

describe('openapi.yaml', () => {
  it('is exactly what the route schemas produce (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync('openapi.yaml', 'utf8');
    expect(committed).toBe(await generateOpenApiYaml());
  });

  it('documents every operation with an id, problem responses and a security requirement', () => {
    const document = parse(readFileSync('openapi.yaml', 'utf8'));
    const operations = Object.entries(document.paths as Record<string, Record<string, Record<string, unknown>>>).flatMap(
      ([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(16);
    for (const { path, method, operation } of operations) {
      expect(operation.operationId, `${method} ${path}`).toEqual(expect.any(String));
      expect(operation.security, `${method} ${path}`).toBeDefined();
      const responses = operation.responses as Record<string, { content?: Record<string, unknown> }>;
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400) {
          expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toContain('application/problem+json');
        }
      }
    }
  });
});
