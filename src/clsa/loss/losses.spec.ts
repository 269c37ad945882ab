import '@tensorflow/tfjs-backend-cpu';
import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';

import { Rng } from '../augment/random.js';
import type { CandidateLayout } from './candidates.js';
import { clsaLoss } from './clsa-loss.js';
import { contrastiveLoss } from './contrastive.js';
import { ddmLoss } from './ddm.js';

type Rows = number[][];
const E = Math.E;
const LAYOUTS: CandidateLayout[] = ['batch-and-queue', 'positive-and-queue'];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---- An independent naive implementation, in doubles, straight from the definitions ----

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * (b[i] ?? 0), 0);

/** Candidate rows for query i and the index of its positive. */
function candidates(i: number, k: Rows, queue: Rows, layout: CandidateLayout): { rows: Rows; positive: number } {
  return layout === 'batch-and-queue'
    ? { rows: [...k, ...queue], positive: i }
    : { rows: [k[i] ?? [], ...queue], positive: 0 };
}

function logSoftmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const lse = max + Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0));
  return logits.map((v) => v - lse);
}

function naiveContrastive(q: Rows, k: Rows, queue: Rows, t: number, layout: CandidateLayout) {
  let loss = 0;
  let hits = 0;
  q.forEach((qi, i) => {
    const { rows, positive } = candidates(i, k, queue, layout);
    const logits = rows.map((c) => dot(qi, c) / t);
    loss -= logSoftmax(logits)[positive] ?? NaN;
    if (logits.indexOf(Math.max(...logits)) === positive) hits++;
  });
  return { loss: loss / q.length, top1: hits / q.length };
}

/** L_D and its gradient w.r.t. each strong view: (1/(N·V·T)) Σ_c (p_s − p_w)_c · C_c per row. */
function naiveDdm(qw: Rows, strong: Rows[], k: Rows, queue: Rows, t: number, layout: CandidateLayout) {
  let loss = 0;
  const grads = strong.map((qs) =>
    qs.map((qsi, i) => {
      const { rows } = candidates(i, k, queue, layout);
      const pw = logSoftmax(rows.map((c) => dot(qw[i] ?? [], c) / t)).map(Math.exp);
      const logPs = logSoftmax(rows.map((c) => dot(qsi, c) / t));
      loss -= pw.reduce((s, p, c) => s + p * (logPs[c] ?? NaN), 0) / (qs.length * strong.length);
      const coef = logPs.map((l, c) => (Math.exp(l) - (pw[c] ?? NaN)) / (t * qs.length * strong.length));
      return qsi.map((_, d) => coef.reduce((s, w, c) => s + w * (rows[c]?.[d] ?? NaN), 0));
    }),
  );
  return { loss, grads };
}

/** Random unit rows, rounded to float32 so the naive code sees exactly the tensor's values. */
function unitRows(rng: Rng, n: number, d: number): Rows {
  return Array.from({ length: n }, () => {
    const v = Array.from({ length: d }, () => rng.uniform(-1, 1));
    const norm = Math.sqrt(dot(v, v));
    return v.map((x) => Math.fround(x / norm));
  });
}

const t2 = (rows: Rows) => tf.tensor2d(rows);
const num = (s: tf.Scalar) => s.dataSync()[0] ?? NaN;

