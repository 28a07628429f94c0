// The classes the addon exports, and the one way their methods reach the C++ object behind `this`.
// A method can be called on any object (NativeRnnTrainer.prototype.forward.call(nativeRnn, ...)),
// and unwrapping an object of another class would hand back a pointer to the wrong type. So every
// object is type-tagged when it is made, and each method checks the tag of `this` before it
// unwraps it: a wrong object is a TypeError that names it, never a wild pointer.
#pragma once

#include <napi.h>

#include <exception>
#include <initializer_list>
#include <new>
#include <string>

namespace gatedrnn {
namespace napi {

// The classes the addon exports, each with its own type tag.
enum class WrapClass { NativeRnn, NativeRnnTrainer, NativeCudaRnn, NativePlan };

const char* class_name(WrapClass c);

// Tags a newly made object as an instance of c (called last in each constructor).
void tag_object(const Napi::Object& o, WrapClass c);

// Whether v is an object tagged as c.
bool has_tag(const Napi::Value& v, WrapClass c);

// `this` of a call, described for an error: "a NativeRnn", "an object of another class".
std::string describe_receiver(const Napi::Value& v);

// The TypeError for a receiver that is not an instance of c.
[[noreturn]] void throw_wrong_receiver(const Napi::Value& v, WrapClass c, const char* method);

// Runs fn on the JS thread: running out of host memory is out_of_memory, any other C++ exception
// a JS error with gatedrnn's prefix. Constructors need it: node-addon-api turns only a Napi::Error
// thrown there into a JS error.
template <typename Fn>
void guard_call(Napi::Env env, const char* out_of_memory, Fn&& fn) {
  try {
    fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, out_of_memory);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("gatedrnn: ") + e.what());
  }
}

// A Node-API callback that checks `this` and then calls T's member M. T names its class as
// T::kClass. C++ exceptions become JS errors here, as node-addon-api's own wrappers do.
template <typename T, Napi::Value (T::*M)(const Napi::CallbackInfo&)>
napi_value checked_call(napi_env env, napi_callback_info cb, const char* method) {
  try {
    const Napi::CallbackInfo info(env, cb);
    const Napi::Value self = info.This();
    if (!has_tag(self, T::kClass)) throw_wrong_receiver(self, T::kClass, method);
    T* object = T::Unwrap(self.As<Napi::Object>());
    if (object == nullptr) throw_wrong_receiver(self, T::kClass, method);
    return (object->*M)(info);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const std::bad_alloc&) {
    Napi::Error::New(env, "gatedrnn: out of memory").ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error::New(env, std::string("gatedrnn: ") + e.what()).ThrowAsJavaScriptException();
  }
  return nullptr;
}

template <typename T, Napi::Value (T::*M)(const Napi::CallbackInfo&)>
napi_value checked_method_cb(napi_env env, napi_callback_info cb) {
  void* data = nullptr;
  napi_get_cb_info(env, cb, nullptr, nullptr, nullptr, &data);
  return checked_call<T, M>(env, cb, static_cast<const char*>(data));
}

// A prototype method `name` of T that checks `this` before it runs M.
struct Method {
  const char* name;
  napi_callback callback;
};

template <typename T, Napi::Value (T::*M)(const Napi::CallbackInfo&)>
Method method(const char* name) {
  return {name, checked_method_cb<T, M>};
}

// Puts the methods on the prototype of a class made by DefineClass, as plain functions: the
// methods of DefineClass carry a V8 signature, which refuses a wrong `this` before the tag check
// with a bare "Illegal invocation" that names nothing.
void add_methods(const Napi::Function& constructor, std::initializer_list<Method> methods);

// A read-only prototype accessor `name` of T, checked the same way.
template <typename T, Napi::Value (T::*M)(const Napi::CallbackInfo&)>
Napi::ClassPropertyDescriptor<T> getter(const char* name) {
  napi_property_descriptor d{};
  d.utf8name = name;
  d.getter = checked_method_cb<T, M>;
  d.attributes = napi_default;
  d.data = const_cast<char*>(name);
  return Napi::ClassPropertyDescriptor<T>(d);
}

}  // namespace napi
}  // namespace gatedrnn
