#!/usr/bin/env node
// Renders one HTML report from the --json files of several runs of one recipe (e.g. one per seed):
//   node examples/recipes/src/render-report.mjs OUT.html RUN.json [RUN.json …]
import { readFile, writeFile } from 'node:fs/promises';
import { runIfEntry } from '@advtrain-examples/kit';
import { renderRecipeReport } from './report.mjs';

export async function main(argv) {
  const [out, ...inputs] = argv;
  if (!out?.endsWith('.html') || !inputs.length) throw new Error('usage: render-report.mjs OUT.html RUN.json [RUN.json …]');
  const summaries = await Promise.all(inputs.map(async (f) => JSON.parse(await readFile(f, 'utf8'))));
  const recipes = new Set(summaries.map((s) => s.recipe));
  if (recipes.size !== 1) throw new Error(`render-report: the files hold different recipes (${[...recipes].join(', ')}); give one recipe's runs.`);
  const first = summaries[0];
  const merged = { ...first, command: summaries.map((s) => s.command).join('; '), runs: summaries.flatMap((s) => s.runs) };
  await writeFile(out, renderRecipeReport(merged));
  console.log(`render-report: wrote ${out} (${merged.runs.length} runs)`);
}

runIfEntry(import.meta, main);
