/** One part of a multipart upload: bytes `start`..`end` (inclusive, as fs.createReadStream takes them). */
export interface PartRange {
  partNumber: number;
  start: number;
  end: number;
  size: number;
}

export const MIB = 1024 * 1024;
/** S3's floor for every part but the last. */
export const MIN_PART_SIZE_BYTES = 5 * MIB;

/** The byte ranges of a file split into parts of `partSizeBytes` (the last one shorter). */
export function planParts(sizeBytes: number, partSizeBytes: number): PartRange[] {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 1) throw new RangeError('sizeBytes must be a positive integer');
  if (!Number.isSafeInteger(partSizeBytes) || partSizeBytes < 1) {
    throw new RangeError('partSizeBytes must be a positive integer');
  }
  const count = Math.ceil(sizeBytes / partSizeBytes);
  return Array.from({ length: count }, (_, i) => partRange(i + 1, sizeBytes, partSizeBytes));
}

export function partRange(partNumber: number, sizeBytes: number, partSizeBytes: number): PartRange {
  const start = (partNumber - 1) * partSizeBytes;
  const size = Math.min(partSizeBytes, sizeBytes - start);
  if (!Number.isInteger(partNumber) || partNumber < 1 || size <= 0) {
    throw new RangeError(`part ${partNumber} lies outside a ${sizeBytes}-byte file`);
  }
  return { partNumber, start, end: start + size - 1, size };
}
