// The CUDA operators' Node-API surface: NativeCudaRnn mirrors NativeRnn over a cuda::CudaRnn; in a
// build without CUDA its constructor throws, and cudaInfo() says why. Every C++ exception becomes a
// JS Error, never an abort.
#include "cuda_ops.h"

#include <exception>
#include <memory>
#include <new>
#include <string>

#include "args.h"
#include "async_link.h"
#include "cuda/cuda_rnn.h"
#include "outputs.h"
#include "wrap.h"

namespace gatedrnn {
namespace napi {
namespace {

// Runs fn, turning C++ exceptions into JS errors with gatedrnn's prefix.
template <typename Fn>
void cuda_guard(Napi::Env env, Fn&& fn) {
  try {
    fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "gatedrnn: out of host memory for the outputs of this call");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("gatedrnn: ") + e.what());
  }
}

// One runAsync call of NativeCudaRnn.
class CudaForwardTask : public AsyncLink::Task {
 public:
  CudaForwardTask(Napi::Env env, std::shared_ptr<const cuda::CudaRnn> op, std::unique_ptr<CallInputs> call)
      : Task(env, "gatedrnn: out of host memory for the outputs of this call"), op_(std::move(op)), call_(std::move(call)) {
    allocate([&] { outputs_.allocate(env, op_->spec(), *call_); });
  }

 private:
  void compute() override { op_->forward(call_->in, outputs_.views()); }
  Napi::Value result(Napi::Env env) override { return outputs_.to_js(env); }

  std::shared_ptr<const cuda::CudaRnn> op_;
  std::unique_ptr<CallInputs> call_;
  CallOutputs outputs_;
};

// JS class NativeCudaRnn: the weights of one operator on the GPU.
class NativeCudaRnn : public Napi::ObjectWrap<NativeCudaRnn> {
 public:
  static constexpr WrapClass kClass = WrapClass::NativeCudaRnn;

  static Napi::Function Define(Napi::Env env) {
    using T = NativeCudaRnn;
    Napi::Function constructor = DefineClass(env, "NativeCudaRnn", {getter<T, &T::PackedBytes>("packedBytes")});
    add_methods(constructor, {method<T, &T::Run>("run"), method<T, &T::RunAsync>("runAsync"), method<T, &T::Dispose>("dispose")});
    return constructor;
  }

  // new NativeCudaRnn(spec, { W, R, B?, P? })
  explicit NativeCudaRnn(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeCudaRnn>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject())
      throw_type(env, "NativeCudaRnn(spec, weights): wrong arguments");
    const RnnSpec spec = parse_spec(info[0].As<Napi::Object>());
    const RnnWeights weights = parse_weights(env, spec, info[1].As<Napi::Object>());
    cuda_guard(env, [&] { op_ = std::make_shared<const cuda::CudaRnn>(spec, weights); });
    tag_object(info.This().As<Napi::Object>(), kClass);
  }

 private:
  const std::shared_ptr<const cuda::CudaRnn>& live(Napi::Env env) {
    if (!op_) throw Napi::Error::New(env, "this operator has been disposed");
    return op_;
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto& op = live(env);
    if (info.Length() < 1 || !info[0].IsObject()) throw_type(env, "run(inputs): inputs must be an object");
    CallInputs call;
    parse_inputs(env, op->spec(), info[0].As<Napi::Object>(), call, false);
    CallOutputs outputs;
    cuda_guard(env, [&] { op->forward(call.in, outputs.allocate(env, op->spec(), call)); });
    return outputs.to_js(env);
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto& op = live(env);
    if (info.Length() < 1 || !info[0].IsObject()) throw_type(env, "runAsync(inputs): inputs must be an object");
    auto call = std::make_unique<CallInputs>();
    parse_inputs(env, op->spec(), info[0].As<Napi::Object>(), *call, true);
    // The task shares ownership of the device weights: dispose() during the run is safe.
    return AsyncLink::submit(env, std::make_unique<CudaForwardTask>(env, op, std::move(call)));
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    op_.reset();
    return info.Env().Undefined();
  }

  Napi::Value PackedBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), op_ ? static_cast<double>(op_->device_bytes()) : 0.0);
  }

  std::shared_ptr<const cuda::CudaRnn> op_;
};

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
