// The preset is imported by path, not as a dependency: @advtrain/test-config prepares backends with
// @advtrain/backends, which depends on core, and a dependency back on it would close a cycle in the
// workspace graph. turbo.json builds @advtrain/backends before core's tests instead.
import { backendConfig } from '../test-config/src/index.js';

export default backendConfig({ webgpuInclude: ['src/conformance.test.ts', 'src/probe.test.ts'] });
