import { availableParallelism } from 'node:os';
import { openArchive } from './archive-kind.js';
import type { ArchiveReader } from './archive-member.js';
import { DatasetIngest } from './dataset-ingest.js';
import { surveyArchives } from './dataset-survey.js';
import { DatasetValidationError } from './validation.errors.js';
import { ProgressReporter } from './validation-progress.js';
import type { ValidationInput, ValidationLimits, ValidationSummary } from './validation.types.js';

/**
 * Turns uploaded archives into a trusted dataset: every member checked, every image decoded, the
 * accepted ones re-packed as training shards with an index, and the dataset's statistics.
 *
 * Two passes per archive. The survey reads names and sizes only (and hashes the raw bytes): bombs
 * and limits fail the dataset before anything is decoded, and the label set is fixed before the
 * first shard is written (shards carry class indexes, which follow the sorted names). The ingest
 * pass then decodes and shards. A tar is therefore read twice; a zip reads its central directory
 * once, its raw bytes once for the hash, and its members once. Sources must not change meanwhile.
 *
 * Throws DatasetValidationError when the dataset must be marked FAILED (its message is the reason);
 * any other error (source or sink I/O, abort) says nothing about the data and may be retried.
 */
export async function validateDataset(input: ValidationInput): Promise<ValidationSummary> {
  assertLimits(input.limits);
  const { signal } = input;
  signal?.throwIfAborted();
  if (input.sources.length === 0) throw new DatasetValidationError('NO_VALID_IMAGES', 'no archives were uploaded');
  const progress = new ProgressReporter((p) => input.onProgress?.(p));
  const readers: ArchiveReader[] = [];
  try {
    for (const source of input.sources) {
      const onBytes = (bytesRead: number) => progress.bytes(source.name, bytesRead);
      readers.push(await openArchive(source, { limits: input.limits, signal, onBytes }));
    }
    const { archives, plan } = await surveyArchives(readers, input.layout, input.limits);
    const concurrency = Math.max(1, Math.floor(input.concurrency ?? availableParallelism()));
    const ingest = new DatasetIngest({ input, plan, concurrency, progress });
    try {
      for (const [index, reader] of readers.entries()) await reader.ingest(ingest.visitor(index, reader.name));
      return { archives, ...(await ingest.finish()) };
    } catch (err) {
      ingest.abort(err);
      throw err;
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  } finally {
    await Promise.all(readers.map((reader) => reader.close()));
  }
}

function assertLimits(limits: ValidationLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw new TypeError(`validation limit ${name} must be a positive number, got ${String(value)}`);
    }
  }
}
