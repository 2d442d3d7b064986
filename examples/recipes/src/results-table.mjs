#!/usr/bin/env node
// Prints the Markdown rows of docs/results.md from the --json files of `pnpm reproduce` runs:
//   node examples/recipes/src/results-table.mjs RUN.json [RUN.json …]
import { readFile } from 'node:fs/promises';
import { runIfEntry } from '@advtrain-examples/kit';

const pct = (v) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)} %`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};

/** One row per recipe: the paper, each seed (robust / clean), the median, training and evaluation time. */
export function resultRows(summaries) {
  const byRecipe = new Map();
  // `--evaluate` summaries (a saved model evaluated again) lend their AutoAttack figures to the run of the
  // same recipe whose seed ends the model's folder name (…seed0, …/seed-1).
  const evaluated = summaries.filter((s) => !s.runs && s.autoAttack);
  for (const s of summaries.filter((x) => x.runs)) {
    const entry = byRecipe.get(s.recipe) ?? { summary: s, runs: [] };
    entry.runs.push(...s.runs);
    byRecipe.set(s.recipe, entry);
  }
  const lines = ['| recipe | paper (PGD) | seed: PGD-50 × 10 / clean | median PGD-50 × 10 | median clean | training | AutoAttack vs PGD-50 × 10 on the first test images |',
    '|---|---|---|---|---|---|---|'];
  for (const [recipe, { summary, runs }] of byRecipe) {
    runs.sort((a, b) => a.seed - b.seed);
    for (const e of evaluated.filter((x) => x.recipe === recipe)) {
      const seed = Number(/seed-?(\d+)\/?$/.exec(e.model)?.[1]);
      const run = runs.find((r) => r.seed === seed);
      if (run && !run.autoAttack) run.autoAttack = e.autoAttack;
    }
    const seeds = runs.map((r) => `${r.seed}: ${pct(r.robust)} / ${pct(r.clean)}`).join('<br>');
    const minutes = runs.map((r) => r.trainMinutes.toFixed(1)).join(', ');
    const aa = runs.filter((r) => r.autoAttack).map((r) => `${r.seed}: ${pct(r.autoAttack.accuracy)} vs ${pct(r.autoAttack.pgd)} on ${r.autoAttack.images} (AutoAttack ${r.autoAttack.seconds.toFixed(0)} s)`).join('<br>') || '–';
    lines.push(`| \`${recipe}\` | ${pct(summary.paper.robust)} | ${seeds} | ${pct(median(runs.map((r) => r.robust)))} | ${pct(median(runs.map((r) => r.clean)))} | ${minutes} min | ${aa} |`);
  }
  return lines.join('\n');
}

export async function main(argv) {
  if (!argv.length) throw new Error('usage: results-table.mjs RUN.json [RUN.json …]');
  console.log(resultRows(await Promise.all(argv.map(async (f) => JSON.parse(await readFile(f, 'utf8'))))));
}

runIfEntry(import.meta, main);
