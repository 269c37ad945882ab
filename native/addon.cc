// The addon's JavaScript face (src/clsa/tensor/native-kernels.ts loads it):
//   convolution(direction, src, weights, dst, dims): direction 0 (forward) writes dst, 1
//     (backwardData) writes src, 2 (backwardWeights) writes weights; dims as clsa::Dims.
//   sumRows(a, b | null, out, [groups, rows, channels])
//   setThreads(n), runtime()
// Buffers are Float32Arrays over any memory, the wasm heap included; every size is checked.
#include <node_api.h>

#include <dnnl.hpp>
#include <omp.h>

#include <string>

#include "kernels.h"

namespace {

using clsa::Dims;
using clsa::Direction;
using clsa::kDims;


napi_value fail(napi_env env, const std::string& message) {
  napi_throw_error(env, "CLSA_NATIVE", message.c_str());
  return nullptr;
}

bool floats(napi_env env, napi_value value, size_t expected, float** out, const char* name, std::string* error) {
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  if (!isTyped) {
    *error = std::string(name) + " must be a Float32Array";
    return false;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr);
  if (type != napi_float32_array) {
    *error = std::string(name) + " must be a Float32Array";
    return false;
  }
  if (length != expected) {
    *error = std::string(name) + " holds " + std::to_string(length) + " floats where the shape needs " +
             std::to_string(expected);
    return false;
  }
  *out = static_cast<float*>(data);
  return true;
}

// Reads an array of exactly `count` whole numbers into `out`.
bool wholeNumbers(napi_env env, napi_value value, uint32_t count, int64_t* out) {
  uint32_t length = 0;
  bool isArray = false;
  napi_is_array(env, value, &isArray);
  if (!isArray || napi_get_array_length(env, value, &length) != napi_ok || length != count) return false;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    napi_get_element(env, value, i, &item);
    if (napi_get_value_int64(env, item, &out[i]) != napi_ok) return false;
  }
  return true;
}

napi_value Convolution(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 5) return fail(env, "convolution(direction, src, weights, dst, dims) takes 5 arguments");
  int32_t direction = -1;
  if (napi_get_value_int32(env, argv[0], &direction) != napi_ok || direction < 0 || direction > 2) {
    return fail(env, "direction must be 0 (forward), 1 (backwardData) or 2 (backwardWeights)");
  }
  Dims d{};
  if (!wholeNumbers(env, argv[4], kDims, d.data())) return fail(env, "dims must be an array of 17 whole numbers");
  for (uint32_t i = 0; i < kDims; i++) {
    bool positive = i < 11 || i >= 15;
    if (positive ? d[i] < 1 : d[i] < 0) return fail(env, "dims[" + std::to_string(i) + "] is out of range");
  }
  std::string error;
  float *src = nullptr, *weights = nullptr, *dst = nullptr;
  if (!floats(env, argv[1], d[0] * d[1] * d[2] * d[3], &src, "src", &error) ||
      !floats(env, argv[2], d[4] * d[5] * d[3] * d[6], &weights, "weights", &error) ||
      !floats(env, argv[3], d[0] * d[7] * d[8] * d[6], &dst, "dst", &error)) {
    return fail(env, error);
  }
  try {
    clsa::convolve(static_cast<Direction>(direction), d, src, weights, dst);
  } catch (const dnnl::error& e) {
    return fail(env, std::string("oneDNN: ") + e.what() + " (status " + std::to_string(e.status) + ")");
  }
  return nullptr;
}

// sumRows(a, b | null, out, [groups, rows, channels])
napi_value SumRows(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return fail(env, "sumRows(a, b, out, [groups, rows, channels]) takes 4 arguments");
  int64_t shape[3] = {0, 0, 0};
  if (!wholeNumbers(env, argv[3], 3, shape) || shape[0] < 1 || shape[1] < 1 || shape[2] < 1) {
    return fail(env, "shape must be [groups, rows, channels], whole numbers of at least 1");
  }
  napi_valuetype bType;
  napi_typeof(env, argv[1], &bType);
  std::string error;
  float *a = nullptr, *b = nullptr, *out = nullptr;
  if (!floats(env, argv[0], shape[0] * shape[1] * shape[2], &a, "a", &error) ||
      (bType != napi_null && !floats(env, argv[1], shape[0] * shape[1] * shape[2], &b, "b", &error)) ||
      !floats(env, argv[2], shape[0] * shape[2], &out, "out", &error)) {
    return fail(env, error);
  }
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
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t threads = 0;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &threads) != napi_ok || threads < 1) {
    return fail(env, "setThreads(n) takes a whole number of at least 1");
  }
  omp_set_num_threads(threads);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"convolution", nullptr, Convolution, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"runtime", nullptr, Runtime, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumRows", nullptr, SumRows, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 4, properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
