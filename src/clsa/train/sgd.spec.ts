import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { learningRateAt, scaledBaseLr } from './schedule.js';
import { Sgd } from './sgd.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Sgd (torch.optim.SGD arithmetic)', () => {
  it('matches two steps worked by hand with momentum and weight decay', () => {
    // θ = 1, grad = 0.5 each step, wd = 0.1, m = 0.9, lr = 0.1:
    // step 1: g = 0.5 + 0.1·1 = 0.6, buf = 0.6, θ = 1 − 0.06 = 0.94
    // step 2: g = 0.5 + 0.1·0.94 = 0.594, buf = 0.9·0.6 + 0.594 = 1.134, θ = 0.94 − 0.1134 = 0.8266
    const theta = tf.variable(tf.tensor1d([1]));
    const sgd = new Sgd({ momentum: 0.9, weightDecay: 0.1 });
    const grad = tf.tensor1d([0.5]);
    sgd.step(new Map([['theta', theta]]), { theta: grad }, 0.1);
    expect(theta.dataSync()[0]).toBeCloseTo(0.94, 6);
    sgd.step(new Map([['theta', theta]]), { theta: grad }, 0.1);
    expect(theta.dataSync()[0]).toBeCloseTo(0.8266, 6);
    tf.dispose([theta, grad]);
    sgd.dispose();
  });

  it('resumes exactly from a snapshot of its momentum buffers', () => {
    const run = (resumeAfter: number | null) => {
      const theta = tf.variable(tf.tensor1d([1, -2, 3]));
      let sgd = new Sgd({ momentum: 0.9, weightDecay: 1e-4 });
      for (let step = 0; step < 4; step++) {
        if (step === resumeAfter) {
          const state = sgd.snapshot();
          sgd.dispose();
          sgd = new Sgd({ momentum: 0.9, weightDecay: 1e-4 });
          sgd.restore(state);
        }
        const grad = tf.tensor1d([step + 1, -step, 0.5]);
        sgd.step(new Map([['theta', theta]]), { theta: grad }, 0.03);
        grad.dispose();
      }
      const out = Array.from(theta.dataSync());
      theta.dispose();
      sgd.dispose();
      return out;
    };
    expect(run(2)).toEqual(run(null));
  });

  it('refuses a parameter without a gradient, naming it', () => {
    const theta = tf.variable(tf.tensor1d([1]));
    expect(() => new Sgd({ momentum: 0.9, weightDecay: 0 }).step(new Map([['lonely', theta]]), {}, 0.1)).toThrow(
      'no gradient for parameter lonely',
    );
    theta.dispose();
  });
});

describe('learning-rate schedule', () => {
  it('warms up linearly, then follows a half cosine to zero', () => {
    const schedule = { baseLr: 0.4, totalSteps: 12, warmupSteps: 2 };
    // Warm-up: 0.4·1/2, 0.4·2/2. Then progress p = (step − 2)/10 and lr = 0.2·(1 + cos πp).
    expect(learningRateAt(schedule, 0)).toBeCloseTo(0.2, 12);
    expect(learningRateAt(schedule, 1)).toBeCloseTo(0.4, 12);
    expect(learningRateAt(schedule, 2)).toBeCloseTo(0.4, 12);
    expect(learningRateAt(schedule, 7)).toBeCloseTo(0.2, 12);
    expect(learningRateAt(schedule, 12)).toBeCloseTo(0, 12);
  });

  it('scales the base rate with the batch, 0.03 at 256', () => {
    expect(scaledBaseLr(256)).toBeCloseTo(0.03, 12);
    expect(scaledBaseLr(64)).toBeCloseTo(0.0075, 12);
  });

  it('refuses a warm-up as long as the run', () => {
    expect(() => learningRateAt({ baseLr: 1, totalSteps: 5, warmupSteps: 5 }, 0)).toThrow(/warmupSteps/);
  });
});
