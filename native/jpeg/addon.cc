// JPEG decoding on libjpeg-turbo's TurboJPEG API, the decoder under Pillow's (and with its
// defaults: accurate integer IDCT, smooth chroma upsampling), so a decoded image has Pillow's
// bytes. src/clsa/data/jpeg-decoder.ts loads it and takes sharp for whatever this declines.
//
//   decodeJpeg(bytes: Uint8Array, maxPixels: number) → { width, height, data: Uint8Array } | null
//
// null: not a JPEG this decodes exactly as Pillow would (CMYK or YCCK, a warning such as
// truncated data, an error, or more pixels than maxPixels); the caller decides what to do.
#include <node_api.h>
#include <turbojpeg.h>

#include <cstdint>
#include <string>

namespace {

// One decompressor per thread (worker threads each load the addon), freed when the thread ends.
struct Decompressor {
  tjhandle handle = tjInitDecompress();
  ~Decompressor() {
    if (handle != nullptr) tjDestroy(handle);
  }
};

napi_value fail(napi_env env, const std::string& message) {
  napi_throw_error(env, "CLSA_JPEG", message.c_str());
  return nullptr;
}

napi_value null(napi_env env) {
  napi_value value;
  napi_get_null(env, &value);
  return value;
}

napi_value DecodeJpeg(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  bool isTyped = false;
  if (argc == 2) napi_is_typedarray(env, argv[0], &isTyped);
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* bytes = nullptr;
  if (isTyped) napi_get_typedarray_info(env, argv[0], &type, &length, &bytes, nullptr, nullptr);
  double maxPixels = 0;
  if (!isTyped || type != napi_uint8_array || napi_get_value_double(env, argv[1], &maxPixels) != napi_ok ||
      !(maxPixels >= 1)) {
    return fail(env, "decodeJpeg(bytes, maxPixels) takes a Uint8Array and a pixel limit of at least 1");
  }
  thread_local Decompressor decompressor;
  tjhandle tj = decompressor.handle;
  if (tj == nullptr) return fail(env, "TurboJPEG could not start a decompressor");
  const auto* jpeg = static_cast<const unsigned char*>(bytes);
  int width = 0, height = 0, subsampling = 0, colourspace = 0;
  if (length == 0 || tjDecompressHeader3(tj, jpeg, length, &width, &height, &subsampling, &colourspace) != 0) {
    return null(env);
  }
  if (colourspace == TJCS_CMYK || colourspace == TJCS_YCCK || width < 1 || height < 1 ||
      static_cast<double>(width) * height > maxPixels) {
    return null(env);
  }
  size_t size = static_cast<size_t>(width) * height * 3;
  void* pixels = nullptr;
  napi_value buffer;
  if (napi_create_arraybuffer(env, size, &pixels, &buffer) != napi_ok) return fail(env, "out of memory for pixels");
  int flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(tj, jpeg, length, static_cast<unsigned char*>(pixels), width, 0, height, TJPF_RGB, flags) != 0) {
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
  napi_property_descriptor properties[] = {
      {"decodeJpeg", nullptr, DecodeJpeg, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 1, properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
