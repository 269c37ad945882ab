// The pixel addon's JavaScript face (src/clsa/augment/pixel-kernels.ts loads it). Every function
// takes Uint8Arrays of RGB bytes and writes `out`, which the caller allocates; tables come from
// the JavaScript ops. Each argument's type and length is checked before any byte is touched.
#include <node_api.h>

#include <string>

#include "pixels.h"

namespace {

namespace px = clsa::pixels;

napi_value fail(napi_env env, const std::string& message) {
  napi_throw_error(env, "CLSA_PIXELS", message.c_str());
  return nullptr;
}

// The arguments of one call, read in order; the first problem is kept for the error.
class Args {
 public:
  Args(napi_env env, napi_callback_info info, size_t count, const char* usage) : env_(env), usage_(usage) {
    argc_ = count;
    napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr);
    if (argc_ != count) error_ = std::string(usage) + " takes " + std::to_string(count) + " arguments";
  }

  bool ok() const { return error_.empty(); }
  napi_value fail() const { return ::fail(env_, error_ + " (" + usage_ + ")"); }

  // A typed array of `type` with `expected` elements, or any length when expected is 0 and then
  // the length goes to *length.
  template <typename T>
  T* array(size_t at, napi_typedarray_type type, const char* name, size_t expected, size_t* length = nullptr) {
    if (!ok()) return nullptr;
    bool isTyped = false;
    napi_is_typedarray(env_, argv_[at], &isTyped);
    napi_typedarray_type actual;
    size_t n = 0;
    void* data = nullptr;
    if (isTyped) napi_get_typedarray_info(env_, argv_[at], &actual, &n, &data, nullptr, nullptr);
    const char* kind = type == napi_uint8_array   ? "a Uint8Array"
                       : type == napi_int32_array ? "an Int32Array"
                                                  : "a Float64Array";
    if (!isTyped || actual != type) {
      error_ = std::string(name) + " must be " + kind;
    } else if (expected != 0 && n != expected) {
      error_ = std::string(name) + " holds " + std::to_string(n) + " elements where " + std::to_string(expected) +
               " are needed";
    } else if (expected == 0 && type == napi_uint8_array && (n == 0 || n % 3 != 0)) {
      error_ = std::string(name) + " holds " + std::to_string(n) + " bytes, not a whole number of RGB pixels";
    }
    if (length != nullptr) *length = n;
    return ok() ? static_cast<T*>(data) : nullptr;
  }

  uint8_t* bytes(size_t at, const char* name, size_t expected, size_t* length = nullptr) {
    return array<uint8_t>(at, napi_uint8_array, name, expected, length);
  }
  double* doubles(size_t at, const char* name, size_t expected) {
    return array<double>(at, napi_float64_array, name, expected);
  }
  int32_t* ints(size_t at, const char* name, size_t expected, size_t* length = nullptr) {
    return array<int32_t>(at, napi_int32_array, name, expected, length);
  }

  int64_t whole(size_t at, const char* name, int64_t min, int64_t max) {
    if (!ok()) return 0;
    int64_t value = 0;
    double exact = 0;
    if (napi_get_value_double(env_, argv_[at], &exact) != napi_ok || napi_get_value_int64(env_, argv_[at], &value) != napi_ok ||
        static_cast<double>(value) != exact || value < min || value > max) {
      error_ = std::string(name) + " must be a whole number in " + std::to_string(min) + ".." + std::to_string(max);
    }
    return value;
  }

  void check(bool condition, const std::string& message) {
    if (ok() && !condition) error_ = message;
  }

 private:
  napi_env env_;
  std::string usage_;
  size_t argc_;
  napi_value argv_[12];
  std::string error_;
};

constexpr int64_t kMaxSide = 1 << 16;

