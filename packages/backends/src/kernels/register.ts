import { registerAdvtrainGradients } from '@advtrain/core';
import { engine, getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './BatchMatMul.js';
import { addConfig, multiplyConfig, subConfig } from './BroadcastBinary.js';
import { clipByValueGradConfig } from './ClipByValueGrad.js';
import { reluGradConfig } from './ReluGrad.js';
import { conv2DSimdConfig } from './Conv2D.js';
import { conv2DBackpropFilterConfig, conv2DBackpropFilterSimdConfig } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { conv2DBackpropInputSimdConfig } from './Conv2DBackpropInputSimd.js';
import { conv2DBackpropInputSubPixelConfig } from './Conv2DBackpropInputSubPixel.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput.js';
import { gatherV2Config } from './GatherV2.js';
import { castConfig, identityConfig, transposeConfig } from './Identity.js';
import { maxPoolGradConfig } from './MaxPoolGrad.js';
import { signConfig } from './Sign.js';
import { meanConfig, sumConfig } from './Sum.js';
import { tileConfig } from './Tile.js';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum.js';
import { DELTA_UPDATE_KERNELS } from './DeltaUpdates.js';
import { setSimdKernelsEnabled, simdKernelsOf } from './simd/module.js';
import { originalWasmKernels } from './wasm-ops.js';

/** Options of {@link registerWasmTrainingKernels}: which implementation each replaced kernel uses (the defaults are the fastest). */
export interface WasmTrainingKernelOptions {
  /**
   * Which Conv2DBackpropInput to use: 'simd' (default) runs our WebAssembly SIMD scatter kernel where
   * `prepareBackend` loaded it (any float32 shape), else 'sub-pixel'; 'sub-pixel'
   * runs it as one XNNPACK conv2d over the undilated dy with every stride phase as output channels;
   * 'conv2d' as one XNNPACK conv2d over the zero-dilated dy (s² times the work); 'native' keeps
   * tfjs-backend-wasm's own loop. The last three are kept for measuring.
   */
  conv2dBackpropInput?: Conv2dBackpropInputMode;
  /**
   * Which Conv2DBackpropFilter to use (tfjs-backend-wasm 4.22 has none): 'simd' (default) runs our
   * WebAssembly SIMD kernel where `prepareBackend` loaded it and C_out is a multiple of 4, else
   * 'conv2d', one XNNPACK conv2d over transposed inputs.
   */
  conv2dBackpropFilter?: Conv2dBackpropFilterMode;
  /**
   * Whether our WebAssembly SIMD kernels (Conv2D and its gradients, matMul, MaxPool, Sign, ClipByValue and Relu gradients,
   * Add / Sub / Multiply with a repeated operand, @advtrain/core's fused δ updates) may run where
   * `prepareBackend('wasm')` loaded them (default true). false makes every one of those kernels take its
   * XNNPACK composition or tfjs's own kernel, and core compose its δ updates: for measuring, or to rule them
   * out when debugging.
   */
  simd?: boolean;
  /**
   * Which BatchMatMul to use when an operand is transposed: 'transpose-first' (default) transposes it
   * natively and uses XNNPACK, 'native' keeps tfjs-backend-wasm's scalar loop (kept for measuring).
   */
  batchMatMul?: 'transpose-first' | 'native';
}

/** How Conv2DBackpropInput runs on wasm: our SIMD kernel (default), one sub-pixel XNNPACK conv2d, a conv2d over the zero-dilated dy, or tfjs-backend-wasm's own kernel. */
export type Conv2dBackpropInputMode = 'simd' | 'sub-pixel' | 'conv2d' | 'native';
/** How Conv2DBackpropFilter runs on wasm: our SIMD kernel (default) or one XNNPACK conv2d. */
export type Conv2dBackpropFilterMode = 'simd' | 'conv2d';
const DX_CONFIGS: Record<Exclude<Conv2dBackpropInputMode, 'native'>, KernelConfig> = {
  simd: conv2DBackpropInputSimdConfig,
  'sub-pixel': conv2DBackpropInputSubPixelConfig,
  conv2d: conv2DBackpropInputConfig,
};

const DW_CONFIGS: Record<Conv2dBackpropFilterMode, KernelConfig> = {
  simd: conv2DBackpropFilterSimdConfig,
  conv2d: conv2DBackpropFilterConfig,
};

/** Kernels tfjs-backend-wasm 4.22 lacks; we add them only where none is registered. */
const MISSING: readonly KernelConfig[] = [
  clipByValueGradConfig,
  reluGradConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
];

/** Every kernel name this package may register for 'wasm'. */
export const WASM_TRAINING_KERNELS: readonly string[] = [
  conv2DBackpropFilterConfig.kernelName,
  ...MISSING.map((k) => k.kernelName),
  maxPoolGradConfig.kernelName,
  conv2DSimdConfig.kernelName,
  conv2DBackpropInputConfig.kernelName,
  batchMatMulConfig.kernelName,
  identityConfig.kernelName,
  castConfig.kernelName,
  gatherV2Config.kernelName,
  transposeConfig.kernelName,
  sumConfig.kernelName,
  meanConfig.kernelName,
  signConfig.kernelName,
  tileConfig.kernelName,
  addConfig.kernelName,
  subConfig.kernelName,
  multiplyConfig.kernelName,
  ...DELTA_UPDATE_KERNELS.map((k) => k.kernelName),
];

/** The configs currently registered by us, by kernel name. */
const active = new Map<string, KernelConfig>();

function isOurs(name: string): boolean {
  const current = getKernel(name, 'wasm');
  return current !== undefined && current === active.get(name);
}

function replace(config: KernelConfig): void {
  const name = config.kernelName;
  if (isOurs(name) && active.get(name)!.kernelFunc === config.kernelFunc) return;
  if (isOurs(name)) restore(name);
  const original = getKernel(name, 'wasm');
  if (original === undefined) return;
  originalWasmKernels.set(name, original);
  unregisterKernel(name, 'wasm');
  // The original's setupFunc must stay registered: it binds the wasm function our wrapper calls.
  const ours: KernelConfig = original.setupFunc === undefined ? config : { ...config, setupFunc: original.setupFunc };
  registerKernel(ours);
  active.set(name, ours);
}

function restore(name: string): void {
  const original = originalWasmKernels.get(name);
  if (isOurs(name)) unregisterKernel(name, 'wasm');
  active.delete(name);
  if (original !== undefined) {
    if (getKernel(name, 'wasm') === undefined) registerKernel(original);
    originalWasmKernels.delete(name);
  }
}

/** Registers a kernel tfjs-backend-wasm lacks, or switches between our implementations of it. */
function addOrSwitch(config: KernelConfig): void {
  const name = config.kernelName;
  if (isOurs(name)) {
    if (active.get(name)!.kernelFunc === config.kernelFunc) return;
    unregisterKernel(name, 'wasm');
    active.delete(name);
  }
  if (getKernel(name, 'wasm') !== undefined) return;
  registerKernel(config);
  active.set(name, config);
}

/**
 * Registers the training kernels tfjs-backend-wasm 4.22 lacks or gets wrong. Idempotent; a later
 * call with different options switches implementations. Returns the kernel names now served by us.
 * Works before or after the wasm backend is initialised.
 */
export function registerWasmTrainingKernels(options: WasmTrainingKernelOptions = {}): string[] {
  const mode = options.conv2dBackpropInput ?? 'simd';
  if (mode !== 'simd' && mode !== 'sub-pixel' && mode !== 'conv2d' && mode !== 'native') {
    throw new TypeError('@advtrain/backends: option "conv2dBackpropInput" must be \'simd\', \'sub-pixel\', \'conv2d\' or '
      + `'native' (received ${JSON.stringify(mode)}).`);
  }
  const simd = options.simd ?? true;
  if (typeof simd !== 'boolean') {
    throw new TypeError(`@advtrain/backends: option "simd" must be true or false (received ${JSON.stringify(simd)}).`);
  }
  const filterMode = options.conv2dBackpropFilter ?? 'simd';
  if (filterMode !== 'simd' && filterMode !== 'conv2d') {
    throw new TypeError('@advtrain/backends: option "conv2dBackpropFilter" must be \'simd\' or \'conv2d\' '
      + `(received ${JSON.stringify(filterMode)}).`);
  }
  const matMulMode = options.batchMatMul ?? 'transpose-first';
  if (matMulMode !== 'transpose-first' && matMulMode !== 'native') {
    throw new TypeError(
      `@advtrain/backends: option "batchMatMul" must be 'transpose-first' or 'native' (received ${JSON.stringify(matMulMode)}).`);
  }
  for (const config of MISSING) addOrSwitch(config);
  setSimdKernelsEnabled(simd);
  addOrSwitch(DW_CONFIGS[filterMode]);
  replace(maxPoolGradConfig);
  replace(conv2DSimdConfig);
  replace(identityConfig);
  replace(castConfig);
  replace(gatherV2Config);
  replace(transposeConfig);
  replace(sumConfig);
  replace(meanConfig);
  replace(signConfig);
  replace(tileConfig);
  for (const config of [addConfig, subConfig, multiplyConfig]) replace(config);
  if (mode !== 'native') replace(DX_CONFIGS[mode]);
  else restore(conv2DBackpropInputConfig.kernelName);
  if (matMulMode === 'transpose-first') replace(batchMatMulConfig);
  else restore(batchMatMulConfig.kernelName);
  syncDeltaUpdateKernels();
  return wasmKernelsServedByUs();
}

/** The names of the wasm kernels registered by this package now. */
export function wasmKernelsServedByUs(): string[] {
  return WASM_TRAINING_KERNELS.filter(isOurs);
}

/**
 * Registers @advtrain/core's fused δ-update kernels for wasm while our SIMD module serves the
 * initialised wasm backend (and `simd` is on), with core's gradients for them
 * (`registerAdvtrainGradients`, idempotent), and removes the kernels otherwise, so that core composes
 * tfjs ops instead. Called after registration and after the module loads.
 */
export function syncDeltaUpdateKernels(): void {
  // The registry, not findBackend: findBackend would start initialising a backend not yet made.
  const wasm = (engine() as unknown as { registry: Record<string, object | undefined> }).registry.wasm;
  const on = wasm !== undefined && simdKernelsOf(wasm) !== undefined;
  if (on) registerAdvtrainGradients();
  for (const config of DELTA_UPDATE_KERNELS) {
    if (on) addOrSwitch(config);
    else restore(config.kernelName);
  }
}

/** Removes every kernel registered by `registerWasmTrainingKernels` and puts the originals back. */
export function unregisterWasmTrainingKernels(): void {
  for (const name of WASM_TRAINING_KERNELS) restore(name);
}
