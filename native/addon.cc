// The addon's JavaScript face (src/clsa/tensor/native-kernels.ts loads it):
//   convolution(direction, src, weights, dst, dims): direction 0 (forward) writes dst, 1
//     (backwardData) writes src, 2 (backwardWeights) writes weights; dims as clsa::Dims.
//   sumRows(a, b | null, out, [groups, rows, channels])
//   setThreads(n), runtime()
// Buffers are Float32Arrays over any memory, the wasm heap included; every size is checked.
#include <dnnl.hpp>
#include <omp.h>

#include <string>

#include "kernels.h"
#include "napi-args.h"

namespace {

using clsa::Dims;
using clsa::Direction;
using clsa::kDims;

using clsa::napi::Args;

constexpr const char* kCode = "CLSA_NATIVE";

napi_value Convolution(napi_env env, napi_callback_info info) {
  Args args(env, info, 5, "convolution(direction, src, weights, dst, dims)", kCode);
  auto direction = static_cast<Direction>(
      args.whole(0, "direction", 0, 2, "direction must be 0 (forward), 1 (backwardData) or 2 (backwardWeights)"));
  Dims d{};
  args.wholeNumbers(4, "dims", kDims, d.data());
  for (uint32_t i = 0; i < kDims; i++) {
    bool positive = i < 11 || i >= 15;
    args.check(positive ? d[i] >= 1 : d[i] >= 0, "dims[" + std::to_string(i) + "] is out of range");
  }
  float* src = args.floats(1, "src", d[0] * d[1] * d[2] * d[3]);
  float* weights = args.floats(2, "weights", d[4] * d[5] * d[3] * d[6]);
  float* dst = args.floats(3, "dst", d[0] * d[7] * d[8] * d[6]);
  if (!args.ok()) return args.fail();
  try {
    clsa::convolve(direction, d, src, weights, dst);
  } catch (const dnnl::error& e) {
    return clsa::napi::fail(env, kCode, std::string("oneDNN: ") + e.what() + " (status " + std::to_string(e.status) + ")");
  }
  return nullptr;
}

// sumRows(a, b | null, out, [groups, rows, channels])
napi_value SumRows(napi_env env, napi_callback_info info) {
  Args args(env, info, 4, "sumRows(a, b, out, [groups, rows, channels])", kCode);
  int64_t shape[3] = {0, 0, 0};
  args.wholeNumbers(3, "shape", 3, shape);
  args.check(shape[0] >= 1 && shape[1] >= 1 && shape[2] >= 1,
             "shape must be [groups, rows, channels], whole numbers of at least 1");
  const size_t size = shape[0] * shape[1] * shape[2];
  const float* a = args.floats(0, "a", size);
  const float* b = args.isNull(1) ? nullptr : args.floats(1, "b", size);
  float* out = args.floats(2, "out", shape[0] * shape[2]);
  if (!args.ok()) return args.fail();
  clsa::sumRows(a, b, out, shape[0], shape[1], shape[2]);
  return nullptr;
}

napi_value Runtime(napi_env env, napi_callback_info) {
  const dnnl_version_t* version = dnnl_version();
  std::string text = "oneDNN " + std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
                     std::to_string(version->patch) + ", " + std::to_string(omp_get_max_threads()) + " threads";
  napi_value out;
  napi_create_string_utf8(env, text.c_str(), text.size(), &out);
  return out;
}

// OpenMP threads for the kernels that follow (each call runs on the calling thread's team).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args args(env, info, 1, "setThreads(n)", kCode);
  int64_t threads = args.whole(0, "n", 1, 1 << 16, "setThreads(n) takes a whole number of at least 1");
  if (!args.ok()) return args.fail();
  omp_set_num_threads(static_cast<int>(threads));
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  return clsa::napi::exportFunctions(env, exports,
                                     {{"convolution", Convolution},
                                      {"runtime", Runtime},
                                      {"setThreads", SetThreads},
                                      {"sumRows", SumRows}});
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
