// Convolution kernels for the CLSA engine on CPUs, on oneDNN (the library PyTorch's CPU
// convolutions run on). tfjs's wasm and cpu backends reach ~10-25 GMAC/s on a convnet's
// convolutions; oneDNN's JIT kernels use the machine's widest vector units and every core.
//
// `sumRows` gives BatchNorm its per-channel sums in one pass (see sumRows below).
//
// `convolution(direction, src, weights, dst, dims)`: src and dst are NHWC,
// weights tfjs's [KH, KW, C, O] (oneDNN's hwio). `direction` says which buffer is written:
// "forward" writes dst, "backwardData" writes src (dL/dx from dL/dy), "backwardWeights" writes
// weights (dL/dW). Buffers are Float32Arrays over any memory, the wasm heap included.
#include <node_api.h>

#include <dnnl.hpp>
#include <omp.h>

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// N, H, W, C, KH, KW, O, OH, OW, strideH, strideW, padTop, padLeft, padBottom, padRight,
// dilationH, dilationW (1 = none).
constexpr size_t kDims = 17;
using Dims = std::array<int64_t, kDims>;

enum class Direction { forward = 0, backwardData = 1, backwardWeights = 2 };

dnnl::engine& cpu() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

struct Geometry {
  memory::desc src, weights, dst;
  memory::dims strides, dilations, padL, padR;

  explicit Geometry(const Dims& d, tag weightsTag)
      : src({d[0], d[3], d[1], d[2]}, dt::f32, tag::nhwc),
        weights({d[6], d[3], d[4], d[5]}, dt::f32, weightsTag),
        dst({d[0], d[6], d[7], d[8]}, dt::f32, tag::nhwc),
        strides({d[9], d[10]}),
        dilations({d[15] - 1, d[16] - 1}),
        padL({d[11], d[12]}),
        padR({d[13], d[14]}) {}

  dnnl::convolution_forward::primitive_desc forward() const {
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                         src, weights, dst, strides, dilations, padL, padR);
    return dnnl::convolution_forward::primitive_desc(desc, cpu());
  }
};

// What one direction of one shape needs: the primitive in the layout oneDNN chose for the
// weights, and the reorder between that layout and tfjs's (none where they agree).
struct Plan {
  dnnl::primitive convolution;
  memory::desc weightsInPrimitive;
  memory::desc userWeights;
  bool reorderWeights = false;
  dnnl::primitive weightsReorder;
};

Plan makePlan(Direction direction, const Dims& d) {
  Geometry user(d, tag::hwio);
  Geometry any(d, tag::any);
  Plan plan;
  plan.userWeights = user.weights;
  auto forward = any.forward();
  if (direction == Direction::forward) {
    plan.convolution = dnnl::convolution_forward(forward);
    plan.weightsInPrimitive = forward.weights_desc();
  } else if (direction == Direction::backwardData) {
    dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, any.src, any.weights, any.dst,
                                               any.strides, any.dilations, any.padL, any.padR);
    dnnl::convolution_backward_data::primitive_desc pd(desc, cpu(), forward);
    plan.convolution = dnnl::convolution_backward_data(pd);
    plan.weightsInPrimitive = pd.weights_desc();
  } else {
    dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, any.src, any.weights,
                                                  any.dst, any.strides, any.dilations, any.padL, any.padR);
    dnnl::convolution_backward_weights::primitive_desc pd(desc, cpu(), forward);
    plan.convolution = dnnl::convolution_backward_weights(pd);
    plan.weightsInPrimitive = pd.diff_weights_desc();
  }
  plan.reorderWeights = plan.weightsInPrimitive != plan.userWeights;
  if (plan.reorderWeights) {
    memory inPrimitive(plan.weightsInPrimitive, cpu(), DNNL_MEMORY_NONE);
    memory inUser(plan.userWeights, cpu(), DNNL_MEMORY_NONE);
    plan.weightsReorder = direction == Direction::backwardWeights ? dnnl::reorder(inPrimitive, inUser)
                                                                  : dnnl::reorder(inUser, inPrimitive);
  }
  return plan;
}