describe('contrastiveLoss (InfoNCE)', () => {
  it('matches hand-derived values for both layouts', () => {
    // 1 + K with q = k = [1,0], queue = [[0,1]], τ = 1: logits [1, 0],
    // L = −log(e / (e + 1)) = log(1 + e⁻¹) = 0.31326168751822286.
    const one = contrastiveLoss(t2([[1, 0]]), t2([[1, 0]]), t2([[0, 1]]), {
      temperature: 1,
      layout: 'positive-and-queue',
    });
    expect(num(one.loss)).toBeCloseTo(Math.log(1 + 1 / E), 6);
    expect(num(one.top1)).toBe(1);

    // q = k = [[1,0],[0,1]], queue = [[0.6,0.8]], τ = 1.
    // N+K rows: [1, 0, 0.6] and [0, 1, 0.8] → L = ½(log(e+1+e^0.6) − 1 + log(1+e+e^0.8) − 1) = 0.7472096509875912.
    // 1+K rows: [1, 0.6] and [1, 0.8]       → L = ½(log(e+e^0.6) − 1 + log(e+e^0.8) − 1)     = 0.5555770608907722.
    // The batch's other key is one more negative per row, so N+K is larger by ½Σ log(1 + 1/(e+e^s)).
    const q = t2([
      [1, 0],
      [0, 1],
    ]);
    const queue = t2([[0.6, 0.8]]);
    const batch = contrastiveLoss(q, q, queue, { temperature: 1 });
    const paper = contrastiveLoss(q, q, queue, { temperature: 1, layout: 'positive-and-queue' });
    expect(num(batch.loss)).toBeCloseTo((Math.log(E + 1 + E ** 0.6) + Math.log(1 + E + E ** 0.8)) / 2 - 1, 6);
    expect(num(paper.loss)).toBeCloseTo((Math.log(E + E ** 0.6) + Math.log(E + E ** 0.8)) / 2 - 1, 6);
    const extra = (Math.log(1 + 1 / (E + E ** 0.6)) + Math.log(1 + 1 / (E + E ** 0.8))) / 2;
    expect(num(batch.loss) - num(paper.loss)).toBeCloseTo(extra, 6);
  });

  it('counts top-1 hits, and the batch layout sees the other keys as negatives', () => {
    // q₁ = [0,1] scores k₁ 0, k₂ 0.8, queue [0,1] 1: its own key (0) loses in both layouts.
    // q₂ = [0.8,0.6] scores k₁ 0.8, k₂ 0.96, queue 0.6: its own key wins in both → top-1 = ½.
    const q = t2([
      [0, 1],
      [0.8, 0.6],
    ]);
    const k = t2([
      [1, 0],
      [0.6, 0.8],
    ]);
    const queue = t2([[0, 1]]);
    for (const layout of LAYOUTS) expect(num(contrastiveLoss(q, k, queue, { temperature: 1, layout }).top1)).toBe(0.5);
    // Queue [0,−1]: q₁'s own key (0) beats the queue (−1) but not k₂ (0.8), which only N+K scores.
    const far = t2([[0, -1]]);
    expect(num(contrastiveLoss(q, k, far, { temperature: 1 }).top1)).toBe(0.5);
    expect(num(contrastiveLoss(q, k, far, { temperature: 1, layout: 'positive-and-queue' }).top1)).toBe(1);
  });

  it('matches the naive implementation in loss, top-1 and gradient on random unit vectors', () => {
    const rng = Rng.fromSeed(11);
    const [q, k, queue] = [unitRows(rng, 6, 5), unitRows(rng, 6, 5), unitRows(rng, 9, 5)];
    for (const layout of LAYOUTS) {
      const got = contrastiveLoss(t2(q), t2(k), t2(queue), { temperature: 0.2, layout });
      const want = naiveContrastive(q, k, queue, 0.2, layout);
      expect(num(got.loss)).toBeCloseTo(want.loss, 5);
      expect(num(got.top1)).toBe(want.top1);
      // gradient w.r.t. q by central differences on the naive loss
      const lossOf = (x: tf.Tensor) =>
        contrastiveLoss(x as tf.Tensor2D, t2(k), t2(queue), { temperature: 0.2, layout }).loss;
      const g = tf.grad(lossOf)(t2(q)).arraySync() as Rows;
      const h = 1e-6;
      for (const [i, d] of [
        [0, 0],
        [3, 2],
        [5, 4],
      ] as const) {
        const shifted = (s: number) => q.map((row, r) => row.map((v, c) => (r === i && c === d ? v + s : v)));
        const fd =
          (naiveContrastive(shifted(h), k, queue, 0.2, layout).loss -
            naiveContrastive(shifted(-h), k, queue, 0.2, layout).loss) /
          (2 * h);
        expect(g[i]?.[d]).toBeCloseTo(fd, 4);
      }
    }
  });

  it('rejects mismatched shapes and bad temperatures', () => {
    const q = t2([[1, 0]]);
    expect(() => contrastiveLoss(q, t2([[1, 0, 0]]), t2([[0, 1]]), { temperature: 1 })).toThrow(RangeError);
    expect(() => contrastiveLoss(q, q, t2([[0, 1, 0]]), { temperature: 1 })).toThrow(RangeError);
    expect(() => contrastiveLoss(q, q, t2([[0, 1]]), { temperature: 0 })).toThrow(RangeError);
  });
});

