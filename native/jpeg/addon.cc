// JPEG decoding on libjpeg-turbo's TurboJPEG API, the decoder under Pillow's (and with its
// defaults: accurate integer IDCT, smooth chroma upsampling), so a decoded image has Pillow's
// bytes. src/clsa/data/jpeg-decoder.ts loads it and takes sharp for whatever this declines.
//
//   decodeJpeg(bytes: Uint8Array, maxPixels: number) → { width, height, data: Uint8Array } | null
//
// null: not a JPEG this decodes exactly as Pillow would (CMYK or YCCK, a warning such as
// truncated data, an error, or more pixels than maxPixels); the caller decides what to do.
#include <turbojpeg.h>

#include <cstdint>

#include "../napi-args.h"

namespace {

// One decompressor per thread (worker threads each load the addon), freed when the thread ends.
struct Decompressor {
  tjhandle handle = tjInitDecompress();
  ~Decompressor() {
    if (handle != nullptr) tjDestroy(handle);
  }
};

napi_value null(napi_env env) {
  napi_value value;
  napi_get_null(env, &value);
  return value;
}

napi_value DecodeJpeg(napi_env env, napi_callback_info info) {
  clsa::napi::Args args(env, info, 2, "decodeJpeg(bytes, maxPixels)", "CLSA_JPEG");
  size_t length = 0;
  const uint8_t* bytes = args.bytes(0, "bytes", 0, &length);
  double maxPixels = args.number(1, "maxPixels", 1);
  if (!args.ok()) return args.fail();
  thread_local Decompressor decompressor;
  tjhandle tj = decompressor.handle;
  if (tj == nullptr) return clsa::napi::fail(env, "CLSA_JPEG", "TurboJPEG could not start a decompressor");
  int width = 0, height = 0, subsampling = 0, colourspace = 0;
  if (length == 0 || tjDecompressHeader3(tj, bytes, length, &width, &height, &subsampling, &colourspace) != 0) {
    return null(env);
  }
  if (colourspace == TJCS_CMYK || colourspace == TJCS_YCCK || width < 1 || height < 1 ||
      static_cast<double>(width) * height > maxPixels) {
    return null(env);
  }
  size_t size = static_cast<size_t>(width) * height * 3;
  void* pixels = nullptr;
  napi_value buffer;
  if (napi_create_arraybuffer(env, size, &pixels, &buffer) != napi_ok) {
    return clsa::napi::fail(env, "CLSA_JPEG", "out of memory for pixels");
  }
  int flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(tj, bytes, length, static_cast<unsigned char*>(pixels), width, 0, height, TJPF_RGB, flags) != 0) {
    return null(env);
  }
  napi_value data, result, w, h;
  napi_create_typedarray(env, napi_uint8_array, size, buffer, 0, &data);
  napi_create_int32(env, width, &w);
  napi_create_int32(env, height, &h);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "width", w);
  napi_set_named_property(env, result, "height", h);
  napi_set_named_property(env, result, "data", data);
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  return clsa::napi::exportFunctions(env, exports, {{"decodeJpeg", DecodeJpeg}});
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
