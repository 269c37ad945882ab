// BatchNorm's per-channel sums over an NHWC batch, in one pass. On wasm, as a matmul with a row of
// ones, XNNPACK repacks the whole activation as the matmul's weights on every call.
#include <vector>

#include "kernels.h"

namespace clsa {

// Memory-bound; each thread sums a run of rows in double, then the parts are added.
void sumRows(const float* a, const float* b, float* out, int64_t groups, int64_t rows, int64_t channels) {
  for (int64_t g = 0; g < groups; g++) {
    std::vector<double> total(channels, 0.0);
    const float* ga = a + g * rows * channels;
    const float* gb = b == nullptr ? nullptr : b + g * rows * channels;
#pragma omp parallel
    {
      std::vector<double> part(channels, 0.0);
      double* p = part.data();
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows; r++) {
        const float* ra = ga + r * channels;
        if (gb == nullptr) {
          for (int64_t c = 0; c < channels; c++) p[c] += ra[c];
        } else {
          const float* rb = gb + r * channels;
          for (int64_t c = 0; c < channels; c++) p[c] += static_cast<double>(ra[c]) * rb[c];
        }
      }
#pragma omp critical
      for (int64_t c = 0; c < channels; c++) total[c] += part[c];
    }
    for (int64_t c = 0; c < channels; c++) out[g * channels + c] = static_cast<float>(total[c]);
  }
}

}  // namespace clsa
