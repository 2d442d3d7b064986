const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function ticks(lo, hi, n = 5) {
  if (hi === lo) return [lo];
  return Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
}

const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/**
 * A line plot as an SVG string, written by hand (no dependencies).
 * series: [{ name, points: [[x, y], …] }]; y is a fraction shown in percent.
 */
export function linePlot({ title, xLabel, yLabel = 'accuracy (%)', series, width = 560, height = 340 }) {
  const m = { l: 56, r: 150, t: 30, b: 46 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(xMin + 1e-9, ...xs);
  const px = (x) => m.l + ((x - xMin) / (xMax - xMin)) * (width - m.l - m.r);
  const py = (y) => height - m.b - y * (height - m.t - m.b);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`,
    `<text x="${width / 2 - m.r / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`];
  for (const t of ticks(0, 1)) {
    parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${py(t) + 4}" text-anchor="end" font-size="11">${fmt(100 * t)}</text>`);
  }
  for (const t of ticks(xMin, xMax)) {
    parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${height - m.b}" y2="${height - m.b + 4}" stroke="#333"/>`,
      `<text x="${px(t)}" y="${height - m.b + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${width - m.l - m.r}" height="${height - m.t - m.b}" fill="none" stroke="#333"/>`,
    `<text x="${(m.l + width - m.r) / 2}" y="${height - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
    `<text transform="translate(14 ${(m.t + height - m.b) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    if (pts.length) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)}: ${fmt(x)}, ${(100 * y).toFixed(1)} %</title></circle>`);
    const ly = m.t + 14 + i * 18;
    parts.push(`<line x1="${width - m.r + 10}" x2="${width - m.r + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      `<text x="${width - m.r + 34}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export { esc };
