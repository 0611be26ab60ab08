import { defineConfig } from "drizzle-kit"

// `npm run db:generate` writes a migration for every change to the core tables.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/storage/tables.ts",
  out: "./migrations"
})
