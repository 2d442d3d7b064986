import { backendConfig } from '@advtrain/test-config';

export default backendConfig({ webgpuInclude: ['src/yopo-pmp.test.ts'] });
