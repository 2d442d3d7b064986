import { backendConfig } from '@advtrain/test-config';

export default backendConfig();
