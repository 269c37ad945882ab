// The pixel addon's JavaScript face (src/clsa/augment/pixel-kernels.ts loads it). Every function
// takes Uint8Arrays of RGB bytes and writes `out`, which the caller allocates; tables come from
// the JavaScript ops. Each argument's type and length is checked before any byte is touched.
#include <string>

#include "../napi-args.h"
#include "pixels.h"

namespace {

namespace px = clsa::pixels;

constexpr int64_t kMaxSide = 1 << 16;

class Args : public clsa::napi::Args {
 public:
  Args(napi_env env, napi_callback_info info, size_t count, const char* usage)
      : clsa::napi::Args(env, info, count, usage, "CLSA_PIXELS") {}

  // Bytes of whole RGB pixels, any number of them.
  const uint8_t* pixels(size_t at, const char* name, size_t* length) {
    const uint8_t* data = bytes(at, name, 0, length);
    check(*length > 0 && *length % 3 == 0,
          std::string(name) + " holds " + std::to_string(*length) + " bytes, not a whole number of RGB pixels");
    return data;
  }
};

// The first two arguments of most functions: src, whole RGB pixels, and out of the same length.
struct SrcOut {
  const uint8_t* src;
  uint8_t* out;
  size_t bytes;
};

SrcOut srcOut(Args& args) {
  SrcOut p{nullptr, nullptr, 0};
  p.src = args.pixels(0, "src", &p.bytes);
  p.out = args.bytes(1, "out", p.bytes);
  return p;
}

// (src, out, width, height, …): an image of width × height and an output of its size.
struct Image {
  const uint8_t* src;
  uint8_t* out;
  int64_t width;
  int64_t height;
};

Image sizedSrcOut(Args& args) {
  Image im{nullptr, nullptr, args.whole(2, "width", 1, kMaxSide), args.whole(3, "height", 1, kMaxSide)};
  im.src = args.bytes(0, "src", im.width * im.height * 3);
  im.out = args.bytes(1, "out", im.width * im.height * 3);
  return im;
}

napi_value LookUp(napi_env env, napi_callback_info info) {
  Args args(env, info, 3, "lookUp(src, out, luts)");
  SrcOut p = srcOut(args);
  const uint8_t* luts = args.bytes(2, "luts", 768);
  if (!args.ok()) return args.fail();
  px::lookUp(p.src, p.out, p.bytes, luts);
  return nullptr;
}

napi_value LumaSum(napi_env env, napi_callback_info info) {
  Args args(env, info, 1, "lumaSum(src)");
  size_t n = 0;
  const uint8_t* src = args.pixels(0, "src", &n);
  if (!args.ok()) return args.fail();
  napi_value sum;
  napi_create_double(env, px::lumaSum(src, n), &sum);
  return sum;
}

napi_value Grey(napi_env env, napi_callback_info info) {
  Args args(env, info, 2, "grey(src, out)");
  SrcOut p = srcOut(args);
  if (!args.ok()) return args.fail();
  px::grey(p.src, p.out, p.bytes);
  return nullptr;
}

napi_value Blend(napi_env env, napi_callback_info info) {
  Args args(env, info, 4, "blend(p, q, out, steps)");
  size_t n = 0;
  const uint8_t* p = args.pixels(0, "p", &n);
  const uint8_t* q = args.bytes(1, "q", n);
  uint8_t* out = args.bytes(2, "out", n);
  const double* steps = args.doubles(3, "steps", 511);
  if (!args.ok()) return args.fail();
  px::blend(p, q, out, n, steps);
  return nullptr;
}

napi_value BlendWithGrey(napi_env env, napi_callback_info info) {
  Args args(env, info, 3, "blendWithGrey(src, out, steps)");
  SrcOut p = srcOut(args);
  const double* steps = args.doubles(2, "steps", 511);
  if (!args.ok()) return args.fail();
  px::blendWithGrey(p.src, p.out, p.bytes, steps);
  return nullptr;
}

napi_value ShiftHues(napi_env env, napi_callback_info info) {
  Args args(env, info, 10, "shiftHues(src, out, shift, hue, saturation, fs, oneMinusFs, rgbShift, odd, fsFactor)");
  SrcOut p = srcOut(args);
  uint32_t shift = static_cast<uint32_t>(args.whole(2, "shift", 0, 255));
  px::HsvTables t{args.bytes(3, "hue", 3 << 16),    args.bytes(4, "saturation", 1 << 16),
                  args.doubles(5, "fs", 256),       args.doubles(6, "oneMinusFs", 256),
                  args.bytes(7, "rgbShift", 768),   args.doubles(8, "odd", 256),
                  args.doubles(9, "fsFactor", 256)};
  if (!args.ok()) return args.fail();
  px::shiftHues(p.src, p.out, p.bytes, shift, t);
  return nullptr;
}

napi_value Mirror(napi_env env, napi_callback_info info) {
  Args args(env, info, 4, "mirror(src, out, width, height)");
  Image im = sizedSrcOut(args);
  args.check(im.src != im.out, "out must not share memory with src");
  if (!args.ok()) return args.fail();
  px::mirror(im.src, im.out, im.width, im.height);
  return nullptr;
}

napi_value BoxBlur(napi_env env, napi_callback_info info) {
  Args args(env, info, 8, "boxBlur(src, out, width, height, radius, ww, fw, passes)");
  Image im = sizedSrcOut(args);
  int64_t radius = args.whole(4, "radius", 0, kMaxSide);
  int64_t ww = args.whole(5, "ww", 0, 1 << 24);
  int64_t fw = args.whole(6, "fw", -(1LL << 31), (1LL << 31) - 1);
  int64_t passes = args.whole(7, "passes", 1, 64);
  args.check(radius < im.width && radius < im.height, "the box radius must be narrower than the image");
  if (!args.ok()) return args.fail();
  px::BoxWeights box{radius, static_cast<uint32_t>(ww), static_cast<uint32_t>(fw)};
  px::boxBlur(im.src, im.out, im.width, im.height, box, static_cast<int>(passes));
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
  return clsa::napi::exportFunctions(env, exports,
                                     {{"blend", Blend},
                                      {"blendWithGrey", BlendWithGrey},
                                      {"boxBlur", BoxBlur},
                                      {"grey", Grey},
                                      {"lookUp", LookUp},
                                      {"lumaSum", LumaSum},
                                      {"mirror", Mirror},
                                      {"resample", Resample},
                                      {"shiftHues", ShiftHues}});
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
