// The one list of known backend gaps. Each entry: the backend, a test-name
// pattern, and the reason (with an upstream link where there is one).
// Tests consult it through `skipReason(backend, name)`; nothing else may skip.
export const SKIP_LIST = [
  {
    backend: 'webgpu',
    test: /^free-at oracle 3 .*with Adam resumes bit-identically/,
    reason: "tfjs Adam.setWeights recomputes accBeta as pow(β, t+1), while a running Adam multiplies by β each step; "
      + 'webgpu rounds the two differently, so a resumed Adam run differs in the last bits there. '
      + 'Exact resume is tested on cpu and wasm, and with SGD (the conformance kit) on webgpu.',
  },
];

export function skipReason(backend, testName) {
  const hit = SKIP_LIST.find((e) => e.backend === backend && e.test.test(testName));
  return hit ? hit.reason : null;
}

export function currentBackend() {
  return process.env.ADVTRAIN_TEST_BACKEND ?? 'cpu';
}
