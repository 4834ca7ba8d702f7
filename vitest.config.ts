import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    env: { TZ: 'UTC' },
    include: ['src/**/*.spec.ts', 'test/fakes/**/*.spec.ts'],
    root: '.',
  },
});
