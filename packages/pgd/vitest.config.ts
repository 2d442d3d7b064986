import { backendConfig } from '@advtrain/test-config';

export default backendConfig({ webgpuInclude: ['src/pgd.test.ts'] });
