import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from './common.js';

// WebGPU in Node goes through Dawn (npm package `webgpu`); without a GPU it runs
// on Chromium's SwiftShader Vulkan ICD (VK_ICD_FILENAMES, see docs/backends.md).
await useBackend('webgpu');
// By default tfjs-webgpu runs small ops on the CPU while their inputs still live
// there, so results depend on where data happens to be. Tests exercise the GPU kernels.
tf.env().set('WEBGPU_CPU_FORWARD', false);
