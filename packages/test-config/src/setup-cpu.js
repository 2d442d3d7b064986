import { useBackend } from './common.js';

await useBackend('cpu');
