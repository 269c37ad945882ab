import type { InspectedImage } from './image-inspection.js';
import type { ImageFormat, SizeBucket, ValidationSummary } from './validation.types.js';

/** Upper bounds of the longer-side histogram; a last bucket holds everything larger. */
export const SIZE_BUCKETS = [32, 64, 128, 256, 512, 1024, 2048] as const;

type Rgb = [number, number, number];

/**
 * Counts and pixel statistics over the accepted images. Channel moments are pooled per pixel
 * (Chan et al.'s parallel update), so a large image weighs more than a small one, as it should,
 * and the sums stay numerically stable over billions of pixels.
 */
export class ImageStatistics {
  imageCount = 0;
  private readonly classCounts: number[];
  private readonly sizeCounts = new Array<number>(SIZE_BUCKETS.length + 1).fill(0);
  private readonly formatCounts: Record<ImageFormat, number> = { jpeg: 0, png: 0, webp: 0 };
  private pixels = 0;
  private readonly mean: Rgb = [0, 0, 0];
  private readonly m2: Rgb = [0, 0, 0];

  constructor(classCount: number) {
    this.classCounts = new Array<number>(classCount).fill(0);
  }

  add(image: InspectedImage, label: number | null): void {
    this.imageCount += 1;
    if (label !== null) this.classCounts[label] = (this.classCounts[label] ?? 0) + 1;
    this.formatCounts[image.format] += 1;
    this.sizeCounts[bucketOf(Math.max(image.width, image.height))]! += 1;
    this.pool(image.width * image.height, image.mean, image.m2);
  }

  summary(): Pick<
    ValidationSummary,
    'imageCount' | 'classCounts' | 'sizeHistogram' | 'formatCounts' | 'channelMean' | 'channelStd'
  > {
    const n = Math.max(1, this.pixels);
    return {
      imageCount: this.imageCount,
      classCounts: [...this.classCounts],
      sizeHistogram: this.sizeCounts.map((count, i): SizeBucket => ({ maxSide: SIZE_BUCKETS[i] ?? null, count })),
      formatCounts: { ...this.formatCounts },
      channelMean: [...this.mean],
      channelStd: this.m2.map((m2) => Math.sqrt(m2 / n)) as Rgb,
    };
  }

  private pool(count: number, mean: Rgb, m2: Rgb): void {
    const total = this.pixels + count;
    for (let c = 0; c < 3; c++) {
      const delta = mean[c]! - this.mean[c]!;
      this.mean[c] = this.mean[c]! + (delta * count) / total;
      this.m2[c] = this.m2[c]! + m2[c]! + (delta * delta * this.pixels * count) / total;
    }
    this.pixels = total;
  }
}

function bucketOf(longerSide: number): number {
  const i = SIZE_BUCKETS.findIndex((max) => longerSide <= max);
  return i === -1 ? SIZE_BUCKETS.length : i;
}
