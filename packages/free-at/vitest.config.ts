import { backendConfig } from '@advtrain/test-config';

export default backendConfig({ webgpuInclude: ['src/free-at.test.ts'] });
