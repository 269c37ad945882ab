/** The dataset validation pipeline: framework-free; the datasets service and worker wire it up. */
export { validateDataset } from './validate-dataset.js';
export { DatasetValidationError, type DatasetValidationCode } from './validation.errors.js';
export { SHARD_INDEX_NAME } from './shard-writer.js';
export type {
  ArchiveKind,
  ArchiveSource,
  ArchiveSummary,
  DatasetLayout,
  ImageFormat,
  RejectedFile,
  ShardSink,
  ShardSummary,
  SizeBucket,
  ValidationInput,
  ValidationLimits,
  ValidationProgress,
  ValidationSummary,
} from './validation.types.js';
