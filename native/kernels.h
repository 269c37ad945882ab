// The CLSA engine's native CPU kernels (a Node-API addon; addon.cc is its JavaScript face).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace clsa {

// N, H, W, C, KH, KW, O, OH, OW, strideH, strideW, padTop, padLeft, padBottom, padRight,
// dilationH, dilationW (1 = none).
constexpr size_t kDims = 17;
using Dims = std::array<int64_t, kDims>;

// Which buffer a convolution writes: dst (forward), src (dL/dx from dL/dy) or weights (dL/dW).
enum class Direction { forward = 0, backwardData = 1, backwardWeights = 2 };

// src and dst NHWC, weights tfjs's [KH, KW, C, O] (oneDNN's hwio); throws dnnl::error.
void convolve(Direction direction, const Dims& d, float* src, float* weights, float* dst);

// out[g, c] = Σ_r a[g, r, c] (· b[g, r, c] where b is not null).
void sumRows(const float* a, const float* b, float* out, int64_t groups, int64_t rows, int64_t channels);

}  // namespace clsa
