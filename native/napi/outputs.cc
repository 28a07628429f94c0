#include "outputs.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace gatedrnn {
namespace napi {

void JsFloats::allocate(Napi::Env env, size_t n, bool zero) {
  const size_t bytes = n * sizeof(float);
  // Node aborts the process when it cannot allocate a Buffer: a large one is tried first here,
  // where a failure is an error.
  if (bytes >= kProbeBytes) {
    void* probe = std::malloc(bytes);
    if (!probe) throw std::bad_alloc();
    std::free(probe);
  }
  // The array starts on a cache line: the threads of a step write neighbouring slices of a row
  // of Y, and a line that straddles two slices would bounce between their cores every step.
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(env, bytes + kLine);
  const uintptr_t at = reinterpret_cast<uintptr_t>(buf.Data());
  if (at % alignof(float) != 0) throw std::bad_alloc();  // never seen: malloc aligns to 16
  offset_ = (kLine - at % kLine) % kLine;
  data_ = reinterpret_cast<float*>(buf.Data() + offset_);
  if (zero) std::memset(data_, 0, bytes);
  n_ = n;
  ref_ = Napi::Persistent(buf.As<Napi::Object>());
}

Napi::Value JsFloats::to_js(Napi::Env env) const {
  if (ref_.IsEmpty()) return env.Undefined();
  const Napi::Buffer<uint8_t> buf = ref_.Value().As<Napi::Buffer<uint8_t>>();
  return Napi::Float32Array::New(env, n_, buf.ArrayBuffer(), buf.ByteOffset() + offset_);
}

RnnOutputs CallOutputs::allocate(Napi::Env env, const RnnSpec& s, const CallInputs& call) {
  const size_t ny = static_cast<size_t>(call.in.seq_len) * s.num_dirs * call.in.batch * s.hidden;
  const size_t ns = static_cast<size_t>(s.num_dirs) * call.in.batch * s.hidden;
  // The forward pass writes every element of every output it is given.
  if (call.want_y) y.allocate(env, ny);
  if (call.want_yh) yh.allocate(env, ns);
  if (call.want_yc) yc.allocate(env, ns);
  return views();
}

Napi::Object CallOutputs::to_js(Napi::Env env) const {
  Napi::Object o = Napi::Object::New(env);
  o.Set("Y", y.to_js(env));
  o.Set("Y_h", yh.to_js(env));
  o.Set("Y_c", yc.to_js(env));
  return o;
}

}  // namespace napi
}  // namespace gatedrnn
