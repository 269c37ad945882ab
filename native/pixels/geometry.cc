// Box blur and mirror: the ops that move pixels rather than recolour them.
#include <vector>

#include "pixels.h"

namespace clsa::pixels {

namespace {

// One box pass along a padded line of n RGB pixels (pil-blur.ts boxPassRgb): the window sums slide
// one pixel at a time and the 8.24 products wrap modulo 2^32 as Pillow's UINT32 arithmetic does.
void boxPassRgb(const uint8_t* src, int64_t n, uint8_t* dst, int64_t toStep, const BoxWeights& box) {
  uint32_t acc0 = 0, acc1 = 0, acc2 = 0;
  for (int64_t i = 0; i <= box.radius * 6; i += 3) {
    acc0 += src[i];
    acc1 += src[i + 1];
    acc2 += src[i + 2];
  }
  const uint8_t* left = src;
  const uint8_t* right = src + box.radius * 6 + 3;
  for (int64_t x = 0; x < n; x++, left += 3, right += 3, dst += toStep) {
    uint32_t l0 = left[0], l1 = left[1], l2 = left[2];
    acc0 += right[0] - l0;
    acc1 += right[1] - l1;
    acc2 += right[2] - l2;
    dst[0] = static_cast<uint8_t>((acc0 * box.ww + (l0 + right[3]) * box.fw + 0x800000u) >> 24);
    dst[1] = static_cast<uint8_t>((acc1 * box.ww + (l1 + right[4]) * box.fw + 0x800000u) >> 24);
    dst[2] = static_cast<uint8_t>((acc2 * box.ww + (l2 + right[5]) * box.fw + 0x800000u) >> 24);
  }
}

// Repeats the first and last of the n pixels at pixel `pad` of `line` over the pad pixels either side.
void padEnds(uint8_t* line, int64_t pad, int64_t n) {
  const uint8_t* first = line + pad * 3;
  const uint8_t* last = line + (pad + n - 1) * 3;
  for (int64_t i = 0; i < pad * 3; i += 3) {
    for (int c = 0; c < 3; c++) {
      line[i + c] = first[c];
      line[(pad + n) * 3 + i + c] = last[c];
    }
  }
}

// Box passes along every row of the w×h `src`, written transposed into `dst` (pil-blur.ts
// blurRowsTransposed); between passes a row lives in padded line buffers.
void blurRowsTransposed(const uint8_t* src, int64_t w, int64_t h, uint8_t* dst, const BoxWeights& box, int passes) {
  int64_t pad = box.radius + 1;
  std::vector<uint8_t> a((w + 2 * pad) * 3), b((w + 2 * pad) * 3);
  for (int64_t y = 0; y < h; y++) {
    uint8_t* line = a.data();
    uint8_t* next = b.data();
    const uint8_t* row = src + y * w * 3;
    for (int64_t i = 0; i < w * 3; i++) line[pad * 3 + i] = row[i];
    for (int p = 1;; p++) {
      padEnds(line, pad, w);
      if (p >= passes) {
        boxPassRgb(line, w, dst + y * 3, h * 3, box);
        break;
      }
      boxPassRgb(line, w, next + pad * 3, 3, box);
      uint8_t* done = line;
      line = next;
      next = done;
    }
  }
}

}  // namespace

void boxBlur(const uint8_t* src, uint8_t* out, int64_t width, int64_t height, BoxWeights box, int passes) {
  std::vector<uint8_t> transposed(width * height * 3);
  blurRowsTransposed(src, width, height, transposed.data(), box, passes);
  blurRowsTransposed(transposed.data(), height, width, out, box, passes);
}

void mirror(const uint8_t* src, uint8_t* out, int64_t width, int64_t height) {
  for (int64_t y = 0; y < height; y++) {
    const uint8_t* s = src + y * width * 3;
    uint8_t* d = out + (y * width + width - 1) * 3;
    for (int64_t x = 0; x < width; x++, s += 3, d -= 3) {
      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
    }
  }
}

}  // namespace clsa::pixels
