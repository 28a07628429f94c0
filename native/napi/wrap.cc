#include "wrap.h"

#include <cstdint>
#include <vector>

namespace gatedrnn {
namespace napi {
namespace {

// Random 128-bit values: a tag only has to differ from every other tag in the process.
constexpr napi_type_tag kTags[] = {
    {0x6a1f3c9e5b2d4871ULL, 0x9c0e47d2a35b18f6ULL},  // NativeRnn
    {0x2e84b7c10f6d593aULL, 0x4b71e9a06c2d85f3ULL},  // NativeRnnTrainer
    {0xd3905a7e41c86b2fULL, 0x17f6c2b84e09ad35ULL},  // NativeCudaRnn
    {0x85c2e61f9a3d07b4ULL, 0xe0a94d5726b1c38fULL},  // NativePlan
};
constexpr WrapClass kClasses[] = {WrapClass::NativeRnn, WrapClass::NativeRnnTrainer, WrapClass::NativeCudaRnn,
                                  WrapClass::NativePlan};

const napi_type_tag* tag_of(WrapClass c) { return &kTags[static_cast<int>(c)]; }

}  // namespace

const char* class_name(WrapClass c) {
  switch (c) {
    case WrapClass::NativeRnn:
      return "NativeRnn";
    case WrapClass::NativeRnnTrainer:
      return "NativeRnnTrainer";
    case WrapClass::NativeCudaRnn:
      return "NativeCudaRnn";
    case WrapClass::NativePlan:
      return "NativePlan";
  }
  return "?";
}

void tag_object(const Napi::Object& o, WrapClass c) { o.TypeTag(tag_of(c)); }

bool has_tag(const Napi::Value& v, WrapClass c) { return v.IsObject() && v.As<Napi::Object>().CheckTypeTag(tag_of(c)); }

std::string describe_receiver(const Napi::Value& v) {
  for (WrapClass c : kClasses)
    if (has_tag(v, c)) return std::string("a ") + class_name(c);
  // Not the constructor's name: reading a property may run a getter, and this is an error path.
  // (A primitive `this` reaches a method boxed, and undefined as the global object.)
  if (v.IsFunction()) return "a function";
  return v.IsObject() ? "an object of another class" : "a value that is not an object";
}

void throw_wrong_receiver(const Napi::Value& v, WrapClass c, const char* method) {
  const std::string name = class_name(c);
  throw Napi::TypeError::New(v.Env(), name + "." + method + ": expected this to be a " + name + ", but received " +
                                          describe_receiver(v));
}

void add_methods(const Napi::Function& constructor, std::initializer_list<Method> methods) {
  const Napi::Env env = constructor.Env();
  const Napi::Object prototype = constructor.Get("prototype").As<Napi::Object>();
  std::vector<napi_property_descriptor> props;
  for (const Method& m : methods) {
    napi_property_descriptor d{};
    d.utf8name = m.name;
    d.method = m.callback;
    d.data = const_cast<char*>(m.name);
    d.attributes = napi_default;
    props.push_back(d);
  }
  const napi_status status = napi_define_properties(env, prototype, props.size(), props.data());
  if (status != napi_ok) throw Napi::Error::New(env);
}

}  // namespace napi
}  // namespace gatedrnn
