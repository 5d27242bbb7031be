import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Each file gets its own database, so files run in parallel.
    pool: 'forks',
    // Several tests start a service on the embedded database (WASM PostgreSQL and every migration),
    // which takes tens of seconds when the machine is busy.
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
