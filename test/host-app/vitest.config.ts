import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Vitest's default transform (esbuild) emits no decorator metadata, which Nest's injection needs: SWC does.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: { globals: true, include: ['test/**/*.spec.ts'], fileParallelism: false, testTimeout: 30_000, hookTimeout: 60_000 },
});
