import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Finding and loading the engine's Node-API addons, which scripts/build-native.sh builds into
 * build/native. Both are optional: where one is missing its ops run in JavaScript or wasm.
 */
export type AddonLoad<T> = { readonly addon: T } | { readonly reason: string };

/** The repository root holds build/native: one level above src/clsa, two above dist/src/clsa. */
function addonPath(file: string): string | undefined {
  for (const up of ['../../', '../../../']) {
    const candidate = fileURLToPath(new URL(up + file, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Loads `file` (relative to the repository root), or says why it cannot be used. */
export function loadAddon<T>(file: string): AddonLoad<T> {
  const path = addonPath(file);
  if (path === undefined) return { reason: `${file} is not built (npm run build:native)` };
  try {
    return { addon: createRequire(import.meta.url)(path) as T };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { reason: `${file} failed to load: ${text.split('\n')[0] ?? text}` };
  }
}

/** Whether an optional addon's native code runs, and why not where it does not. */
export type NativeState = { readonly native: true } | { readonly native: false; readonly reason: string };

/**
 * An addon loaded on first use (once per thread: worker threads load their own), whose ops fall
 * back to another implementation without it; tests and benches may turn it off to compare the two.
 */
export class OptionalAddon<T> {
  private load: AddonLoad<T> | undefined;
  private off = false;

  constructor(
    readonly file: string,
    private readonly offReason: string,
  ) {}

  /** The addon, or undefined where it is not built, failed to load or is turned off. */
  get(): T | undefined {
    if (this.off) return undefined;
    this.load ??= loadAddon<T>(this.file);
    return 'addon' in this.load ? this.load.addon : undefined;
  }

  state(): NativeState {
    if (this.get() !== undefined) return { native: true };
    return { native: false, reason: this.off ? this.offReason : (this.load as { reason: string }).reason };
  }

  /** Turns the native code off or back on for this thread. */
  use(on: boolean): NativeState {
    this.off = !on;
    return this.state();
  }
}
