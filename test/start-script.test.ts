import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startFlags } from './helpers/process.js';

// The container runs the service as `npm start` does: the same node flags (memory settings).
describe('the start command', () => {
  it('gives node the same flags in package.json and in the Dockerfile', () => {
    const command = /^CMD (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    expect(command).toBeDefined();
    const words = JSON.parse(command!) as string[];
    expect(words[0]).toBe('node');
    expect(words.at(-1)).toBe('dist/src/server.js');
    expect(words.slice(1, -1)).toEqual(startFlags());
    expect(startFlags()).toEqual(expect.arrayContaining(['--max-semi-space-size=16', '--heap-growing-percent=50']));
  });
});
