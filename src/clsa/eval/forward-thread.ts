/**
 * The owner's side of the embeddings forward thread (forward-worker.ts): load an encoder from its
 * file's bytes, run forward passes on batches of prepared pixels (moved, not copied, both ways),
 * unload. Imports no tensor code, so the process that owns it never loads tfjs on its main thread.
 */
import { Worker } from 'node:worker_threads';
import type { ForwardThreadSettings, FromForwardThread, LoadedFacts, ToForwardThread } from './forward-messages.js';
import { evalTransform, type EvalTransform } from './preprocess.js';

/** Beside this module: .ts under vitest or tsx (through tsx's loader), .js when compiled. */
function workerEntry(): { url: URL; execArgv?: string[] } {
  const typescript = new URL(import.meta.url).pathname.endsWith('.ts');
  const url = new URL(`./forward-worker.${typescript ? 'ts' : 'js'}`, import.meta.url);
  return typescript ? { url, execArgv: ['--import', 'tsx'] } : { url };
}

interface Pending {
  resolve(value: FromForwardThread): void;
  reject(error: Error): void;
}

/** An encoder loaded in the thread. */
export class RemoteEncoder {
  readonly inputLength: number;

  constructor(
    private readonly thread: ForwardThread,
    private readonly key: string,
    readonly facts: LoadedFacts,
  ) {
    this.inputLength = facts.inputSize * facts.inputSize * 3;
  }

  get byteSize(): number {
    return this.facts.byteSize;
  }

  transform(maxPixels: number): EvalTransform {
    const { mean, std } = this.facts;
    return evalTransform(this.facts.inputSize, maxPixels, { mean, std });
  }

  /** Pooled features [count, embeddingDim]; `pixels` is moved to the thread (unusable here afterwards). */
  forward(pixels: Float32Array, count: number): Promise<{ features: Float32Array; ms: number }> {
    return this.thread.forward(this.key, pixels, count);
  }

  dispose(): void {
    this.thread.unload(this.key);
  }
}

export class ForwardThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;
  /** Resolves with the backend's description once the thread has chosen it. */
  readonly ready: Promise<string>;

  constructor(settings: ForwardThreadSettings, onExit: (error: Error) => void = () => {}) {
    const { url, execArgv } = workerEntry();
    this.worker = new Worker(url, { workerData: settings, name: 'clsa-embed-forward', ...(execArgv && { execArgv }) });
    this.ready = new Promise((resolve, reject) => {
      const onReady = (message: FromForwardThread) => {
        if (message.op === 'ready') resolve(message.backend);
      };
      this.worker.on('message', onReady);
      this.worker.once('error', reject);
      this.worker.once('exit', () => reject(new Error('the forward thread exited before it was ready')));
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (message: FromForwardThread) => this.settle(message));
    this.worker.on('error', (error: Error) => this.fail(error));
    this.worker.once('exit', (code) => {
      const error = this.fail(new Error(`the forward thread exited (code ${code})`));
      onExit(error);
    });
  }

  async load(key: string, bytes: Buffer, source: string): Promise<RemoteEncoder> {
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Buffer.from(bytes);
    const buffer = own.buffer as ArrayBuffer;
    const reply = await this.request((id) => ({ op: 'load', id, key, bytes: buffer, source }), [buffer]);
    if (reply.op !== 'loaded') throw new Error(`unexpected answer ${reply.op} to load`);
    return new RemoteEncoder(this, key, reply.facts);
  }

  async forward(key: string, pixels: Float32Array, count: number): Promise<{ features: Float32Array; ms: number }> {
    const reply = await this.request(
      (id) => ({ op: 'forward', id, key, pixels, count }),
      [pixels.buffer as ArrayBuffer],
    );
    if (reply.op !== 'features') throw new Error(`unexpected answer ${reply.op} to forward`);
    return { features: reply.features, ms: reply.ms };
  }

  unload(key: string): void {
    if (this.failure === null) this.worker.postMessage({ op: 'unload', key } satisfies ToForwardThread);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private request(build: (id: number) => ToForwardThread, transfer: ArrayBuffer[]): Promise<FromForwardThread> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(build(id), transfer);
    });
  }

  private settle(message: FromForwardThread): void {
    if (message.op === 'ready') return;
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    if (message.op === 'failed') pending.reject(new Error(message.message));
    else pending.resolve(message);
  }

  private fail(error: Error): Error {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
    return this.failure;
  }
}
