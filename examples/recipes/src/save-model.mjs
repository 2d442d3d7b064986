import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Writes `model` as `DIR/model.json` + `DIR/weights.bin`, the layout
 * `tf.loadLayersModel` reads (in Node without tfjs-node there is no `file://`
 * handler, so this is the handler). Weights are read asynchronously.
 */
export async function saveLayersModel(model, dir) {
  await mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    // tfjs may hand the weights over as one buffer or as several.
    const parts = [artifacts.weightData].flat().map((b) => new Uint8Array(b));
    const weights = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((offset, p) => { weights.set(p, offset); return offset + p.length; }, 0);
    await writeFile(join(dir, 'weights.bin'), weights);
    const json = {
      modelTopology: artifacts.modelTopology, format: 'layers-model', generatedBy: artifacts.generatedBy,
      convertedBy: null, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    await writeFile(join(dir, 'model.json'), `${JSON.stringify(json)}\n`);
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
  }));
}
