import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Suites that spawn processes or fill databases need more than the default 5 s on a busy machine.
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
