// The CUDA operators' Node-API surface: NativeCudaRnn is NativeRnn's class (operator_wrap.h) over a
// cuda::CudaRnn; in a build without CUDA its constructor throws, and cudaInfo() says why. Every C++
// exception becomes a JS Error, never an abort.
#include "cuda_ops.h"

#include <string>

#include "args.h"
#include "cuda/cuda_rnn.h"
#include "operator_wrap.h"
#include "wrap.h"

namespace gatedrnn {
namespace napi {
namespace {

// NativeCudaRnn: the weights of one operator on the GPU.
struct CudaEngine {
  using Op = cuda::CudaRnn;
  struct Options {};  // a call needs nothing but the operator
  static constexpr WrapClass kClass = WrapClass::NativeCudaRnn;
  static constexpr const char* kName = "NativeCudaRnn";
  static constexpr const char* kSignature = "NativeCudaRnn(spec, weights)";
  static constexpr const char* kMakeOutOfMemory = "gatedrnn: out of host memory for the outputs of this call";
  static constexpr const char* kCallOutOfMemory = "gatedrnn: out of host memory for the outputs of this call";

  static bool has_options(const Napi::CallbackInfo&) { return true; }
  static Options options(const Napi::CallbackInfo&) { return {}; }
  static void forward(const cuda::CudaRnn& op, const RnnInputs& in, const RnnOutputs& out, Options) { op.forward(in, out); }
  static size_t bytes(const cuda::CudaRnn& op) { return op.device_bytes(); }
};

using NativeCudaRnn = OperatorWrap<CudaEngine>;

// cudaInfo(): { built, emulated, devices, name?, computeCapability?, error? }
Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const cuda::DeviceInfo d = cuda::device_info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", d.built);
  o.Set("emulated", d.emulated);
  o.Set("devices", d.devices);
  if (!d.name.empty()) o.Set("name", d.name);
  if (!d.compute_capability.empty()) o.Set("computeCapability", d.compute_capability);
  if (!d.error.empty()) o.Set("error", d.error);
  return o;
}

// setCudaRecurrent(name): 'auto' | 'persistent' | 'step' for later calls; false for another name.
Napi::Value SetCudaRecurrent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_type(env, "setCudaRecurrent(name): name must be a string");
  return Napi::Boolean::New(env, cuda::select_recurrent_kernel(info[0].As<Napi::String>().Utf8Value()));
}

}  // namespace

void init_cuda_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeCudaRnn", NativeCudaRnn::Define(env));
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo));
  exports.Set("setCudaRecurrent", Napi::Function::New(env, SetCudaRecurrent));
}

}  // namespace napi
}  // namespace gatedrnn
