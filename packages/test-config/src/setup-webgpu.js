import { useBackend } from './common.js';

// WebGPU in Node goes through Dawn (npm package `webgpu`); without a GPU it runs
// on Chromium's SwiftShader Vulkan ICD (VK_ICD_FILENAMES, see docs/backends.md).
await useBackend('webgpu');
