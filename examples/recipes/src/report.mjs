import { esc, linePlot } from '@advtrain-examples/kit';

const pct = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : `${(100 * v).toFixed(1)} %`);

/**
 * A self-contained HTML page for one recipe: the paper's row next to every
 * seed's result, and clean and PGD accuracy on the held-out images against
 * training time for each seed (from the robustness monitor's checks).
 */
export function renderRecipeReport(summary) {
  const series = summary.runs.flatMap((r) => [
    { name: `seed ${r.seed} clean`, points: r.checks.filter((c) => c.heldOutClean !== null).map((c) => [c.trainSeconds / 60, c.heldOutClean]) },
    { name: `seed ${r.seed} PGD`, dashed: true, points: r.checks.filter((c) => c.heldOut !== null).map((c) => [c.trainSeconds / 60, c.heldOut]) },
  ]);
  const aa = (r) => (r.autoAttack ? `${pct(r.autoAttack.accuracy)} (PGD ${pct(r.autoAttack.pgd)}, first ${r.autoAttack.images})` : '–');
  const rows = summary.runs.map((r) => `<tr><td>ours, seed ${r.seed}</td><td>${pct(r.clean)}</td><td>${pct(r.robust)}</td><td>${aa(r)}</td><td>${r.trainMinutes.toFixed(1)} min</td><td>${r.minibatches}</td><td>${r.restoredStep ?? '–'}</td></tr>`);
  const warnings = summary.runs.flatMap((r) => r.warnings.map((w) => `<li><b>seed ${r.seed}</b>: ${esc(w)}</li>`));
  const s = summary.setup;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(summary.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 60em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
td:first-child { text-align: left; }
</style>
</head>
<body>
<h1>${esc(summary.title)}</h1>
<p>${esc(summary.paper.citation)}. Reference code: ${esc(summary.reference)}.</p>
<p>ε = ${s.epsilon}, batch ${s.batchSize}, ${esc(s.optimizer)}, learning rate ${esc(s.schedule)}, ${esc(s.init)} initialisation;
${s.trainImages} training images (${s.heldOutImages} more held out for the monitor); evaluation ${esc(s.evaluation)} on ${s.testImages} test images.
Backend <code>${esc(summary.backend)}</code> (${esc(summary.device)}). Command: <code>${esc(summary.command)}</code>.</p>
<table>
<thead><tr><th></th><th>clean</th><th>robust</th><th>AutoAttack</th><th>training time</th><th>minibatches</th><th>best weights from step</th></tr></thead>
<tbody>
<tr><td>paper</td><td>${pct(summary.paper.clean)}</td><td>${pct(summary.paper.robust)}</td><td>–</td><td>–</td><td>–</td><td>–</td></tr>
${rows.join('\n')}
</tbody>
</table>
<figure>
${linePlot({ title: 'Held-out accuracy against training time', xLabel: 'training time (min)', series })}
<figcaption>Solid: clean accuracy; dashed: PGD accuracy at ε = ${s.epsilon}, on the held-out training images, at each monitor check.</figcaption>
</figure>
<h2>Monitor</h2>
${warnings.length ? `<ul>\n${warnings.join('\n')}\n</ul>` : '<p>No warnings: no seed was robust to FGSM but not to PGD, no PGD accuracy collapsed, none exceeded clean accuracy.</p>'}
</body>
</html>
`;
}
