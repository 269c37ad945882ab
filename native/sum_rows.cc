// BatchNorm's per-channel sums over an NHWC batch, in one pass. On wasm, as a matmul with a row of
// ones, XNNPACK repacks the whole activation as the matmul's weights on every call.
#include <vector>

#include "kernels.h"

namespace clsa {

// Memory-bound; each thread sums a run of rows (of any groups) in double, then the parts are
// added. One parallel region for all groups: waking passive OpenMP threads once, not per group.
void sumRows(const float* a, const float* b, float* out, int64_t groups, int64_t rows, int64_t channels) {
  std::vector<double> total(groups * channels, 0.0);
#pragma omp parallel
  {
    std::vector<double> part(groups * channels, 0.0);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < groups * rows; r++) {
      double* p = part.data() + (r / rows) * channels;
      const float* ra = a + r * channels;
      if (b == nullptr) {
        for (int64_t c = 0; c < channels; c++) p[c] += ra[c];
      } else {
        const float* rb = b + r * channels;
        for (int64_t c = 0; c < channels; c++) p[c] += static_cast<double>(ra[c]) * rb[c];
      }
    }
#pragma omp critical
    for (int64_t i = 0; i < groups * channels; i++) total[i] += part[i];
  }
  for (int64_t i = 0; i < groups * channels; i++) out[i] = static_cast<float>(total[i]);
}

}  // namespace clsa