describe('ddmLoss', () => {
  it('matches hand-derived values', () => {
    // 1+K, C = [k, queue] = [[1,0],[0,1]], T₂ = 1, q_w = [1,0], q_s = [0,1]:
    // p_w = softmax([1, 0]) = [e, 1]/(1+e); log p_s = log_softmax([0, 1]) = [−log(1+e), 1 − log(1+e)]
    // L = log(1+e) − p_w[1]·1 = log(1+e) − 1/(1+e) = 1.0443202661482278.
    // With q_s = q_w the loss is p_w's entropy, its minimum: log(1+e) − e/(1+e) = 0.5822031088882179.
    const opts = { temperature: 1, layout: 'positive-and-queue' } as const;
    const [qw, qs, k, queue] = [t2([[1, 0]]), t2([[0, 1]]), t2([[1, 0]]), t2([[0, 1]])];
    expect(num(ddmLoss(qw, qs, k, queue, opts))).toBeCloseTo(Math.log(1 + E) - 1 / (1 + E), 6);
    expect(num(ddmLoss(qw, qw, k, queue, opts))).toBeCloseTo(Math.log(1 + E) - E / (1 + E), 6);
    // several strong views: the mean of each view's loss
    const both = num(ddmLoss(qw, [qs, qw], k, queue, opts));
    expect(both).toBeCloseTo((Math.log(1 + E) - 1 / (1 + E) + Math.log(1 + E) - E / (1 + E)) / 2, 6);
  });

  it('matches the naive implementation, and its gradient reaches q_s but not q_w', () => {
    const rng = Rng.fromSeed(12);
    const [qw, qs1, qs2, k, queue] = [4, 4, 4, 4, 7].map((n) => unitRows(rng, n, 3)) as [Rows, Rows, Rows, Rows, Rows];
    for (const layout of LAYOUTS) {
      const want = naiveDdm(qw, [qs1, qs2], k, queue, 0.2, layout);
      const f = (...[w, s1, s2]: tf.Tensor[]) =>
        ddmLoss(w as tf.Tensor2D, [s1, s2] as tf.Tensor2D[], t2(k), t2(queue), { temperature: 0.2, layout });
      expect(num(f(t2(qw), t2(qs1), t2(qs2)))).toBeCloseTo(want.loss, 5);
      const [gw, gs1, gs2] = tf.grads(f)([t2(qw), t2(qs1), t2(qs2)]);
      expect(Array.from(gw?.dataSync() ?? [NaN]).every((v) => v === 0)).toBe(true);
      [gs1, gs2].forEach((g, v) => {
        const values = (g?.arraySync() ?? []) as Rows;
        values.forEach((row, i) => row.forEach((x, d) => expect(x).toBeCloseTo(want.grads[v]?.[i]?.[d] ?? NaN, 5)));
        expect(values.flat().some((x) => Math.abs(x) > 1e-3)).toBe(true);
      });
    }
  });
});

describe('clsaLoss', () => {
  const rng = Rng.fromSeed(13);
  const [qw, qs, k, queue] = [3, 3, 3, 5].map((n) => t2(unitRows(rng, n, 4))) as [
    tf.Tensor2D,
    tf.Tensor2D,
    tf.Tensor2D,
    tf.Tensor2D,
  ];

  it('is L_C + β·L_D, with its own temperature for each term', () => {
    const got = clsaLoss({ qWeak: qw, qStrong: [qs], k, queue }, { temperature: 0.2, ddmTemperature: 0.5, beta: 0.7 });
    const lc = num(contrastiveLoss(qw, k, queue, { temperature: 0.2 }).loss);
    const ld = num(ddmLoss(qw, qs, k, queue, { temperature: 0.5 }));
    expect(num(got.contrastive)).toBeCloseTo(lc, 6);
    expect(got.ddm && num(got.ddm)).toBeCloseTo(ld, 6);
    expect(num(got.loss)).toBeCloseTo(lc + 0.7 * ld, 6);
    expect(ld).not.toBeCloseTo(num(ddmLoss(qw, qs, k, queue, { temperature: 0.2 })), 3);
  });

  it("sends the weak queries only the contrastive term's gradient (the DDM target is fixed)", () => {
    const opts = { temperature: 0.2, ddmTemperature: 0.3, beta: 1 };
    const total = (w: tf.Tensor) => clsaLoss({ qWeak: w as tf.Tensor2D, qStrong: [qs], k, queue }, opts).loss;
    const contrastiveOnly = (w: tf.Tensor) => contrastiveLoss(w as tf.Tensor2D, k, queue, { temperature: 0.2 }).loss;
    const [a, b] = [tf.grad(total)(qw).dataSync(), tf.grad(contrastiveOnly)(qw).dataSync()];
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i] ?? NaN, 6));
  });

  it('leaves only its result tensors behind', () => {
    const before = tf.memory().numTensors;
    const opts = { temperature: 0.2, ddmTemperature: 0.2, beta: 1 };
    const got = clsaLoss({ qWeak: qw, qStrong: [qs, qw], k, queue }, opts);
    tf.dispose([got.loss, got.contrastive, got.top1, ...(got.ddm ? [got.ddm] : [])]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with β = 0 is plain MoCo v2: no strong views needed, no DDM term', () => {
    const got = clsaLoss({ qWeak: qw, qStrong: [], k, queue }, { temperature: 0.2, ddmTemperature: 0.2, beta: 0 });
    expect(got.ddm).toBeUndefined();
    expect(num(got.loss)).toBe(num(contrastiveLoss(qw, k, queue, { temperature: 0.2 }).loss));
    expect(() =>
      clsaLoss({ qWeak: qw, qStrong: [], k, queue }, { temperature: 0.2, ddmTemperature: 0.2, beta: 1 }),
    ).toThrow(RangeError);
  });
});
