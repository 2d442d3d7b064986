import { describe, expect, it } from 'vitest';
import { renderReport } from './report.mjs';

const run = (strategy, shift) => ({
  strategy, description: `${strategy}(epsilon=0.3)`, epochs: 1, steps: 60, trainSeconds: 12.5 + shift, clean: 0.97, robust: { '0.1': 0.8, '0.3': 0.4 },
  curve: [{ epsilon: 0, accuracy: 0.97 }, { epsilon: 0.1, accuracy: 0.8 }, { epsilon: 0.3, accuracy: 0.4 - shift / 100 }],
  timeline: [{ trainSeconds: 0, clean: 0.1, robust: 0 }, { trainSeconds: 6, clean: 0.9, robust: 0.3 }], warnings: shift ? ['a <warning>'] : [],
});

describe('renderReport', () => {
  it('is a self-contained, well-formed HTML page with one SVG per plot', () => {
    const html = renderReport({
      title: 'MNIST <robustness>', backend: 'wasm', device: 'cpu', finishedAt: 'now', options: { trainSize: 256, testSize: 64 },
      reportEpsilons: [0.1, 0.3], evalAttack: 'PGD-10 linf', timelineAttack: 'PGD-5 ε=0.3', timelineSize: 64,
      runs: [run('clean', 0), run('fgsm-rs', 3)],
    });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('MNIST &lt;robustness&gt;');
    expect(html).toContain('a &lt;warning&gt;');
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html.match(/<\/svg>/g)).toHaveLength(2);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).not.toMatch(/NaN|undefined/);
    // Every opened element among those we use is closed.
    for (const tag of ['html', 'body', 'table', 'figure', 'svg', 'text', 'tr', 'td', 'th']) {
      const open = (html.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length;
      const close = (html.match(new RegExp(`</${tag}>`, 'g')) ?? []).length;
      expect(close, tag).toBe(open);
    }
  });
});
