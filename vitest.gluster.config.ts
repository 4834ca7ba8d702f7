import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Tests against a real glusterd: slow (real quota commands, real FUSE writes), so serial and patient.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    env: { TZ: 'UTC' },
    fileParallelism: false,
    globalSetup: ['test/gluster/global-setup.ts'],
    hookTimeout: 180_000,
    include: ['test/gluster/**/*.gluster-spec.ts'],
    testTimeout: 300_000,
  },
});
