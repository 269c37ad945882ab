import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * Used by scripts/bench.mjs (`npm run bench [-- filter]`): every benchmark under bench/, against the
 * same real servers as the tests. Prints tinybench's table and writes bench-results/latest.json.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: [],
      benchmark: { include: ['bench/**/*.bench.ts'], outputJson: 'bench-results/latest.json' },
      fileParallelism: false,
      maxWorkers: 1,
      testTimeout: 600_000,
      hookTimeout: 300_000,
    },
  }),
);
