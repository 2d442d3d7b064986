import { esc, linePlot } from './svg.mjs';

const pct = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : `${(100 * v).toFixed(1)} %`);

/**
 * A self-contained HTML report of a summary written by `runExperiment`:
 * accuracy against training wall-clock time (clean solid, robust dashed) and
 * robust accuracy against ε, for every strategy, plus a table and warnings.
 */
export function renderReport(summary) {
  const runs = summary.runs;
  const timeSeries = runs.flatMap((r) => [
    { name: `${r.strategy} clean`, points: r.timeline.map((p) => [p.trainSeconds, p.clean]) },
    { name: `${r.strategy} ${summary.timelineAttack}`, dashed: true, points: r.timeline.map((p) => [p.trainSeconds, p.robust]) },
  ]);
  const curveSeries = runs.map((r) => ({ name: r.strategy, points: r.curve.map((p) => [p.epsilon, p.accuracy]) }));
  const heads = summary.reportEpsilons.map((e) => `<th>PGD ε = ${e}</th>`).join('');
  const rows = runs.map((r) => `<tr><td>${esc(r.strategy)}</td><td><code>${esc(r.description)}</code></td><td>${r.epochs}</td><td>${r.steps}</td><td>${r.trainSeconds.toFixed(1)} s</td><td>${pct(r.clean)}</td>${summary.reportEpsilons.map((e) => `<td>${pct(r.robust[String(e)])}</td>`).join('')}</tr>`).join('\n');
  const warnings = runs.flatMap((r) => r.warnings.map((w) => `<li><b>${esc(r.strategy)}</b>: ${esc(w)}</li>`));
  const strong = runs.filter((r) => r.autoAttack).map((r) => `<tr><td>${esc(r.strategy)}</td><td>${r.autoAttack.images}</td><td>${r.autoAttack.epsilon}</td><td>${pct(r.autoAttack.pgd)}</td><td>${r.autoAttack.pgdSeconds.toFixed(1)} s</td><td>${pct(r.autoAttack.accuracy)}</td><td>${r.autoAttack.seconds.toFixed(1)} s</td></tr>`);
  const strongTable = strong.length ? `<h2>AutoAttack next to PGD</h2>
<table>
<thead><tr><th>strategy</th><th>test examples</th><th>ε</th><th>PGD</th><th>its time</th><th>AutoAttack (standard)</th><th>its time</th></tr></thead>
<tbody>
${strong.join('\n')}
</tbody>
</table>
` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(summary.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
td:first-child, td:nth-child(2) { text-align: left; }
figure { display: inline-block; margin: 0 1em 1em 0; }
</style>
</head>
<body>
<h1>${esc(summary.title)}</h1>
<p>Backend <code>${esc(summary.backend)}</code> (${esc(summary.device)}); ${summary.options.trainSize} training and ${summary.options.testSize} test examples; evaluation attack ${esc(summary.evalAttack)}. Generated ${esc(summary.finishedAt)}.</p>
<table>
<thead><tr><th>strategy</th><th>configuration</th><th>epochs</th><th>steps</th><th>training time</th><th>clean</th>${heads}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
<figure>
${linePlot({ title: 'Accuracy against training time', xLabel: 'training wall-clock time (s)', series: timeSeries })}
<figcaption>Solid: clean accuracy; dashed: ${esc(summary.timelineAttack)} (on ${summary.timelineSize} test examples).</figcaption>
</figure>
<figure>
${linePlot({ title: 'Robust accuracy against ε', xLabel: 'ε', series: curveSeries })}
<figcaption>${esc(summary.evalAttack)} at each ε (ε = 0 is clean accuracy).</figcaption>
</figure>
${strongTable}<h2>Sanity checks</h2>
${warnings.length ? `<ul>\n${warnings.join('\n')}\n</ul>` : '<p>No gradient-masking warnings: robust accuracy falls with ε and FGSM is not stronger than PGD.</p>'}
</body>
</html>
`;
}
