// What every addon's JavaScript face needs from Node-API: reading one call's arguments with their
// types and lengths checked (the first problem becomes the thrown error, naming the argument and
// the call), throwing errors with the addon's code, and exporting its functions.
#pragma once

#include <node_api.h>

#include <cstdint>
#include <initializer_list>
#include <string>

namespace clsa::napi {

inline napi_value fail(napi_env env, const char* code, const std::string& message) {
  napi_throw_error(env, code, message.c_str());
  return nullptr;
}

struct Function {
  const char* name;
  napi_callback callback;
};

inline napi_value exportFunctions(napi_env env, napi_value exports, std::initializer_list<Function> functions) {
  for (const Function& f : functions) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.callback, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}

// The arguments of one call, read in order; after the first problem every read returns a
// placeholder and fail() throws that problem.
class Args {
 public:
  static constexpr size_t kMaxArgs = 12;

  Args(napi_env env, napi_callback_info info, size_t count, const char* usage, const char* code)
      : env_(env), usage_(usage), code_(code) {
    size_t argc = kMaxArgs;
    napi_get_cb_info(env, info, &argc, argv_, nullptr, nullptr);
    if (argc != count) error_ = usage_ + " takes " + std::to_string(count) + " arguments";
  }

  bool ok() const { return error_.empty(); }
  napi_value fail() const { return napi::fail(env_, code_, error_ + " (" + usage_ + ")"); }

  void check(bool condition, const std::string& message) {
    if (ok() && !condition) error_ = message;
  }

  // A typed array of `type` with `expected` elements, or any length when expected is 0; its length
  // goes to *length when asked for.
  template <typename T>
  T* array(size_t at, napi_typedarray_type type, const char* name, size_t expected, size_t* length = nullptr) {
    if (!ok()) return nullptr;
    bool isTyped = false;
    napi_is_typedarray(env_, argv_[at], &isTyped);
    napi_typedarray_type actual = napi_int8_array;
    size_t n = 0;
    void* data = nullptr;
    if (isTyped) napi_get_typedarray_info(env_, argv_[at], &actual, &n, &data, nullptr, nullptr);
    if (!isTyped || actual != type) {
      error_ = std::string(name) + " must be " + kind(type);
    } else if (expected != 0 && n != expected) {
      error_ = std::string(name) + " holds " + std::to_string(n) + " elements where " + std::to_string(expected) +
               " are needed";
    }
    if (length != nullptr) *length = n;
    return ok() ? static_cast<T*>(data) : nullptr;
  }

  uint8_t* bytes(size_t at, const char* name, size_t expected, size_t* length = nullptr) {
    return array<uint8_t>(at, napi_uint8_array, name, expected, length);
  }
  int32_t* ints(size_t at, const char* name, size_t expected, size_t* length = nullptr) {
    return array<int32_t>(at, napi_int32_array, name, expected, length);
  }
  float* floats(size_t at, const char* name, size_t expected) {
    return array<float>(at, napi_float32_array, name, expected);
  }
  double* doubles(size_t at, const char* name, size_t expected) {
    return array<double>(at, napi_float64_array, name, expected);
  }

  bool isNull(size_t at) const {
    napi_valuetype type = napi_undefined;
    napi_typeof(env_, argv_[at], &type);
    return type == napi_null;
  }

  // A whole number in min..max; `message` replaces the generic complaint where given.
  int64_t whole(size_t at, const char* name, int64_t min, int64_t max, const char* message = nullptr) {
    if (!ok()) return 0;
    int64_t value = 0;
    double exact = 0;
    if (napi_get_value_double(env_, argv_[at], &exact) != napi_ok ||
        napi_get_value_int64(env_, argv_[at], &value) != napi_ok || static_cast<double>(value) != exact ||
        value < min || value > max) {
      error_ = message != nullptr ? std::string(message)
                                  : std::string(name) + " must be a whole number in " + std::to_string(min) + ".." +
                                        std::to_string(max);
    }
    return value;
  }

  // A number of at least `min`.
  double number(size_t at, const char* name, double min) {
    if (!ok()) return min;
    double value = 0;
    if (napi_get_value_double(env_, argv_[at], &value) != napi_ok || !(value >= min)) {
      error_ = std::string(name) + " must be a number of at least " + std::to_string(min);
    }
    return value;
  }

  // An array of exactly `count` whole numbers into `out`.
  void wholeNumbers(size_t at, const char* name, uint32_t count, int64_t* out) {
    if (!ok()) return;
    uint32_t length = 0;
    bool isArray = false;
    napi_is_array(env_, argv_[at], &isArray);
    bool good = isArray && napi_get_array_length(env_, argv_[at], &length) == napi_ok && length == count;
    for (uint32_t i = 0; good && i < count; i++) {
      napi_value item;
      napi_get_element(env_, argv_[at], i, &item);
      good = napi_get_value_int64(env_, item, &out[i]) == napi_ok;
    }
    if (!good) error_ = std::string(name) + " must be an array of " + std::to_string(count) + " whole numbers";
  }

 private:
  static const char* kind(napi_typedarray_type type) {
    switch (type) {
      case napi_uint8_array:
        return "a Uint8Array";
      case napi_int32_array:
        return "an Int32Array";
      case napi_float32_array:
        return "a Float32Array";
      default:
        return "a Float64Array";
    }
  }

  napi_env env_;
  std::string usage_;
  const char* code_;
  napi_value argv_[kMaxArgs] = {};
  std::string error_;
};

}  // namespace clsa::napi
