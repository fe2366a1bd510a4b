import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'memory', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
      // The protocol, routing and limits once more with the gateway on the Redis bus and read model
      // (the shared Redis at 127.0.0.1:6379, each server under its own key prefix).
      { extends: true, test: { name: 'redis-bus', include: ['test/gateway/**/*.test.ts', 'test/security/**/*.test.ts'], env: { TEST_BUS: 'redis' } } },
    ],
  },
})
