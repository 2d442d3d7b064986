#!/usr/bin/env node
// One process of a parallel evaluation (see parallel-eval.mjs). Its task comes
// as JSON in argv[2]; its result goes as JSON to the task's `out` file.
import { writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { prepareBackend } from '@advtrain/backends';
import { layersModelView, mixSeed } from '@advtrain/core';
import { autoAttack, evaluateProtocol } from '@advtrain/eval';
import { runIfEntry } from '@advtrain-examples/kit';
import { loadMnist } from '@advtrain-examples/mnist-robustness/idx';
import { RECIPES } from './recipes.mjs';
import { loadLayersModelFrom } from './save-model.mjs';

/** Runs `task.kind` ('protocol' or 'autoattack') on each of `task.ranges` of the test set; one result per range. */
export async function runTask(task) {
  // One process per core: each runs one wasm thread.
  await prepareBackend(task.backend, task.backend === 'wasm' ? { threads: 1 } : {});
  const recipe = RECIPES[task.recipe];
  const model = await loadLayersModelFrom(task.dir);
  const view = layersModelView(model, { validRange: [0, 1] });
  const end = Math.max(...task.ranges.map((r) => r.start + r.count));
  const all = await loadMnist('test', end);
  const cpu0 = process.cpuUsage();
  const results = [];
  for (const [i, { start, count }] of task.ranges.entries()) {
    const data = { x: tf.slice(all.x, start, count), y: tf.slice(all.y, start, count) };
    const progress = task.progress && i === 0;
    const t0 = performance.now();
    if (task.kind === 'protocol') {
      const protocol = task.attack ? { ...recipe.evaluation, attack: task.attack } : recipe.evaluation;
      const r = await evaluateProtocol(view, data, protocol, { batchSize: task.batchSize, progress });
      results.push({ start, count, clean: Math.round(r.clean * r.total), correct: r.correct, attack: r.attack, seconds: (performance.now() - t0) / 1000 });
    } else {
      // Seeded by the range's first image, so a given split of the images always draws the same numbers.
      const r = await autoAttack(view, data, { epsilon: recipe.epsilon, norm: 'linf', version: 'standard', batchSize: task.batchSize,
        seed: mixSeed(task.seed, start), progress });
      const survivors = Object.fromEntries(Object.entries(r.accuracyAfter).map(([k, v]) => [k, Math.round(v * r.total)]));
      results.push({ start, count, clean: Math.round(r.clean * r.total), correct: r.correct, survivors, attackSeconds: r.seconds,
        seconds: (performance.now() - t0) / 1000 });
    }
    tf.dispose([data.x, data.y]);
  }
  const cpu = process.cpuUsage(cpu0);
  tf.dispose([all.x, all.y]);
  model.dispose();
  return { results, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

runIfEntry(import.meta, async ([json]) => {
  const task = JSON.parse(json);
  await writeFile(task.out, JSON.stringify(await runTask(task)));
});
