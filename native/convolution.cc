// Convolutions on oneDNN (the library under PyTorch's CPU convolutions): tfjs's wasm and cpu
// backends reach ~10-30 GMAC/s on a ResNet's convolutions, oneDNN's JIT kernels 85-100 on the same
// 2 cores, using the machine's widest vector units and every core. Primitives are created once per
// shape and direction and cached; the weights are reordered between tfjs's layout and the one
// oneDNN picks where they differ, through a buffer each thread keeps.
#include <dnnl.hpp>

#include <cstdlib>
#include <map>
#include <new>
#include <memory>
#include <mutex>
#include <utility>

#include "kernels.h"

namespace clsa {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

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
// weights, the reorder between that layout and tfjs's (empty where they agree), and the
// descriptors of the caller's buffers.
struct Plan {
  dnnl::primitive convolution;
  memory::desc src, dst;
  memory::desc weightsInPrimitive;
  memory::desc userWeights;
  dnnl::primitive weightsReorder;
};

Plan makePlan(Direction direction, const Dims& d) {
  Geometry user(d, tag::hwio);
  Geometry any(d, tag::any);
  Plan plan;
  plan.src = user.src;
  plan.dst = user.dst;
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
  if (plan.weightsInPrimitive != plan.userWeights) {
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

// The reordered weights of the convolution this thread is running: one buffer per thread, grown to
// the largest layer's, rather than a fresh allocation (up to 9 MiB) for every call.
void* reorderedWeights(size_t bytes) {
  struct Buffer {
    void* data = nullptr;
    size_t size = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffer;
  if (bytes > buffer.size) {
    std::free(buffer.data);
    buffer.size = (bytes + 63) / 64 * 64;
    buffer.data = std::aligned_alloc(64, buffer.size);
    if (buffer.data == nullptr) throw std::bad_alloc();
  }
  return buffer.data;
}

}  // namespace

void convolve(Direction direction, const Dims& d, float* src, float* weights, float* dst) {
  auto plan = planFor(direction, d);
  thread_local dnnl::stream stream(cpu());
  memory srcMem(plan->src, cpu(), src);
  memory dstMem(plan->dst, cpu(), dst);
  memory userWeights(plan->userWeights, cpu(), weights);
  const bool reorder = static_cast<bool>(plan->weightsReorder);
  memory primitiveWeights =
      reorder ? memory(plan->weightsInPrimitive, cpu(), reorderedWeights(plan->weightsInPrimitive.get_size()))
              : userWeights;
  if (reorder && direction != Direction::backwardWeights) {
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
    if (reorder) {
      plan->weightsReorder.execute(stream, {{DNNL_ARG_FROM, primitiveWeights}, {DNNL_ARG_TO, userWeights}});
    }
  }
  stream.wait();
}

}  // namespace clsa
