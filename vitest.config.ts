import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests run a simulator and real SDK clients on a shared two-core machine: allow for it.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
