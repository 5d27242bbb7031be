// Builds the web client into dist/web: one bundle and one stylesheet, named by content hash,
// and index.html pointing at them. `npm run build` runs it; so does the browser test.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultOut = path.join(here, '..', 'dist', 'web');

/** Builds into `out` (dist/web by default; tests build into a directory of their own). */
export async function buildWeb(out = defaultOut) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: [path.join(here, 'src', 'main.tsx'), path.join(here, 'src', 'styles.css')],
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: out,
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const script = outputs.find((file) => file.startsWith('main-') && file.endsWith('.js'));
  const style = outputs.find((file) => file.startsWith('styles-') && file.endsWith('.css'));
  const html = readFileSync(path.join(here, 'index.html'), 'utf8').replace('%SCRIPT%', script).replace('%STYLE%', style);
  writeFileSync(path.join(out, 'index.html'), html);
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWeb(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
}
