import { type ArchiveMember, MemberDataError, type MemberVisitor } from './archive-member.js';
import { ByteSemaphore } from './byte-semaphore.js';
import type { LayoutPlan } from './dataset-layout.js';
import { type InspectedImage, inspectImage } from './image-inspection.js';
import { ImageStatistics } from './image-statistics.js';
import { displayName } from './member-path.js';
import { MemberTriage } from './member-triage.js';
import { OrderedQueue } from './ordered-queue.js';
import { type ShardSample, ShardWriter } from './shard-writer.js';
import { DatasetValidationError } from './validation.errors.js';
import type { ProgressReporter } from './validation-progress.js';
import type { RejectedFile, ValidationInput, ValidationSummary } from './validation.types.js';

type Outcome =
  { kind: 'accepted'; sample: ShardSample; image: InspectedImage } | { kind: 'rejected'; file: RejectedFile };

export interface IngestOptions {
  input: ValidationInput;
  plan: LayoutPlan;
  concurrency: number;
  progress: ProgressReporter;
}

/**
 * The second pass: reads each member that may be an image, decodes up to `concurrency` of them at
 * once, and hands the outcomes on in archive order to the statistics, the shard writer and
 * `onRejected`. Memory: about (concurrency + 1) compressed members plus the decode budget.
 */
export class DatasetIngest {
  private readonly stats: ImageStatistics;
  private readonly shards: ShardWriter;
  private readonly queue: OrderedQueue<Outcome>;
  private readonly decodeMemory: ByteSemaphore;
  private rejectedCount = 0;
  private skippedCount = 0;
  private firstRejection: RejectedFile | null = null;

  constructor(private readonly options: IngestOptions) {
    const { limits, sink } = options.input;
    this.stats = new ImageStatistics(options.plan.labels.length);
    this.shards = new ShardWriter(sink, limits.shardTargetBytes, options.input.signal);
    this.queue = new OrderedQueue(options.concurrency, (outcome) => this.consume(outcome));
    // Decoded RGB: room for `concurrency` members' worth, and always for one image at the pixel limit.
    this.decodeMemory = new ByteSemaphore(
      Math.max(options.concurrency * limits.maxMemberBytes, 3 * limits.maxImagePixels),
    );
  }

  visitor(archive: number, archiveName: string): MemberVisitor {
    const triage = new MemberTriage(archive, this.options.plan, this.options.input.limits.maxMemberBytes);
    return (member) => this.visit(archiveName, triage, member);
  }

  /** Waits for the last decodes, then closes the shards and writes the index. */
  async finish(): Promise<Omit<ValidationSummary, 'archives'>> {
    await this.queue.flush();
    this.options.progress.emit();
    if (this.stats.imageCount === 0) throw this.nothingValid();
    const labels = [...this.options.plan.labels];
    const written = await this.shards.finish(labels);
    return {
      ...this.stats.summary(),
      rejectedCount: this.rejectedCount,
      skippedCount: this.skippedCount,
      labelled: labels.length > 0,
      labels,
      ...written,
    };
  }

  abort(reason: unknown): void {
    this.shards.abort(reason instanceof Error ? reason : new Error(String(reason)));
  }

  private async visit(archive: string, triage: MemberTriage, member: ArchiveMember): Promise<void> {
    const verdict = triage.triage(member);
    switch (verdict.kind) {
      case 'ignore':
        return;
      case 'junk':
        this.skippedCount += 1;
        return;
      case 'reject':
        return this.queue.push(Promise.resolve(rejected(archive, member, verdict.reason)));
      case 'image': {
        let bytes: Buffer;
        try {
          bytes = await member.read();
        } catch (err) {
          if (!(err instanceof MemberDataError)) throw err;
          return this.queue.push(Promise.resolve(rejected(archive, member, err.reason)));
        }
        return this.queue.push(this.inspect(archive, member, verdict.path, verdict.label, bytes));
      }
    }
  }

  private async inspect(
    archive: string,
    member: ArchiveMember,
    path: string,
    label: number | null,
    bytes: Buffer,
  ): Promise<Outcome> {
    const { limits } = this.options.input;
    const inspection = await inspectImage(bytes, limits.maxImagePixels, this.decodeMemory);
    if (!inspection.ok) return rejected(archive, member, inspection.reason);
    const { image } = inspection;
    const labelName = label === null ? null : this.options.plan.labels[label]!;
    const meta = { path, archive, width: image.width, height: image.height, label: labelName };
    return { kind: 'accepted', image, sample: { image: bytes, format: image.format, label, meta } };
  }

  private async consume(outcome: Outcome): Promise<void> {
    this.options.input.signal?.throwIfAborted();
    if (outcome.kind === 'accepted') {
      this.stats.add(outcome.image, outcome.sample.label);
      await this.shards.add(outcome.sample);
      this.options.progress.accepted();
      return;
    }
    this.rejectedCount += 1;
    this.firstRejection ??= outcome.file;
    this.options.progress.rejected();
    await this.options.input.onRejected(outcome.file);
  }

  private nothingValid(): DatasetValidationError {
    const holds = this.options.input.sources.length === 1 ? 'the archive holds' : 'the archives hold';
    const first = this.firstRejection;
    const detail =
      first === null
        ? `no files${this.skippedCount > 0 ? ` (${this.skippedCount} hidden or system files skipped)` : ''}`
        : `${this.rejectedCount} ${this.rejectedCount === 1 ? 'file' : 'files'} rejected (first: ${first.path}: ${first.reason})`;
    return new DatasetValidationError('NO_VALID_IMAGES', `${holds} no valid images: ${detail}`);
  }
}

function rejected(archive: string, member: ArchiveMember, reason: string): Outcome {
  return { kind: 'rejected', file: { archive, path: displayName(member.name), reason } };
}
