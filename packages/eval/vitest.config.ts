import { backendConfig } from '@advtrain/test-config';

export default backendConfig({ webgpuInclude: ['src/attacks.test.ts'] });
