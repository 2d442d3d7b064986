// The pthread worker script that tfjs-backend-wasm 4.x ships as a CommonJS string export.
declare module '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js' {
  export const wasmWorkerContents: string;
}