napi_value LookUp(napi_env env, napi_callback_info info) {
  Args args(env, info, 3, "lookUp(src, out, luts)");
  size_t n = 0;
  const uint8_t* src = args.bytes(0, "src", 0, &n);
  uint8_t* out = args.bytes(1, "out", n);
  const uint8_t* luts = args.bytes(2, "luts", 768);
  if (!args.ok()) return args.fail();
  px::lookUp(src, out, n, luts);
  return nullptr;
}

napi_value LumaSum(napi_env env, napi_callback_info info) {
  Args args(env, info, 1, "lumaSum(src)");
  size_t n = 0;
  const uint8_t* src = args.bytes(0, "src", 0, &n);
  if (!args.ok()) return args.fail();
  napi_value sum;
  napi_create_double(env, px::lumaSum(src, n), &sum);
  return sum;
}

napi_value Grey(napi_env env, napi_callback_info info) {
  Args args(env, info, 2, "grey(src, out)");
  size_t n = 0;
  const uint8_t* src = args.bytes(0, "src", 0, &n);
  uint8_t* out = args.bytes(1, "out", n);
  if (!args.ok()) return args.fail();
  px::grey(src, out, n);
  return nullptr;
}

napi_value Blend(napi_env env, napi_callback_info info) {
  Args args(env, info, 4, "blend(p, q, out, steps)");
  size_t n = 0;
  const uint8_t* p = args.bytes(0, "p", 0, &n);
  const uint8_t* q = args.bytes(1, "q", n);
  uint8_t* out = args.bytes(2, "out", n);
  const double* steps = args.doubles(3, "steps", 511);
  if (!args.ok()) return args.fail();
  px::blend(p, q, out, n, steps);
  return nullptr;
}

napi_value BlendWithGrey(napi_env env, napi_callback_info info) {
  Args args(env, info, 3, "blendWithGrey(src, out, steps)");
  size_t n = 0;
  const uint8_t* src = args.bytes(0, "src", 0, &n);
  uint8_t* out = args.bytes(1, "out", n);
  const double* steps = args.doubles(2, "steps", 511);
  if (!args.ok()) return args.fail();
  px::blendWithGrey(src, out, n, steps);
  return nullptr;
}

napi_value ShiftHues(napi_env env, napi_callback_info info) {
  Args args(env, info, 10, "shiftHues(src, out, shift, hue, saturation, fs, oneMinusFs, rgbShift, odd, fsFactor)");
  size_t n = 0;
  const uint8_t* src = args.bytes(0, "src", 0, &n);
  uint8_t* out = args.bytes(1, "out", n);
  uint32_t shift = static_cast<uint32_t>(args.whole(2, "shift", 0, 255));
  px::HsvTables t{args.bytes(3, "hue", 3 << 16),    args.bytes(4, "saturation", 1 << 16),
                  args.doubles(5, "fs", 256),       args.doubles(6, "oneMinusFs", 256),
                  args.bytes(7, "rgbShift", 768),   args.doubles(8, "odd", 256),
                  args.doubles(9, "fsFactor", 256)};
  if (!args.ok()) return args.fail();
  px::shiftHues(src, out, n, shift, t);
  return nullptr;
}

napi_value Mirror(napi_env env, napi_callback_info info) {
  Args args(env, info, 4, "mirror(src, out, width, height)");
  int64_t width = args.whole(2, "width", 1, kMaxSide);
  int64_t height = args.whole(3, "height", 1, kMaxSide);
  const uint8_t* src = args.bytes(0, "src", width * height * 3);
  uint8_t* out = args.bytes(1, "out", width * height * 3);
  args.check(src != out, "out must not share memory with src");
  if (!args.ok()) return args.fail();
  px::mirror(src, out, width, height);
  return nullptr;
}

