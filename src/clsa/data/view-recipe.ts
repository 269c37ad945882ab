/**
 * Which views each image yields: one key view (weak pipeline), weak query views, strong query
 * views, each with its own output size and RandomResizedCrop scale range.
 *
 * Every view draws from its own seeded stream, `Rng.forSample({ seed, epoch, sampleIndex,
 * viewIndex })`, with view indices fixed by the recipe: the key is 0, weak query i is 1 + i,
 * strong query j is 1 + weak.length + j. Changing a recipe changes the streams; the number or
 * order of workers never does.
 */
import { type StrongPolicyOptions } from '../augment/strong-policy.js';
import { type ChannelStats } from './normalize-hwc.js';

export interface ViewSpec {
  /** Output side in pixels (views are square). */
  readonly size: number;
  /** RandomResizedCrop's area fraction range. */
  readonly scale: readonly [number, number];
  /** RandomResizedCrop's aspect ratio range; [3/4, 4/3] by default. */
  readonly ratio?: readonly [number, number];
}

export interface ViewRecipe {
  readonly key: ViewSpec;
  readonly weak: readonly ViewSpec[];
  readonly strong: readonly ViewSpec[];
  readonly strongPolicy?: StrongPolicyOptions;
  /** Normalisation; ImageNet's mean and std by default. */
  readonly mean?: ChannelStats;
  readonly std?: ChannelStats;
}

export type ViewKind = 'key' | 'weak' | 'strong';

export interface PlannedView {
  readonly kind: ViewKind;
  /** Position among the views of its kind. */
  readonly slot: number;
  readonly viewIndex: number;
  readonly spec: ViewSpec;
}

/**
 * The reference implementation's multi-crop table (maple-research-lab/CLSA, ops/argparser.py:
 * `--size_crops 224 192 160 128 96`, `--min_scale_crops 0.2 0.172 0.143 0.114 0.086`,
 * `--max_scale_crops 1.0 0.86 0.715 0.571 0.429`, one crop per size; the same in its README's
 * multi-crop command). Each range is roughly the 224 px range times size / 224, rounded as there.
 */
export const MULTI_CROP_TABLE: readonly ViewSpec[] = [
  { size: 224, scale: [0.2, 1.0] },
  { size: 192, scale: [0.172, 0.86] },
  { size: 160, scale: [0.143, 0.715] },
  { size: 128, scale: [0.114, 0.571] },
  { size: 96, scale: [0.086, 0.429] },
];

const KEY_VIEW: ViewSpec = { size: 224, scale: [0.2, 1.0] };

/** The paper's single-crop setting: key and weak query at 224 (0.2–1.0), strong query at 96 (0.086–0.429). */
export const SINGLE_CROP_RECIPE: ViewRecipe = {
  key: KEY_VIEW,
  weak: [{ size: 224, scale: [0.2, 1.0] }],
  strong: [{ size: 96, scale: [0.086, 0.429] }],
};

export interface MultiCropChoice {
  /** Rows of MULTI_CROP_TABLE used as weak queries (the reference's `--pick_weak`); all five by default. */
  readonly weak?: readonly number[];
  /** Rows used as strong queries (`--pick_strong`); all five by default. */
  readonly strong?: readonly number[];
  readonly strongPolicy?: StrongPolicyOptions;
}

function tableRows(rows: readonly number[]): ViewSpec[] {
  return rows.map((row) => {
    const spec = MULTI_CROP_TABLE[row];
    if (spec === undefined) throw new RangeError(`multi-crop row ${row} is not in 0..${MULTI_CROP_TABLE.length - 1}`);
    return spec;
  });
}

/** The reference's multi-crop setting: the key view, then weak and strong queries at the chosen sizes. */
export function multiCropRecipe(choice: MultiCropChoice = {}): ViewRecipe {
  const all = MULTI_CROP_TABLE.map((_, i) => i);
  return {
    key: KEY_VIEW,
    weak: tableRows(choice.weak ?? all),
    strong: tableRows(choice.strong ?? all),
    ...(choice.strongPolicy === undefined ? {} : { strongPolicy: choice.strongPolicy }),
  };
}

function checkSpec(spec: ViewSpec, what: string): void {
  const [smin, smax] = spec.scale;
  if (!Number.isInteger(spec.size) || spec.size < 1) throw new RangeError(`${what}: size must be a positive integer`);
  if (!(smin > 0 && smin <= smax && smax <= 1)) throw new RangeError(`${what}: scale must satisfy 0 < min <= max <= 1`);
}

/** The recipe's views in stream order (key, weak queries, strong queries), checked. */
export function planViews(recipe: ViewRecipe): PlannedView[] {
  const views: PlannedView[] = [{ kind: 'key', slot: 0, viewIndex: 0, spec: recipe.key }];
  recipe.weak.forEach((spec, slot) => views.push({ kind: 'weak', slot, viewIndex: 1 + slot, spec }));
  const firstStrong = 1 + recipe.weak.length;
  recipe.strong.forEach((spec, slot) => views.push({ kind: 'strong', slot, viewIndex: firstStrong + slot, spec }));
  views.forEach((v) => checkSpec(v.spec, `${v.kind} view ${v.slot}`));
  return views;
}
