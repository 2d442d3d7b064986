import { defineConfig } from 'vitest/config';

// One process switches backends itself (cpu → wasm → webgpu), so no per-backend projects here.
export default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 300_000 } });
