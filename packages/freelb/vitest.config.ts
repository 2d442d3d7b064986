import { backendConfig } from '@advtrain/test-config';

export default backendConfig({ webgpuInclude: ['src/freelb.test.ts'] });
