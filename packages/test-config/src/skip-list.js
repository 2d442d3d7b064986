// The one list of known backend gaps. Each entry: the backend, a test-name
// pattern, and the reason (with an upstream link where there is one).
// Tests consult it through `skipReason(backend, name)`; nothing else may skip.
export const SKIP_LIST = [
  {
    backend: 'wasm',
    test: /^(free-at|yopo-pmp) .*\(conv net\)/,
    reason: 'tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel; remove once setup-wasm.js calls registerWasmTrainingKernels() from @advtrain/backends',
  },
];

export function skipReason(backend, testName) {
  const hit = SKIP_LIST.find((e) => e.backend === backend && e.test.test(testName));
  return hit ? hit.reason : null;
}

export function currentBackend() {
  return process.env.ADVTRAIN_TEST_BACKEND ?? 'cpu';
}
