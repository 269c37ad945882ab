/**
 * The one way src/clsa imports TensorFlow.js. tfjs-core's Node build registers neither the
 * gradients nor the chained tensor methods (x.add(y)); the union package registers both, into
 * registries that every copy of tfjs-core shares, so the wasm backend (built on tfjs-core) and our
 * own kernels see them too.
 */
export * from '@tensorflow/tfjs';
