/**
 * SGD with momentum and weight decay, with torch.optim.SGD's arithmetic (what the CLSA and MoCo
 * reference code trains with): g ← grad + wd·θ; buf ← g on the first step, else m·buf + g;
 * θ ← θ − lr·buf. The momentum buffers are named like the parameters, so a checkpoint can hold
 * them and a resumed run continues exactly.
 */
import * as tf from '../tf.js';

export interface SgdOptions {
  readonly momentum: number;
  readonly weightDecay: number;
}

export interface SgdState {
  /** Parameter name → momentum buffer (flattened float32). */
  readonly buffers: Map<string, { shape: number[]; data: Float32Array }>;
}

export class Sgd {
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(private readonly options: SgdOptions) {
    if (!(options.momentum >= 0 && options.momentum < 1)) throw new RangeError('momentum must be in [0, 1)');
    if (!(options.weightDecay >= 0)) throw new RangeError('weightDecay must be ≥ 0');
  }

  /** Applies one step to each named parameter; gradients are not disposed (the caller owns them). */
  step(params: ReadonlyMap<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void {
    const { momentum, weightDecay } = this.options;
    for (const [name, param] of params) {
      const grad = grads[name];
      if (grad === undefined) throw new Error(`no gradient for parameter ${name}`);
      tf.tidy(() => {
        const g = weightDecay > 0 ? tf.add(grad, tf.mul(param, weightDecay)) : grad;
        const existing = this.buffers.get(name);
        let buf: tf.Tensor;
        if (existing === undefined) {
          buf = g;
          this.buffers.set(name, tf.variable(g, false));
        } else {
          buf = tf.add(tf.mul(existing, momentum), g);
          existing.assign(buf);
        }
        param.assign(tf.sub(param, tf.mul(buf, lr)));
      });
    }
  }

  snapshot(): SgdState {
    const buffers = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, buf] of this.buffers)
      buffers.set(name, { shape: buf.shape, data: buf.dataSync() as Float32Array });
    return { buffers };
  }

  restore(state: SgdState): void {
    this.dispose();
    for (const [name, { shape, data }] of state.buffers) {
      this.buffers.set(name, tf.variable(tf.tensor(data, shape, 'float32'), false));
    }
  }

  dispose(): void {
    for (const buf of this.buffers.values()) buf.dispose();
    this.buffers.clear();
  }
}
