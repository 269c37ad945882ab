// Colour ops: lookup tables, Pillow's L, blends and the hue shift. Float steps are single-precision
// where Pillow's are (float t = float + float), so x86-64 without FMA contraction gives Pillow's bytes.
#include "pixels.h"

namespace clsa::pixels {

namespace {

inline uint32_t luma(uint32_t r, uint32_t g, uint32_t b) { return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16; }

// Blend.c's value: f32(x + step), clipped to 0..255, truncated. NaN (a NaN factor) gives 0, as
// JavaScript's store of NaN into a Uint8Array does.
inline uint8_t blended(uint32_t x, double step) {
  float t = static_cast<float>(x) + static_cast<float>(step);
  return !(t > 0.0f) ? 0 : t >= 255.0f ? 255 : static_cast<uint8_t>(t);
}

}  // namespace

void lookUp(const uint8_t* src, uint8_t* out, size_t bytes, const uint8_t* luts) {
  const uint8_t* lr = luts;
  const uint8_t* lg = luts + 256;
  const uint8_t* lb = luts + 512;
  for (size_t i = 0; i + 2 < bytes; i += 3) {
    out[i] = lr[src[i]];
    out[i + 1] = lg[src[i + 1]];
    out[i + 2] = lb[src[i + 2]];
  }
}

double lumaSum(const uint8_t* src, size_t bytes) {
  uint64_t sum = 0;
  for (size_t i = 0; i + 2 < bytes; i += 3) sum += luma(src[i], src[i + 1], src[i + 2]);
  return static_cast<double>(sum);
}

void grey(const uint8_t* src, uint8_t* out, size_t bytes) {
  for (size_t i = 0; i + 2 < bytes; i += 3) {
    uint8_t l = static_cast<uint8_t>(luma(src[i], src[i + 1], src[i + 2]));
    out[i] = l;
    out[i + 1] = l;
    out[i + 2] = l;
  }
}

void blend(const uint8_t* p, const uint8_t* q, uint8_t* out, size_t bytes, const double* steps) {
  for (size_t i = 0; i < bytes; i++) out[i] = blended(p[i], steps[q[i] - p[i] + 255]);
}

void blendWithGrey(const uint8_t* src, uint8_t* out, size_t bytes, const double* steps) {
  for (size_t i = 0; i + 2 < bytes; i += 3) {
    int r = src[i], g = src[i + 1], b = src[i + 2];
    int l = static_cast<int>(luma(r, g, b));
    out[i] = blended(l, steps[r - l + 255]);
    out[i + 1] = blended(l, steps[g - l + 255]);
    out[i + 2] = blended(l, steps[b - l + 255]);
  }
}

void shiftHues(const uint8_t* src, uint8_t* out, size_t bytes, uint32_t shift, const HsvTables& t) {
  for (size_t i = 0; i + 2 < bytes; i += 3) {
    uint32_t r = src[i], g = src[i + 1], b = src[i + 2];
    uint32_t v = r > g ? r : g;
    v = v > b ? v : b;
    uint32_t minc = r < g ? r : g;
    minc = minc < b ? minc : b;
    // pil-hsv.ts hueIndexOf: which channel is 0 after subtracting the minimum (R before G before
    // B), then the other two in channel order
    uint32_t dr = r - minc, dg = g - minc, db = b - minc;
    uint32_t rIsZero = dr == 0;
    uint32_t gIsZero = (dg == 0) & !rIsZero;
    uint32_t bIsZero = !(rIsZero | gIsZero);
    uint32_t first = rIsZero ? dg : dr;
    uint32_t second = bIsZero ? dg : db;
    uint32_t h = (t.hue[((gIsZero + 2 * bIsZero) << 16) | (first << 8) | second] + shift) & 0xff;
    uint32_t s = t.saturation[(v << 8) | minc];
    // pil-hsv.ts writeRgb: q's product is rounded to float in odd sectors, t's stays double
    double m = t.fs[s] * t.fsFactor[h];
    double mq = m + t.odd[h] * (static_cast<double>(static_cast<float>(m)) - m);
    uint32_t qt = static_cast<uint32_t>(v * (1.0 - mq) + 0.5);
    uint32_t p = static_cast<uint32_t>(v * t.oneMinusFs[s] + 0.5);
    uint32_t packed = v | (qt << 8) | (p << 16);
    out[i] = static_cast<uint8_t>(packed >> t.rgbShift[3 * h]);
    out[i + 1] = static_cast<uint8_t>(packed >> t.rgbShift[3 * h + 1]);
    out[i + 2] = static_cast<uint8_t>(packed >> t.rgbShift[3 * h + 2]);
  }
}

}  // namespace clsa::pixels
