// Pillow's two-pass convolution resampler on 8-bit RGB with coefficients from pil-resize.ts.
// The sums are exact integers, so their order is free: the vertical pass runs row by row here
// (contiguous, vectorisable) where the JavaScript runs it column by column.
#include <vector>

#include "pixels.h"

namespace clsa::pixels {

namespace {

constexpr int kPrecisionBits = 22;
constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);

// Bilinear weights are non-negative and sum to about 2^22, so 255 of them fit an int32.
inline uint8_t clip8(int32_t sum) {
  return sum >= (1 << (kPrecisionBits + 8)) ? 255 : sum <= 0 ? 0 : static_cast<uint8_t>(sum >> kPrecisionBits);
}

// One row: output pixel i reads bounds' count pixels of `row` from bounds' first.
void resampleRow(const uint8_t* row, uint8_t* out, int64_t width, const Axis& axis) {
  for (int64_t i = 0; i < width; i++, out += 3) {
    int32_t s0 = kHalf, s1 = kHalf, s2 = kHalf;
    const uint8_t* at = row + axis.bounds[2 * i] * 3;
    const int32_t* k = axis.weights + i * axis.taps;
    for (int32_t x = 0; x < axis.bounds[2 * i + 1]; x++, at += 3) {
      s0 += at[0] * k[x];
      s1 += at[1] * k[x];
      s2 += at[2] * k[x];
    }
    out[0] = clip8(s0);
    out[1] = clip8(s1);
    out[2] = clip8(s2);
  }
}

// The vertical pass over the horizontal pass's rows (`temp`, from crop row firstRow on).
CLSA_VECTOR_CLONES void resampleColumns(const uint8_t* temp, int64_t rowBytes, int64_t firstRow, uint8_t* out,
                                        int64_t height, const Axis& down) {
  std::vector<int32_t> sums(rowBytes);
  for (int64_t yy = 0; yy < height; yy++, out += rowBytes) {
    const uint8_t* rows = temp + (down.bounds[2 * yy] - firstRow) * rowBytes;
    const int32_t* k = down.weights + yy * down.taps;
    for (int64_t i = 0; i < rowBytes; i++) sums[i] = kHalf;
    for (int32_t y = 0; y < down.bounds[2 * yy + 1]; y++, rows += rowBytes) {
      for (int64_t i = 0; i < rowBytes; i++) sums[i] += rows[i] * k[y];
    }
    for (int64_t i = 0; i < rowBytes; i++) out[i] = clip8(sums[i]);
  }
}

}  // namespace

void resample(const uint8_t* src, int64_t srcWidth, int64_t left, int64_t top, uint8_t* out, int64_t width,
              int64_t height, const Axis& across, const Axis& down) {
  int64_t firstRow = down.bounds[0];
  int64_t lastRow = down.bounds[2 * height - 2] + down.bounds[2 * height - 1];
  int64_t rowBytes = width * 3;
  std::vector<uint8_t> temp(rowBytes * (lastRow - firstRow));
  for (int64_t y = firstRow; y < lastRow; y++) {
    resampleRow(src + ((top + y) * srcWidth + left) * 3, temp.data() + (y - firstRow) * rowBytes, width, across);
  }
  resampleColumns(temp.data(), rowBytes, firstRow, out, height, down);
}

}  // namespace clsa::pixels
