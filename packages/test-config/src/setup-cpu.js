import '@tensorflow/tfjs-backend-cpu';
import { useBackend } from './common.js';

await useBackend('cpu');
