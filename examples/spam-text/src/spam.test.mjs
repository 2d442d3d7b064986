import { describe, expect, it } from 'vitest';
import { buildVocabulary, encode, messageBody, splitIndices, tokenize } from './text.mjs';
import { main } from './main.mjs';

describe('text pipeline', () => {
  it('takes the body after the first blank line and tokenizes it', () => {
    const raw = 'From: a@b.c\r\nSubject: Hi there\r\n\r\nWIN $1000 <b>now</b>!\n\nIt\'s free.';
    expect(messageBody(raw)).toBe('WIN $1000 <b>now</b>!\n\nIt\'s free.');
    expect(tokenize(messageBody(raw))).toEqual(['win', '1000', 'now', "it's", 'free']);
    expect(messageBody('no body')).toBe('');
  });

  it('builds a top-N vocabulary (0 = pad, 1 = OOV) and pads with a mask', () => {
    const docs = [['a', 'b', 'a'], ['c', 'a'], []];
    const vocab = buildVocabulary(docs, 4);
    expect([...vocab]).toEqual([['a', 2], ['b', 3]]);
    const { ids, mask } = encode(docs, vocab, 3);
    expect(Array.from(ids)).toEqual([2, 3, 2, 1, 2, 0, 1, 0, 0]);
    expect(Array.from(mask)).toEqual([1, 1, 1, 1, 1, 0, 1, 0, 0]);
  });

  it('splits by seed, deterministically and without overlap', () => {
    const a = splitIndices(100, 0.2, 7);
    expect(a).toEqual(splitIndices(100, 0.2, 7));
    expect(a.test).toHaveLength(20);
    expect(new Set([...a.train, ...a.test]).size).toBe(100);
    expect(splitIndices(100, 0.2, 8).test).not.toEqual(a.test);
  });
});

describe('training smoke run', () => {
  it('2 steps of FreeLB + SMART on 128 messages, then embedding-space PGD', async () => {
    const lines = [];
    const summary = await main(['--strategy', 'freelb+smart', '--train-size', '128', '--test-size', '64', '--batch-size', '64',
      '--epochs', '1', '--pgd-steps', '2', '--curve', '1'], (l) => lines.push(l));
    const run = summary.runs[0];
    expect(run.steps).toBe(2);
    expect(run.description).toMatch(/^chain\(/);
    expect(run.robust['1']).toBeLessThanOrEqual(run.clean);
    expect(lines.join('\n')).toMatch(/freelb\+smart: clean \d+\.\d %/);
  });

  it('refuses --autoattack: AutoAttack perturbs inputs, and this model is perturbed at its embeddings', async () => {
    await expect(main(['--autoattack', '10'], () => {})).rejects.toThrow(
      'spam-text: flag --autoattack needs a model whose input is perturbed; this example perturbs embeddings (received 10).');
  });
});
