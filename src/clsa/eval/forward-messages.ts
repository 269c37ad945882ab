/** What the embeddings forward thread and its owner say to each other (forward-worker.ts, forward-thread.ts). */
import type { TensorBackendPreference } from '../tensor/backend.js';

export interface ForwardThreadSettings {
  readonly backend: TensorBackendPreference;
  /** Threads of the wasm backend; undefined: every core. */
  readonly threads: number | undefined;
}

export interface LoadedFacts {
  readonly byteSize: number;
  readonly inputSize: number;
  readonly embeddingDim: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly loadMs: number;
}

export type ToForwardThread =
  | {
      readonly op: 'load';
      readonly id: number;
      readonly key: string;
      readonly bytes: ArrayBuffer;
      readonly source: string;
    }
  | {
      readonly op: 'forward';
      readonly id: number;
      readonly key: string;
      readonly pixels: Float32Array;
      readonly count: number;
    }
  | { readonly op: 'unload'; readonly key: string };

export type FromForwardThread =
  | { readonly op: 'ready'; readonly backend: string }
  | { readonly op: 'loaded'; readonly id: number; readonly facts: LoadedFacts }
  | { readonly op: 'features'; readonly id: number; readonly features: Float32Array; readonly ms: number }
  | { readonly op: 'failed'; readonly id: number; readonly message: string };
