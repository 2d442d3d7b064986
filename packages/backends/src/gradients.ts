import { getGradient } from '@tensorflow/tfjs-core';
import { BackendError } from './errors.js';
import { defaultImporter, type ModuleImporter } from './importer.js';

/**
 * tfjs-core registers no gradients; tfjs-layers' bundle registers all of them into the global
 * registry shared by every tfjs-core copy. Returns true if this call loaded them.
 */
export async function ensureGradients(importModule: ModuleImporter = defaultImporter): Promise<boolean> {
  if (getGradient('Sum') !== undefined) return false;
  try {
    await importModule('@tensorflow/tfjs-layers');
  } catch (cause) {
    throw new BackendError('ADVTRAIN_BACKEND_PACKAGE_MISSING',
      '@advtrain/backends: gradients need the package @tensorflow/tfjs-layers (it registers tfjs gradient functions); ' +
      'install it with: npm install @tensorflow/tfjs-layers@4.22.0', { backend: undefined, packageName: '@tensorflow/tfjs-layers', cause });
  }
  return getGradient('Sum') !== undefined;
}