std::mutex plansLock;
std::map<std::pair<int, Dims>, std::shared_ptr<Plan>> plans;

std::shared_ptr<Plan> planFor(Direction direction, const Dims& d) {
  std::lock_guard<std::mutex> hold(plansLock);
  auto key = std::make_pair(static_cast<int>(direction), d);
  auto found = plans.find(key);
  if (found != plans.end()) return found->second;
  auto plan = std::make_shared<Plan>(makePlan(direction, d));
  plans.emplace(key, plan);
  return plan;
}

void run(Direction direction, const Dims& d, float* src, float* weights, float* dst) {
  auto plan = planFor(direction, d);
  Geometry g(d, tag::hwio);
  dnnl::stream stream(cpu());
  memory srcMem(g.src, cpu(), src);
  memory dstMem(g.dst, cpu(), dst);
  memory userWeights(plan->userWeights, cpu(), weights);
  memory primitiveWeights = plan->reorderWeights ? memory(plan->weightsInPrimitive, cpu()) : userWeights;
  if (plan->reorderWeights && direction != Direction::backwardWeights) {
    plan->weightsReorder.execute(stream, {{DNNL_ARG_FROM, userWeights}, {DNNL_ARG_TO, primitiveWeights}});
  }
  if (direction == Direction::forward) {
    plan->convolution.execute(
        stream, {{DNNL_ARG_SRC, srcMem}, {DNNL_ARG_WEIGHTS, primitiveWeights}, {DNNL_ARG_DST, dstMem}});
  } else if (direction == Direction::backwardData) {
    plan->convolution.execute(
        stream, {{DNNL_ARG_DIFF_SRC, srcMem}, {DNNL_ARG_WEIGHTS, primitiveWeights}, {DNNL_ARG_DIFF_DST, dstMem}});
  } else {
    plan->convolution.execute(
        stream, {{DNNL_ARG_SRC, srcMem}, {DNNL_ARG_DIFF_WEIGHTS, primitiveWeights}, {DNNL_ARG_DIFF_DST, dstMem}});
    if (plan->reorderWeights) {
      plan->weightsReorder.execute(stream, {{DNNL_ARG_FROM, primitiveWeights}, {DNNL_ARG_TO, userWeights}});
    }
  }
  stream.wait();
}

// out[g, c] = Σ_r a[g, r, c] (· b[g, r, c] where b is given): BatchNorm's per-channel sums over an
// NHWC batch. Memory-bound; each thread sums a run of rows in double, then the parts are added.
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

// ---- N-API glue -------------------------------------------------------------------------

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
  uint32_t count = 0;
  bool isArray = false;
  napi_is_array(env, argv[4], &isArray);
  if (!isArray || napi_get_array_length(env, argv[4], &count) != napi_ok || count != kDims) {
    return fail(env, "dims must be an array of 17 whole numbers");
  }
  for (uint32_t i = 0; i < kDims; i++) {
    napi_value item;
    napi_get_element(env, argv[4], i, &item);
    if (napi_get_value_int64(env, item, &d[i]) != napi_ok) return fail(env, "dims must hold numbers");
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
    run(static_cast<Direction>(direction), d, src, weights, dst);
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
  uint32_t count = 0;
  bool isArray = false;
  napi_is_array(env, argv[3], &isArray);
  if (!isArray || napi_get_array_length(env, argv[3], &count) != napi_ok || count != 3) {
    return fail(env, "shape must be [groups, rows, channels]");
  }
  for (uint32_t i = 0; i < 3; i++) {
    napi_value item;
    napi_get_element(env, argv[3], i, &item);
    if (napi_get_value_int64(env, item, &shape[i]) != napi_ok || shape[i] < 1) {
      return fail(env, "shape must hold whole numbers of at least 1");
    }
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
  sumRows(a, b, out, shape[0], shape[1], shape[2]);
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
