import { defineConfig } from 'drizzle-kit';

// Generates SQL migrations from the schema; the service applies them at startup.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
  strict: true,
  verbose: true,
});
