import { backendConfig } from '@advtrain/test-config';

export default backendConfig({ webgpuInclude: ['src/smart-regularizer.test.ts'] });
