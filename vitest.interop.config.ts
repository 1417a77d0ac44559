import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The interop suite runs against the real OpenClaw packages (installed on first run into
// ~/.cache/tether-interop). Its processes are heavy, so files run one at a time.
export default defineConfig({
  resolve: base.resolve,
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
