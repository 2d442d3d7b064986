import { backendConfig } from '@advtrain/test-config';

export default backendConfig({ webgpuInclude: ['src/attacks.test.ts', 'src/dlr-loss.test.ts', 'src/apgd.test.ts', 'src/fab.test.ts', 'src/square.test.ts', 'src/auto-attack.test.ts'] });
