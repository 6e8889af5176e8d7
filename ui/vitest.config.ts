// Unit tests of the pure TypeScript modules (time, labels, errors), in Node without a window.
// They run in a time zone far from China's, so anything that leaks the PC's zone shows.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: { include: ['src/**/*.test.ts'], environment: 'node', env: { TZ: 'America/Los_Angeles' } },
})
