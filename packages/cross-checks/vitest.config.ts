import { backendConfig } from '@advtrain/test-config';

export default backendConfig({ webgpuInclude: ['src/reductions.test.ts'] });
