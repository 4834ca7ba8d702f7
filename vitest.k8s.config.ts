import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// The Kubernetes kit, checked without a cluster: manifests against the API schema and each other, the Dockerfile.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    env: { TZ: 'UTC' },
    include: ['test/k8s/**/*.spec.ts'],
    root: '.',
  },
});
