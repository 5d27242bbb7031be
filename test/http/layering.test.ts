import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * Route plugins validate, authorise and answer; what they read comes from the `reads` and use
 * cases they receive. A route that imported the database layer (even a type) could run its own
 * queries again, or answer with a stored row instead of an API shape.
 */

const ROUTES = path.resolve('src/http/routes');
const DB = path.resolve('src/db');
/** Query builders and drivers: a route that needs one is running a query itself. */
const DRIVERS = ['drizzle-orm', 'pg', '@electric-sql/pglite'];

/** Every module a file names: static imports and re-exports, `import type`, and dynamic imports. */
function specifiersOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

function reachesDatabase(fromDirectory: string, specifier: string): boolean {
  if (specifier.startsWith('.')) {
    const target = path.resolve(fromDirectory, specifier);
    return target === DB || target.startsWith(`${DB}${path.sep}`);
  }
  return /\/db\//.test(specifier) || DRIVERS.some((driver) => specifier === driver || specifier.startsWith(`${driver}/`));
}

describe('route plugins', () => {
  it('tell an import of the database layer from any other', () => {
    const imports = specifiersOf(
      "import type { Db } from '../../db/client.js';\nimport {\n  toCsv,\n} from '../csv.js';\nconst later = () => import('drizzle-orm');\n",
    );
    expect(imports).toEqual(['../../db/client.js', '../csv.js', 'drizzle-orm']);
    expect(imports.map((specifier) => reachesDatabase(ROUTES, specifier))).toEqual([true, false, true]);
  });

  it('import nothing from src/db, nor a query builder', () => {
    const files = readdirSync(ROUTES).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const name of files) {
      const imports = specifiersOf(readFileSync(path.join(ROUTES, name), 'utf8'));
      expect(imports.length, name).toBeGreaterThan(0);
      expect(imports.filter((specifier) => reachesDatabase(ROUTES, specifier)), name).toEqual([]);
    }
  });
});
