/**
 * The environment of the native kernels' runtime (native/, oneDNN on OpenMP). libgomp reads its
 * wait policy from the environment once, as it loads, so each entry point settles it before its
 * first selectBackend. Unset, OpenMP's threads spin between kernels and take the cores from the
 * wasm threads, the augmentation workers and other processes: the learning test took 40.4 s
 * spinning and 25.7 s passive here. A value the operator set is kept.
 */
export function settleNativeRuntime(env: NodeJS.ProcessEnv = process.env): void {
  env.OMP_WAIT_POLICY ??= 'PASSIVE';
}
