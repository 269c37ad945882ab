/**
 * Named starting points for a job's CLSA configuration. A request's `config` is laid over its
 * preset: top-level fields replace the preset's, `encoder` fields replace one by one, `views`
 * replaces the whole recipe. Every value left out falls back to the engine's defaults (the paper's).
 */
import type { TrainConfigInput } from '../clsa/train/train-config.js';

export type JobAccelerator = 'CPU' | 'GPU';

export interface JobPreset {
  readonly description: string;
  readonly accelerator: JobAccelerator;
  readonly checkpointEvery: number;
  readonly config: TrainConfigInput;
}

const PAPER_VIEWS = {
  key: { size: 224, scale: [0.2, 1] },
  weak: [{ size: 224, scale: [0.2, 1] }],
  strong: [{ size: 96, scale: [0.086, 0.429] }],
} satisfies TrainConfigInput['views'];

/** The paper's ImageNet run apart from β and the views. */
const PAPER_RUN = {
  encoder: { architecture: 'resnet50', smallImageStem: false, baseWidth: 64, projectionDim: 128 },
  batchSize: 256,
  epochs: 200,
  queueSize: 65_536,
} satisfies TrainConfigInput;

export const JOB_PRESETS = {
  'resnet50-paper': {
    description: "The paper's ImageNet setting: ResNet-50, batch 256, 200 epochs, queue 65536, β = 1, 224/96 px views",
    accelerator: 'GPU',
    checkpointEvery: 1000,
    config: {
      ...PAPER_RUN,
      beta: 1,
      views: PAPER_VIEWS,
    },
  },
  'mocov2-baseline': {
    description:
      'MoCo v2 (β = 0, no strong views) with otherwise the paper setting: the baseline CLSA is measured against',
    accelerator: 'GPU',
    checkpointEvery: 1000,
    config: {
      ...PAPER_RUN,
      beta: 0,
      views: { key: PAPER_VIEWS.key, weak: PAPER_VIEWS.weak, strong: [] },
    },
  },
  'cpu-demo': {
    description: 'A narrow ResNet-18 on 32 px views that trains in minutes on a laptop CPU: batch 32, 5 epochs',
    accelerator: 'CPU',
    checkpointEvery: 10,
    config: {
      encoder: { architecture: 'resnet18', smallImageStem: true, baseWidth: 8, projectionDim: 32 },
      batchSize: 32,
      epochs: 5,
      lr: 0.3,
      queueSize: 128,
      keyMomentum: 0.99,
      beta: 1,
      views: {
        key: { size: 32, scale: [0.2, 1] },
        weak: [{ size: 32, scale: [0.2, 1] }],
        strong: [{ size: 16, scale: [0.086, 0.429] }],
      },
      shuffleBuffer: 64,
    },
  },
} as const satisfies Record<string, JobPreset>;

export type JobPresetName = keyof typeof JOB_PRESETS;
export const JOB_PRESET_NAMES = Object.keys(JOB_PRESETS) as JobPresetName[];
export const DEFAULT_JOB_PRESET: JobPresetName = 'resnet50-paper';
