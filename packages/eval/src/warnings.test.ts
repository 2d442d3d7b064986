import { describe, expect, it } from 'vitest';
import { gradientMaskingWarnings } from './warnings.js';

describe('gradientMaskingWarnings', () => {
  it('is silent for a healthy evaluation', () => {
    expect(gradientMaskingWarnings({
      clean: 0.99,
      epsilonCurve: [{ epsilon: 0.1, accuracy: 0.95 }, { epsilon: 0.3, accuracy: 0.9 }],
      fgsmCurve: [{ epsilon: 0.1, accuracy: 0.97 }, { epsilon: 0.3, accuracy: 0.93 }],
      stepCurve: [{ steps: 10, accuracy: 0.91 }, { steps: 40, accuracy: 0.9 }],
    })).toEqual([]);
  });

  it('flags non-monotone ε and steps, FGSM stronger than PGD, and robust above clean', () => {
    const codes = gradientMaskingWarnings({
      clean: 0.9,
      epsilonCurve: [{ epsilon: 0.3, accuracy: 0.8 }, { epsilon: 0.1, accuracy: 0.6 }],
      fgsmCurve: [{ epsilon: 0.1, accuracy: 0.4 }, { epsilon: 0.3, accuracy: 0.95 }],
      stepCurve: [{ steps: 40, accuracy: 0.7 }, { steps: 10, accuracy: 0.5 }],
    }).map((w) => w.code);
    expect(codes).toEqual(['NOT_MONOTONE_IN_EPSILON', 'NOT_MONOTONE_IN_STEPS', 'FGSM_STRONGER_THAN_PGD', 'ROBUST_ABOVE_CLEAN']);
  });

  it('compares AutoAttack with PGD: a gap over 5 points and Square-only breaks are flagged, small ones are not', () => {
    const brokenBy = [...Array(90).fill(null), ...Array(8).fill('apgd-ce'), 'square', 'clean'];
    const quiet = gradientMaskingWarnings({ autoAttack: { epsilon: 0.3, accuracy: 0.9, pgdAccuracy: 0.93, brokenBy } });
    expect(quiet).toEqual([]);
    const loud = gradientMaskingWarnings({
      epsilonCurve: [{ epsilon: 0.3, accuracy: 0.97 }],
      autoAttack: { epsilon: 0.3, accuracy: 0.9, brokenBy: [...brokenBy.slice(0, 97), 'square', 'square', 'square'] },
    });
    expect(loud.map((w) => w.code)).toEqual(['AUTOATTACK_BELOW_PGD', 'SQUARE_BEATS_GRADIENT']);
    expect(loud[0]?.message).toMatch(/AutoAttack accuracy 90\.0 % is 7\.0 % below PGD accuracy 97\.0 %/);
    expect(loud[1]?.message).toMatch(/Square attack broke 3 of 100 examples \(3\.0 %\)/);
  });
});
