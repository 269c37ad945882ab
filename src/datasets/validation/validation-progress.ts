import type { ValidationProgress } from './validation.types.js';

const MIN_INTERVAL_MS = 250;

/** Throttles progress callbacks to a few per second; the last state of each archive is always sent. */
export class ProgressReporter {
  private readonly state: ValidationProgress = { archive: '', bytesRead: 0, imagesAccepted: 0, imagesRejected: 0 };
  private lastEmit = 0;

  constructor(private readonly onProgress?: (progress: ValidationProgress) => void) {}

  bytes(archive: string, bytesRead: number): void {
    if (archive !== this.state.archive) this.emit();
    this.state.archive = archive;
    this.state.bytesRead = bytesRead;
    this.maybeEmit();
  }

  accepted(): void {
    this.state.imagesAccepted += 1;
    this.maybeEmit();
  }

  rejected(): void {
    this.state.imagesRejected += 1;
    this.maybeEmit();
  }

  emit(): void {
    if (this.onProgress === undefined || this.state.archive === '') return;
    this.lastEmit = performance.now();
    this.onProgress({ ...this.state });
  }

  private maybeEmit(): void {
    if (performance.now() - this.lastEmit >= MIN_INTERVAL_MS) this.emit();
  }
}
