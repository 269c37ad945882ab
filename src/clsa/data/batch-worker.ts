/**
 * Entry of a batch worker thread: prepares the batches it is sent with the run's settings (from
 * `workerData`) and moves the finished buffers back. Exits once told to close and idle.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { batchTransferList, prepareBatch, SampleError, type BatchSettings } from './batch.js';
import { type FromWorker, type ToWorker } from './worker-messages.js';

const port = parentPort;
if (port === null) throw new Error('batch-worker.ts runs only as a worker thread');
const settings = workerData as BatchSettings;

function failure(step: number, err: unknown): FromWorker {
  if (err instanceof SampleError) {
    const { sampleKey, shard, index, reason, message } = err;
    return { type: 'failed', step, message, sample: { key: sampleKey, shard, index, reason } };
  }
  return { type: 'failed', step, message: err instanceof Error ? err.message : String(err) };
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'close') {
    port.close();
    return;
  }
  const { job } = message;
  prepareBatch(job, settings).then(
    (batch) => port.postMessage({ type: 'done', step: job.step, batch } satisfies FromWorker, batchTransferList(batch)),
    (err: unknown) => port.postMessage(failure(job.step, err)),
  );
});
