import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (file: string) => fileURLToPath(new URL(`./${file}`, import.meta.url));

// Unit tests import workspace packages from source; end-to-end tests spawn the built binaries.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tether\/protocol$/, replacement: src('protocol/src/index.ts') },
      { find: /^@tether\/pairing$/, replacement: src('pairing/src/index.ts') },
      { find: /^@tether\/gateway$/, replacement: src('gateway/src/index.ts') },
      { find: /^@tether\/gateway\/state-dir$/, replacement: src('gateway/src/state-dir.ts') },
      { find: /^@tether\/gateway\/mcp$/, replacement: src('gateway/src/mcp/index.ts') },
      { find: /^@tether\/node-agent$/, replacement: src('node-agent/src/index.ts') },
    ],
  },
  test: {
    include: ['*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/interop/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
