// Box blur and mirror: the ops that move pixels rather than recolour them. The blur runs its
// passes down columns only, transposing the image to blur its rows; integer sums make the order free.
#include <algorithm>
#include <vector>

#include "pixels.h"

namespace clsa::pixels {

namespace {

// `passes` box passes down every column at once (pil-blur.ts boxPassRgb, one per column): one
// running window sum per byte of a row, so the inner loop runs along contiguous rows and
// vectorises. Row j of the padded column is image row clamp(j − radius − 1), as in the padded
// lines of pil-blur.ts; the 8.24 products wrap modulo 2^32 as Pillow's UINT32 arithmetic does.
CLSA_VECTOR_CLONES void blurColumns(const uint8_t* src, int64_t w, int64_t h, uint8_t* dst, const BoxWeights& box,
                                    int passes) {
  const int64_t rowBytes = w * 3;
  const int64_t pad = box.radius + 1;
  std::vector<uint8_t> a(rowBytes * h), b(rowBytes * h);
  std::vector<uint32_t> acc(rowBytes);
  const uint8_t* in = src;
  auto row = [&](int64_t j) {
    int64_t y = j - pad;
    return in + (y < 0 ? 0 : y >= h ? h - 1 : y) * rowBytes;
  };
  for (int p = 1; p <= passes; p++) {
    uint8_t* to = p == passes ? dst : (p % 2 == 1 ? a.data() : b.data());
    std::fill(acc.begin(), acc.end(), 0u);
    for (int64_t j = 0; j <= 2 * box.radius; j++) {
      const uint8_t* r = row(j);
      for (int64_t i = 0; i < rowBytes; i++) acc[i] += r[i];
    }
    for (int64_t y = 0; y < h; y++) {
      const uint8_t* left = row(y);
      const uint8_t* right = row(y + 2 * box.radius + 1);
      const uint8_t* beyond = row(y + 2 * box.radius + 2);
      uint8_t* out = to + y * rowBytes;
      for (int64_t i = 0; i < rowBytes; i++) {
        acc[i] += static_cast<uint32_t>(right[i]) - left[i];
        out[i] = static_cast<uint8_t>((acc[i] * box.ww + (left[i] + beyond[i]) * box.fw + 0x800000u) >> 24);
      }
    }
    in = to;
  }
}

// The h×w image of `src` (w×h) mirrored about its diagonal, RGB pixels kept whole.
void transpose(const uint8_t* src, int64_t w, int64_t h, uint8_t* dst) {
  for (int64_t y = 0; y < h; y++) {
    for (int64_t x = 0; x < w; x++) {
      const uint8_t* s = src + (y * w + x) * 3;
      uint8_t* d = dst + (x * h + y) * 3;
      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
    }
  }
}

}  // namespace

void boxBlur(const uint8_t* src, uint8_t* out, int64_t width, int64_t height, BoxWeights box, int passes) {
  // rows first, as Pillow: down the columns of the transposed image, where the passes vectorise
  std::vector<uint8_t> across(width * height * 3), blurred(width * height * 3);
  transpose(src, width, height, across.data());
  blurColumns(across.data(), height, width, blurred.data(), box, passes);
  transpose(blurred.data(), height, width, across.data());
  blurColumns(across.data(), width, height, out, box, passes);
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
