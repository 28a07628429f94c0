// NativeRnn (prepacked weights of one inference operator), referenceForward (the scalar oracle)
// and the backend's switches and facts: backendInfo, setIsa, setBf16Native, fmaPeak.
#include "rnn_ops.h"

#include <algorithm>
#include <chrono>
#include <new>
#include <string>
#include <vector>

#include "args.h"
#include "cpu/isa.h"
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "operator_wrap.h"
#include "outputs.h"
#include "reference/rnn_reference.h"
#include "rnn/rnn_forward.h"
#include "wrap.h"

namespace gatedrnn {
namespace napi {
namespace {

// NativeRnn: prepacked weights of one operator, run on the CPU's threads.
struct CpuEngine {
  using Op = PackedRnn;
  using Options = int;  // the threads of each call
  static constexpr WrapClass kClass = WrapClass::NativeRnn;
  static constexpr const char* kName = "NativeRnn";
  static constexpr const char* kSignature = "NativeRnn(spec, weights, threads)";
  static constexpr const char* kMakeOutOfMemory = "gatedrnn: out of memory while packing the weights";
  static constexpr const char* kCallOutOfMemory = "gatedrnn: out of memory for the outputs and workspace of this call";

  static bool has_options(const Napi::CallbackInfo& info) { return info.Length() >= 3 && info[2].IsNumber(); }
  static int options(const Napi::CallbackInfo& info) { return clamp_threads(info[2].As<Napi::Number>().DoubleValue()); }
  static void forward(const PackedRnn& op, const RnnInputs& in, const RnnOutputs& out, int threads) {
    op.forward(in, out, threads);
  }
  static size_t bytes(const PackedRnn& op) { return op.packed_bytes(); }
};

using NativeRnn = OperatorWrap<CpuEngine>;

// referenceForward(spec, weights, inputs): the scalar oracle, synchronous.
Napi::Value ReferenceForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsObject())
    throw_type(env, "referenceForward(spec, weights, inputs): wrong arguments");
  const RnnSpec spec = parse_spec(info[0].As<Napi::Object>());
  const RnnWeights weights = parse_weights(env, spec, info[1].As<Napi::Object>());
  CallInputs call;
  parse_inputs(env, spec, info[2].As<Napi::Object>(), call, false);
  CallOutputs outputs;
  try {
    reference::rnn_forward(spec, weights, call.in, outputs.allocate(env, spec, call));
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "gatedrnn: out of memory for the outputs of this call");
  }
  return outputs.to_js(env);
}

Napi::Value BackendInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", active_kernels().name);
  const auto names = supported_isas();
  Napi::Array isas = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) isas.Set(static_cast<uint32_t>(i), names[i]);
  o.Set("supportedIsas", isas);
  o.Set("openmp", parallel_uses_openmp());
  o.Set("bf16", active_kernels().gemm_bf16_kind);
  o.Set("defaultThreads", default_threads());
  return o;
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_type(env, "setIsa(name): name must be a string");
  return Napi::Boolean::New(env, select_isa(info[0].As<Napi::String>().Utf8Value()));
}

// fmaPeak(threads, bf16): the arithmetic peak of the active kernels, GFLOP/s over all threads
// (about 0.2 s of FMA loops). Benchmarks report efficiency against it. With bf16 true, the peak of
// the active bf16 kernel: vdpbf16ps where it runs, else the fp32 FMAs the emulated kernel widens to.
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw_type(env, "fmaPeak(threads): threads must be a number");
  const int n = std::max(1, clamp_threads(info[0].As<Napi::Number>().DoubleValue()));
  const KernelTable& kt = active_kernels();
  const bool dp = info.Length() > 1 && info[1].ToBoolean().Value() && std::string(kt.gemm_bf16_kind) == "avx512bf16" &&
                  dpbf16_loop_avx512() != nullptr;
  void (*loop)(long, float*) = dp ? dpbf16_loop_avx512() : kt.fma_loop;
  const double flops_per_round = dp ? 768.0 : 384.0;
  const long iters = 4'000'000;
  std::vector<float> sink(static_cast<size_t>(n) * 16);
  loop(iters / 10, sink.data());  // warm up (clocks, pages)
  const auto t0 = std::chrono::steady_clock::now();
  int ran = 1;
  parallel_run(n, [&](int tid, int nt) {
    if (tid == 0) ran = nt;
    loop(iters, &sink[static_cast<size_t>(tid) * 16]);
  });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Napi::Number::New(env, flops_per_round * iters * ran / s / 1e9);
}

Napi::Value SetBf16Native(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) throw_type(env, "setBf16Native(on): on must be a boolean");
  return Napi::Boolean::New(env, select_bf16_native(info[0].As<Napi::Boolean>().Value()));
}

}  // namespace

void init_rnn_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeRnn", NativeRnn::Define(env));
  exports.Set("referenceForward", Napi::Function::New(env, ReferenceForward));
  exports.Set("backendInfo", Napi::Function::New(env, BackendInfo));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("setBf16Native", Napi::Function::New(env, SetBf16Native));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
}

}  // namespace napi
}  // namespace gatedrnn
