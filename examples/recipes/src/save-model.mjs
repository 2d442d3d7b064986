import { mkdir, readFile, writeFile } from 'node:fs/promises';
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

/** Reads a model written by {@link saveLayersModel} (or any model.json + one weights file). */
export async function loadLayersModelFrom(dir) {
  const tfl = await import('@tensorflow/tfjs-layers');
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const manifest = json.weightsManifest?.[0];
  if (!json.modelTopology || !manifest || manifest.paths.length !== 1) {
    throw new Error(`reproduce: ${join(dir, 'model.json')} is not a layers model with one weights file.`);
  }
  const bytes = await readFile(join(dir, manifest.paths[0]));
  return tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: manifest.weights,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  }));
}
