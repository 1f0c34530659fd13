import { defineConfig } from 'drizzle-kit';

// Tables are unqualified: at run time the connection's search_path is the `users` schema.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
