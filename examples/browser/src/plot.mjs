// Hand-written SVG line chart: one polyline per series over the step index.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= value) ?? 10 * p;
}

/** Draws `series` ([{ name, color, values }]) into `svg` for a run of `steps` steps. */
export function drawChart(svg, series, steps) {
  const W = 720, H = 340, L = 52, R = 16, T = 16, B = 40;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const yMax = niceMax(Math.max(0, ...all));
  const xMax = Math.max(1, steps - 1);
  const x = (i) => L + (i / xMax) * (W - L - R);
  const y = (v) => T + (1 - Math.min(v, yMax) / yMax) * (H - T - B);
  svg.replaceChildren();
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    svg.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e5e5e5' }));
    svg.append(el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', fill: '#666' }, v.toFixed(2)));
  }
  // Step labels 1, then every `every` steps (1-based, like the cards).
  const every = [1, 2, 5, 10, 20, 50, 100].find((e) => steps / e <= 10) ?? Math.ceil(steps / 10);
  for (let label = 1; label <= Math.max(1, steps); label = label === 1 && every > 1 ? every : label + every) {
    svg.append(el('text', { x: x(label - 1), y: H - B + 16, 'text-anchor': 'middle', fill: '#666' }, String(label)));
  }
  svg.append(el('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle', fill: '#444' }, 'step'));
  svg.append(el('text', { x: 14, y: (T + H - B) / 2, 'text-anchor': 'middle', fill: '#444', transform: `rotate(-90 14 ${(T + H - B) / 2})` }, 'training loss'));
  series.forEach((s, n) => {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null)).filter(Boolean);
    if (pts.length > 1) svg.append(el('polyline', { points: pts.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': n === 1 ? '6 3' : 'none' }));
    for (const p of pts.length === 1 ? pts : []) {
      const [cx, cy] = p.split(',');
      svg.append(el('circle', { cx, cy, r: 3, fill: s.color }));
    }
    svg.append(el('rect', { x: W - R - 150, y: T + 4 + n * 18, width: 14, height: 4, fill: s.color }));
    svg.append(el('text', { x: W - R - 130, y: T + 10 + n * 18, fill: '#333' }, s.name));
  });
}
