import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { fixtureImage } from '../../../test/clsa/shard-fixtures.js';
import { imageFrom, pixelAt, type RgbImage } from '../augment/image.js';
import { toNormalizedChw } from '../augment/normalize.js';
import { strongPixels, weakPixels } from '../augment/pipeline.js';
import { Rng } from '../augment/random.js';
import { resizedCrop } from '../augment/pil-resize.js';
import { sampleCropBox } from '../augment/weak-crop.js';
import { normalizationTable, writeNormalizedHwc } from './normalize-hwc.js';
import { MULTI_CROP_TABLE, multiCropRecipe, planViews, SINGLE_CROP_RECIPE, type ViewRecipe } from './view-recipe.js';
import { decodeRgb, renderViews } from './views.js';

function noise(width: number, height: number, seed: number): RgbImage {
  const rng = Rng.fromSeed(seed);
  return imageFrom(width, height, () => [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
}

describe('writeNormalizedHwc', () => {
  it('writes the values of toNormalizedChw, channels last, at the given slot', () => {
    const img = noise(5, 3, 1);
    const chw = toNormalizedChw(img).data;
    const out = new Float32Array(2 * 5 * 3 * 3).fill(99);
    writeNormalizedHwc(img, out, 45);
    expect([...out.slice(0, 45)].every((v) => v === 99)).toBe(true);
    // transpose the CHW reference: HWC[(y·w + x)·3 + c] = CHW[c·h·w + y·w + x]
    for (let p = 0; p < 15; p++) for (let c = 0; c < 3; c++) expect(out[45 + p * 3 + c]).toBe(chw[c * 15 + p]);
  });

  it('uses the given mean and std, and refuses a slot that does not fit', () => {
    const img = imageFrom(1, 1, () => [255, 0, 51]);
    const out = new Float32Array(3);
    writeNormalizedHwc(img, out, 0, normalizationTable([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]));
    // (1 − 0.5)/0.5 = 1, (0 − 0.5)/0.5 = −1, (0.2 − 0.5)/0.5 = −0.6 (in float32)
    expect([...out]).toEqual([1, -1, Math.fround(Math.fround(Math.fround(51 / 255) - 0.5) / 0.5)]);
    expect(() => writeNormalizedHwc(img, out, 1)).toThrow(/does not fit/);
  });
});

describe('decoding and cropping', () => {
  it('decodes grey and transparent images to 3 channels without the alpha', async () => {
    const grey = await sharp(Buffer.alloc(6, 77), { raw: { width: 3, height: 2, channels: 1 } })
      .png()
      .toBuffer();
    const decodedGrey = await decodeRgb(grey);
    expect([decodedGrey.width, decodedGrey.height, decodedGrey.data.length]).toEqual([3, 2, 18]);
    expect(pixelAt(decodedGrey, 2, 1)).toEqual([77, 77, 77]);
    const rgba = await sharp(Buffer.from([10, 20, 30, 0]), { raw: { width: 1, height: 1, channels: 4 } })
      .png()
      .toBuffer();
    expect(pixelAt(await decodeRgb(rgba), 0, 0)).toEqual([10, 20, 30]);
  });

  it('refuses images over the pixel limit and bytes that are not an image', async () => {
    const img = await fixtureImage(1, 40, 32); // 1280 pixels
    await expect(decodeRgb(img, 1000)).rejects.toThrow(/pixel limit/);
    await expect(decodeRgb(Buffer.from('not an image'))).rejects.toThrow();
  });
});

describe('view recipes', () => {
  it('defaults to the paper: key and weak 224 at 0.2–1, strong 96 at 0.086–0.429', () => {
    expect(SINGLE_CROP_RECIPE).toEqual({
      key: { size: 224, scale: [0.2, 1] },
      weak: [{ size: 224, scale: [0.2, 1] }],
      strong: [{ size: 96, scale: [0.086, 0.429] }],
    });
  });

  it('takes multi-crop rows from the reference table; rows 0 and 4 are the single-crop setting', () => {
    expect(MULTI_CROP_TABLE.map((v) => [v.size, ...v.scale])).toEqual([
      [224, 0.2, 1.0],
      [192, 0.172, 0.86],
      [160, 0.143, 0.715],
      [128, 0.114, 0.571],
      [96, 0.086, 0.429],
    ]);
    const multi = multiCropRecipe();
    expect([multi.weak.length, multi.strong.length]).toEqual([5, 5]);
    expect(multiCropRecipe({ weak: [0], strong: [4] })).toEqual(SINGLE_CROP_RECIPE);
    expect(() => multiCropRecipe({ weak: [5] })).toThrow(/row 5/);
  });

  it('numbers the view streams key, weak queries, strong queries', () => {
    const views = planViews(multiCropRecipe({ weak: [0, 1], strong: [2, 3, 4] }));
    expect(views.map((v) => [v.kind, v.slot, v.viewIndex, v.spec.size])).toEqual([
      ['key', 0, 0, 224],
      ['weak', 0, 1, 224],
      ['weak', 1, 2, 192],
      ['strong', 0, 3, 160],
      ['strong', 1, 4, 128],
      ['strong', 2, 5, 96],
    ]);
    expect(() => planViews({ ...SINGLE_CROP_RECIPE, strong: [{ size: 8, scale: [0.5, 0.2] }] })).toThrow(/scale/);
  });
});

describe('renderViews', () => {
  const small: ViewRecipe = {
    key: { size: 12, scale: [0.2, 1] },
    weak: [{ size: 12, scale: [0.2, 1] }],
    strong: [{ size: 8, scale: [0.086, 0.429] }],
  };
  const key = { seed: 77, epoch: 3, sampleIndex: 41 };

  it('composes crop, resize and the pixel pipeline from each view’s own stream', async () => {
    const encoded = await fixtureImage(5, 40, 32, 'png');
    const views = planViews(small);
    const rendered = await renderViews(encoded, views, key);
    // the same steps by hand: decode, then per view its stream draws the box, then the pixel ops
    const source = await decodeRgb(encoded);
    for (const { view, image } of rendered) {
      const rng = Rng.forSample({ ...key, viewIndex: view.viewIndex });
      const box = sampleCropBox(40, 32, rng, { scale: view.spec.scale });
      const resized = resizedCrop(source, box, view.spec.size);
      const expected = view.kind === 'strong' ? strongPixels(resized, rng).image : weakPixels(resized, rng);
      expect([image.width, image.height]).toEqual([view.spec.size, view.spec.size]);
      expect(Buffer.from(image.data).equals(Buffer.from(expected.data))).toBe(true);
    }
  });

  it('gives a view the same pixels whatever other views the recipe holds', async () => {
    const encoded = await fixtureImage(6);
    const alone = await renderViews(encoded, planViews({ ...small, weak: [], strong: [] }), key);
    const withOthers = await renderViews(encoded, planViews(small), key);
    expect(Buffer.from(alone[0]!.image.data).equals(Buffer.from(withOthers[0]!.image.data))).toBe(true);
    const nextEpoch = await renderViews(encoded, planViews(small), { ...key, epoch: 4 });
    expect(Buffer.from(nextEpoch[0]!.image.data).equals(Buffer.from(withOthers[0]!.image.data))).toBe(false);
  });
});
