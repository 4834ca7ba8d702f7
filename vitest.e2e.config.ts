import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    env: { TZ: 'UTC' },
    fileParallelism: false,
    hookTimeout: 60_000,
    include: ['test/e2e/**/*.e2e-spec.ts', 'test/csi/**/*.e2e-spec.ts'],
    testTimeout: 60_000,
  },
});
