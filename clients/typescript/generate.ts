import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

/*
 * Writes clients/typescript/src/schema.d.ts from openapi.yaml (`npm run client:generate`).
 * test/clients/generated-client.test.ts calls generateSchema() too and compares with the
 * committed file, so the script and the check cannot disagree.
 *
 * Why not the openapi-typescript CLI: it reads the repository's redocly.yaml, which is there to
 * lint the contract (`npm run lint`), and fails the generation on any error of those stricter
 * rules. Linting is not this script's job: it uses openapi-typescript's own minimal rules.
 */

export const contractUrl = new URL('../../openapi.yaml', import.meta.url);
export const schemaUrl = new URL('./src/schema.d.ts', import.meta.url);

/** The generated types for the contract as it is now, as the file holds them. */
export async function generateSchema(): Promise<string> {
  return COMMENT_HEADER + astToString(await openapiTS(contractUrl, { silent: true }));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(schemaUrl, await generateSchema());
  process.stdout.write('clients/typescript/src/schema.d.ts written from openapi.yaml\n');
}
