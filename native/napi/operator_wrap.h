// The JS class of one inference operator (NativeRnn over prepacked CPU weights, NativeCudaRnn over
// weights on the GPU): its constructor, run, runAsync, dispose and packedBytes, written once over an
// Engine that says what differs between them:
//   Op                        the operator: spec() and a forward through Engine::forward
//   Options                   what a call needs besides the operator (the CPU's thread count)
//   kClass, kName             the type tag and the JS class name
//   kSignature                the constructor as its error names it: "NativeRnn(spec, weights, threads)"
//   kMakeOutOfMemory          the error when the host has no memory while the operator is made
//   kCallOutOfMemory          the error when the host has no memory for one call's outputs
//   has_options(info)         whether the constructor's arguments past spec and weights are right
//   options(info)             those arguments, read once the weights are
//   forward(op, in, out, o)   one call's arithmetic
//   bytes(op)                 the bytes the weights hold (packedBytes)
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <utility>

#include "args.h"
#include "async_link.h"
#include "outputs.h"
#include "wrap.h"

namespace gatedrnn {
namespace napi {

// One runAsync call of an operator.
template <typename Engine>
class OperatorForwardTask : public AsyncLink::Task {
 public:
  using Op = typename Engine::Op;
  using Options = typename Engine::Options;

  OperatorForwardTask(Napi::Env env, std::shared_ptr<const Op> op, Options options, std::unique_ptr<CallInputs> call)
      : Task(env, Engine::kCallOutOfMemory), op_(std::move(op)), options_(options), call_(std::move(call)) {
    allocate([&] { outputs_.allocate(env, op_->spec(), *call_); });
  }

 private:
  void compute() override { Engine::forward(*op_, call_->in, outputs_.views(), options_); }
  Napi::Value result(Napi::Env env) override { return outputs_.to_js(env); }

  std::shared_ptr<const Op> op_;
  Options options_;
  std::unique_ptr<CallInputs> call_;
  CallOutputs outputs_;
};

// JS class of one operator: its weights, made once, and the calls that run them.
template <typename Engine>
class OperatorWrap : public Napi::ObjectWrap<OperatorWrap<Engine>> {
 public:
  using Op = typename Engine::Op;
  static constexpr WrapClass kClass = Engine::kClass;

  static Napi::Function Define(Napi::Env env) {
    using T = OperatorWrap;
    Napi::Function constructor =
        Napi::ObjectWrap<T>::DefineClass(env, Engine::kName, {getter<T, &T::PackedBytes>("packedBytes")});
    add_methods(constructor, {method<T, &T::Run>("run"), method<T, &T::RunAsync>("runAsync"), method<T, &T::Dispose>("dispose")});
    return constructor;
  }

  // new Name(spec, { W, R, B?, P? }, ...options)
  explicit OperatorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OperatorWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject() || !Engine::has_options(info))
      throw_type(env, std::string(Engine::kSignature) + ": wrong arguments");
    const RnnSpec spec = parse_spec(info[0].As<Napi::Object>());
    const RnnWeights weights = parse_weights(env, spec, info[1].As<Napi::Object>());
    options_ = Engine::options(info);
    guard_call(env, Engine::kMakeOutOfMemory, [&] { op_ = std::make_shared<const Op>(spec, weights); });
    tag_object(info.This().As<Napi::Object>(), kClass);
  }

 private:
  const std::shared_ptr<const Op>& live(Napi::Env env) {
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
    guard_call(env, Engine::kCallOutOfMemory,
               [&] { Engine::forward(*op, call.in, outputs.allocate(env, op->spec(), call), options_); });
    return outputs.to_js(env);
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto& op = live(env);
    if (info.Length() < 1 || !info[0].IsObject()) throw_type(env, "runAsync(inputs): inputs must be an object");
    auto call = std::make_unique<CallInputs>();
    parse_inputs(env, op->spec(), info[0].As<Napi::Object>(), *call, true);
    // The task shares ownership of the weights: dispose() during the run is safe.
    return AsyncLink::submit(env, std::make_unique<OperatorForwardTask<Engine>>(env, op, options_, std::move(call)));
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    op_.reset();
    return info.Env().Undefined();
  }

  Napi::Value PackedBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), op_ ? static_cast<double>(Engine::bytes(*op_)) : 0.0);
  }

  std::shared_ptr<const Op> op_;
  typename Engine::Options options_{};
};

}  // namespace napi
}  // namespace gatedrnn
