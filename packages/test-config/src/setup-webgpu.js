import '@tensorflow/tfjs-backend-cpu';
import { useBackend } from './common.js';

// WebGPU in Node goes through Dawn (npm package `webgpu`); on machines without
// a GPU it needs SwiftShader's Vulkan ICD (see docs/backends.md).
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
if (!globalThis.navigator) globalThis.navigator = {};
if (!globalThis.navigator.gpu) Object.defineProperty(globalThis.navigator, 'gpu', { value: create([]), configurable: true });
await import('@tensorflow/tfjs-backend-webgpu');
await useBackend('webgpu');