napi_value BoxBlur(napi_env env, napi_callback_info info) {
  Args args(env, info, 8, "boxBlur(src, out, width, height, radius, ww, fw, passes)");
  int64_t width = args.whole(2, "width", 1, kMaxSide);
  int64_t height = args.whole(3, "height", 1, kMaxSide);
  const uint8_t* src = args.bytes(0, "src", width * height * 3);
  uint8_t* out = args.bytes(1, "out", width * height * 3);
  int64_t radius = args.whole(4, "radius", 0, kMaxSide);
  int64_t ww = args.whole(5, "ww", 0, 1 << 24);
  int64_t fw = args.whole(6, "fw", -(1LL << 31), (1LL << 31) - 1);
  int64_t passes = args.whole(7, "passes", 1, 64);
  args.check(radius < width && radius < height, "the box radius must be narrower than the image");
  if (!args.ok()) return args.fail();
  px::BoxWeights box{radius, static_cast<uint32_t>(ww), static_cast<uint32_t>(fw)};
  px::boxBlur(src, out, width, height, box, static_cast<int>(passes));
  return nullptr;
}

// An axis's bounds ([first, count] per output pixel) and weights, every read inside 0..extent.
px::Axis axis(Args& args, size_t at, const char* name, int64_t outSize, int64_t start, int64_t extent) {
  std::string bounds = std::string("bounds") + name, weights = std::string("weights") + name;
  size_t n = 0;
  const int32_t* b = args.ints(at, bounds.c_str(), outSize * 2);
  const int32_t* w = args.ints(at + 1, weights.c_str(), 0, &n);
  int64_t taps = outSize > 0 ? static_cast<int64_t>(n) / outSize : 0;
  args.check(n > 0 && taps * outSize == static_cast<int64_t>(n), weights + " must hold the same number of taps per output pixel");
  for (int64_t i = 0; args.ok() && i < outSize; i++) {
    int64_t first = b[2 * i], count = b[2 * i + 1];
    args.check(first >= 0 && count >= 1 && count <= taps && start + first + count <= extent,
               bounds + "[" + std::to_string(i) + "] reads outside the image or past its taps");
  }
  return px::Axis{b, w, taps};
}

napi_value Resample(napi_env env, napi_callback_info info) {
  Args args(env, info, 12,
            "resample(src, srcWidth, srcHeight, left, top, out, width, height, boundsX, weightsX, boundsY, weightsY)");
  int64_t srcWidth = args.whole(1, "srcWidth", 1, kMaxSide);
  int64_t srcHeight = args.whole(2, "srcHeight", 1, kMaxSide);
  int64_t left = args.whole(3, "left", 0, srcWidth - 1);
  int64_t top = args.whole(4, "top", 0, srcHeight - 1);
  int64_t width = args.whole(6, "width", 1, kMaxSide);
  int64_t height = args.whole(7, "height", 1, kMaxSide);
  const uint8_t* src = args.bytes(0, "src", srcWidth * srcHeight * 3);
  uint8_t* out = args.bytes(5, "out", width * height * 3);
  px::Axis across = axis(args, 8, "X", width, left, srcWidth);
  px::Axis down = axis(args, 10, "Y", height, top, srcHeight);
  // the vertical pass reads the rows the horizontal one wrote: from the first pixel's first row
  // to the last pixel's last
  for (int64_t i = 0; args.ok() && i < height; i++) {
    args.check(down.bounds[2 * i] >= down.bounds[0] &&
                   down.bounds[2 * i] + down.bounds[2 * i + 1] <= down.bounds[2 * height - 2] + down.bounds[2 * height - 1],
               "boundsY[" + std::to_string(i) + "] reads rows outside the first and last output rows' range");
  }
  if (!args.ok()) return args.fail();
  px::resample(src, srcWidth, left, top, out, width, height, across, down);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"blend", nullptr, Blend, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"blendWithGrey", nullptr, BlendWithGrey, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"boxBlur", nullptr, BoxBlur, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"grey", nullptr, Grey, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lookUp", nullptr, LookUp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lumaSum", nullptr, LumaSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mirror", nullptr, Mirror, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"resample", nullptr, Resample, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"shiftHues", nullptr, ShiftHues, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
