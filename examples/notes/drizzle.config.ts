import { defineConfig } from "drizzle-kit"

// `npm run db:generate:notes` writes a migration for every change to the notes table.
export default defineConfig({
  dialect: "sqlite",
  schema: "./examples/notes/table.ts",
  out: "./examples/notes/migrations"
})
