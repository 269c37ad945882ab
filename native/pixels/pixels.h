// Per-pixel loops of the augmentation ops (a Node-API addon apart from the convolution kernels, so
// it needs no oneDNN; addon.cc is its JavaScript face). Each loop mirrors one in src/clsa/augment
// line for line: the JavaScript builds every table and weight, so both run the same arithmetic and
// give the same bytes (the tests hold them to each other). Images are 8-bit RGB, interleaved.
#pragma once

#include <cstddef>
#include <cstdint>

// The loops that vectorise get an AVX2 copy beside the baseline one, picked when the module loads
// (32-bit multiplies take 8 lanes and one instruction there, against 4 lanes emulated on SSE2).
#if defined(__x86_64__) && defined(__GNUC__)
#define CLSA_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLSA_VECTOR_CLONES
#endif

namespace clsa::pixels {

// out[i] = lut[channel(i)][src[i]], the three 256-entry tables back to back (image.ts applyLuts).
void lookUp(const uint8_t* src, uint8_t* out, size_t bytes, const uint8_t* luts);

// Σ of Pillow's L over the pixels (pil-enhance.ts lumaSum).
double lumaSum(const uint8_t* src, size_t bytes);

// img.convert('L').convert('RGB') (pil-enhance.ts greyValues).
void grey(const uint8_t* src, uint8_t* out, size_t bytes);

// Image.blend(p, q, alpha) with steps[d + 255] = f32(alpha · d) (pil-enhance.ts blendValues).
void blend(const uint8_t* p, const uint8_t* q, uint8_t* out, size_t bytes, const double* steps);

// ImageEnhance.Color: each pixel blended with its own L (pil-enhance.ts blendWithGrey).
void blendWithGrey(const uint8_t* src, uint8_t* out, size_t bytes, const double* steps);

// The tables of pil-hsv.ts (HsvTables), built there.
struct HsvTables {
  const uint8_t* hue;         // 3 · 65536
  const uint8_t* saturation;  // 65536
  const double* fs;           // 256
  const double* oneMinusFs;   // 256
  const uint8_t* rgbShift;    // 3 · 256
  const double* odd;          // 256
  const double* fsFactor;     // 256
};

// adjust_hue: RGB → HSV, H + shift (mod 256), HSV → RGB (pil-hsv.ts shiftHues).
void shiftHues(const uint8_t* src, uint8_t* out, size_t bytes, uint32_t shift, const HsvTables& t);

// Left–right mirror of every row (weak-color.ts horizontalFlip).
void mirror(const uint8_t* src, uint8_t* out, int64_t width, int64_t height);

// ImagingBoxBlur's box in 8.24 fixed point (pil-blur.ts boxWeights).
struct BoxWeights {
  int64_t radius;
  uint32_t ww;
  uint32_t fw;
};

// `passes` box passes along the rows, then along the columns; radius < min(width, height)
// (pil-blur.ts gaussianBlur's padded path).
void boxBlur(const uint8_t* src, uint8_t* out, int64_t width, int64_t height, BoxWeights box, int passes);

// One axis of Pillow's resampler (pil-resize.ts AxisCoefficients): per output pixel [first,
// count] in `bounds` and `taps` fixed-point weights.
struct Axis {
  const int32_t* bounds;
  const int32_t* weights;
  int64_t taps;
};

// The crop of src (srcWidth wide) at (left, top) resampled to width×height: the horizontal pass
// over the rows the vertical one reads, then the vertical pass (pil-resize.ts resampleRgb).
void resample(const uint8_t* src, int64_t srcWidth, int64_t left, int64_t top, uint8_t* out, int64_t width,
              int64_t height, const Axis& across, const Axis& down);

}  // namespace clsa::pixels
