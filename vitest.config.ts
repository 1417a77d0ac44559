import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./${pkg}/src/index.ts`, import.meta.url));

// Unit tests import workspace packages from source; end-to-end tests spawn the built binaries.
export default defineConfig({
  resolve: {
    alias: {
      '@tether/protocol': src('protocol'),
      '@tether/pairing': src('pairing'),
      '@tether/gateway': src('gateway'),
      '@tether/node-agent': src('node-agent'),
    },
  },
  test: {
    include: ['*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/interop/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
