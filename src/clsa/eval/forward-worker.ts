/**
 * The embeddings forward thread: picks the tensor backend once, keeps the loaded encoders, and runs
 * batched forward passes on request, so the serving process's main thread (HTTP, decoding) never
 * blocks on a forward pass and the next batch forms while this one runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../tensor/backend.js';
import type { ForwardThreadSettings, FromForwardThread, ToForwardThread } from './forward-messages.js';
import { FrozenEncoder } from './frozen-encoder.js';

const port = parentPort;
if (port === null) throw new Error('forward-worker.ts runs as a worker thread');
const settings = workerData as ForwardThreadSettings;
const models = new Map<string, FrozenEncoder>();
const send = (message: FromForwardThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

function load(message: Extract<ToForwardThread, { op: 'load' }>): void {
  const started = performance.now();
  models.get(message.key)?.dispose();
  const model = FrozenEncoder.fromBytes(Buffer.from(message.bytes), message.source);
  try {
    model.warmUp();
  } catch (error) {
    model.dispose();
    throw error;
  }
  models.set(message.key, model);
  const { inputSize, embeddingDim, mean, std } = model.info;
  const facts = { byteSize: model.byteSize, inputSize, embeddingDim, mean, std, loadMs: performance.now() - started };
  send({ op: 'loaded', id: message.id, facts });
}

function forward(message: Extract<ToForwardThread, { op: 'forward' }>): void {
  const model = models.get(message.key);
  if (model === undefined) throw new Error(`encoder ${message.key} is not loaded in the forward thread`);
  const started = performance.now();
  const features = model.forward(message.pixels, message.count).slice();
  send({ op: 'features', id: message.id, features, ms: performance.now() - started }, [features.buffer]);
}

const handle = (message: ToForwardThread): void => {
  if (message.op === 'unload') {
    models.get(message.key)?.dispose();
    models.delete(message.key);
    return;
  }
  try {
    if (message.op === 'load') load(message);
    else forward(message);
  } catch (error) {
    send({ op: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
};

const options = settings.threads === undefined ? {} : { threads: settings.threads };
const backend = await selectBackend(settings.backend, () => undefined, options);
port.on('message', handle);
send({ op: 'ready', backend: `${backend.name}: ${backend.reason}` });
