import { defineConfig } from 'vitest/config';
import SlowSuitesFirst from './test/sequencer.ts';

export default defineConfig({
  // `alb-warden/cdk` resolves to the constructs' sources, as in cdk.json's app (package.json `exports`); the
  // rest are Vitest's own defaults (Vite's server conditions without `module`).
  ssr: { resolve: { conditions: ['alb-warden:source', 'node', 'development|production'] } },
  test: {
    // The Lambda bundles, built once per run into dist/ for every test that runs what ships.
    globalSetup: ['test/global-setup.ts'],
    // A fresh clone has no timings to order the files by: the slow suites first (test/sequencer.ts).
    sequence: { sequencer: SlowSuitesFirst },
    // Vitest's default on two cores is one worker (cores - 1). Most files wait on loopback HTTP to the
    // simulator, so one worker per core keeps both busy.
    maxWorkers: 2,
    // Integration tests run a simulator and real SDK clients on a shared two-core machine: allow for it.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: ['test/demo/**'],
          // A worker runs file after file: the SDK, the simulator and CDK are imported (and the shared synth
          // outputs built) once per worker instead of once per file. A file that patches something global
          // puts it back (the SDK client mocks are restored after their files).
          isolate: false,
        },
      },
      {
        extends: true,
        // The demo runs the real handlers once per process, as a Lambda execution environment: one per file.
        test: { name: 'demo', include: ['test/demo/**/*.test.ts'] },
      },
    ],
  },
});
