import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real sockets and real handshakes: keep files in separate processes so one
    // file's servers can never answer another file's clients.
    pool: 'forks',
  },
});
