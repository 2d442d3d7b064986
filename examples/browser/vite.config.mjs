import { defineConfig } from 'vite';

// The page is served from any folder (relative base); dist/ also gets the wasm binaries and the
// MNIST subset from scripts/assets.mjs, so the built page needs no network at run time.
export default defineConfig({
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
  },
});
