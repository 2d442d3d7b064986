import { backendConfig } from '@advtrain/test-config';

export default backendConfig({ webgpuInclude: ['src/conformance.test.ts', 'src/probe.test.ts'] });
