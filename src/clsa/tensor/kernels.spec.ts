import { describe, expect, it } from 'vitest';

import * as tf from '../tf.js';
import { selectBackend } from './backend.js';
import { runInScope } from './kernel-scope.js';
import { registerClsaKernels, restoreStockKernels, stockKernel } from './kernels.js';
import { loadNativeKernels } from './native-kernels.js';

const kernelFunc = (name: string, backend: string): tf.KernelFunc | undefined =>
  (tf.getKernel(name, backend) as tf.KernelConfig | undefined)?.kernelFunc;

describe('registerClsaKernels', () => {
  it('refuses a backend whose own kernels are not loaded yet (they would overwrite ours)', () => {
    // Nothing in this file has imported the wasm package before this test.
    expect(kernelFunc('Conv2D', 'wasm')).toBeUndefined();
    expect(() => registerClsaKernels('wasm')).toThrow(
      "registerClsaKernels('wasm'): the wasm backend's own kernels are not registered yet; import its package first",
    );
  });

  it('is idempotent, and restoreStockKernels puts the stock kernels back', async () => {
    await selectBackend('wasm', undefined, { native: false });
    await selectBackend('cpu', undefined, { native: false });
    const ours = kernelFunc('Conv2DBackpropFilter', 'cpu');
    const stock = stockKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc;
    expect(stock).toBeDefined();
    expect(ours).not.toBe(stock);
    expect(registerClsaKernels('cpu')).toEqual(['Conv2DBackpropFilter']);
    expect(registerClsaKernels('wasm')).toEqual(['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    expect(kernelFunc('Conv2DBackpropFilter', 'cpu')).toBe(ours);

    restoreStockKernels('cpu');
    restoreStockKernels('wasm');
    expect(kernelFunc('Conv2DBackpropFilter', 'cpu')).toBe(stock);
    expect(kernelFunc('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(kernelFunc('Conv2DBackpropInput', 'wasm')).toBe(stockKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc);

    registerClsaKernels('cpu');
    registerClsaKernels('wasm');
    expect(kernelFunc('Conv2DBackpropFilter', 'cpu')).not.toBe(stock);
    expect(kernelFunc('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it.skipIf(!loadNativeKernels(2).available)(
    'switches between our JavaScript and native kernels, and restores the stock ones from either',
    async () => {
      await selectBackend('cpu', undefined, { native: false });
      const stock = (name: string): tf.KernelFunc | undefined => stockKernel(name, 'cpu')?.kernelFunc;
      const all = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'ClsaSumRows'];
      const javascriptFilterGradient = kernelFunc('Conv2DBackpropFilter', 'cpu');
      expect(registerClsaKernels('cpu', true)).toEqual(all);
      const native = all.map((name) => kernelFunc(name, 'cpu'));
      native.forEach((f, i) => expect(f).not.toBe(stock(all[i]!)));
      expect(native[2]).not.toBe(javascriptFilterGradient);
      expect(registerClsaKernels('cpu', true)).toEqual(all);
      expect(all.map((name) => kernelFunc(name, 'cpu'))).toEqual(native);

      expect(registerClsaKernels('cpu', false)).toEqual(['Conv2DBackpropFilter']);
      expect(kernelFunc('Conv2D', 'cpu')).toBe(stock('Conv2D'));
      expect(kernelFunc('Conv2DBackpropInput', 'cpu')).toBe(stock('Conv2DBackpropInput'));
      expect(kernelFunc('Conv2DBackpropFilter', 'cpu')).not.toBe(stock('Conv2DBackpropFilter'));
      expect(kernelFunc('ClsaSumRows', 'cpu')).toBeUndefined();

      registerClsaKernels('cpu', true);
      restoreStockKernels('cpu');
      for (const name of all) expect(kernelFunc(name, 'cpu')).toBe(stock(name));
      registerClsaKernels('cpu', false);
    },
  );

  it('has nothing to add to a backend that needs no help', () => {
    expect(registerClsaKernels('tensorflow')).toEqual([]);
  });
});

describe('runInScope', () => {
  it.each(['cpu', 'wasm'])('disposes every intermediate on %s when the body throws', async (backend) => {
    await selectBackend(backend as 'cpu' | 'wasm');
    const x = tf.ones([2, 3]);
    const before = tf.engine().backend.numDataIds();
    expect(() =>
      runInScope(tf.backend(), backend, (s) => {
        const wide = s.reshape(x, [3, 2]);
        s.matMul(x, wide);
        s.adopt(new Float32Array(4), [2, 2]);
        throw new Error('mid-kernel failure');
      }),
    ).toThrow('mid-kernel failure');
    expect(tf.engine().backend.numDataIds()).toBe(before);
    expect(Array.from(x.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    x.dispose();
  });
});
