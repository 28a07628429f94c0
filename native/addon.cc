// The Node-API surface and nothing else: argument checks (TypeScript validated them already; these
// re-checks are cheap and keep a wrong call from reading out of bounds), zero-copy TypedArray
// views, and the tasks that compute off the event loop on the TaskRunner (AsyncLink). See
// binding.d.ts for the JS view.
// A worker thread being terminated cannot run JS: a call that completes then must not turn the
// failure to settle its promise into a C++ exception or a fatal error, which would abort the
// whole process. node-addon-api then drops the exception instead.
#define NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "cpu/isa.h"
#include "cpu/kernels.h"
#include "cpu/optimizer.h"  // adamUpdate (train_addon.inc)
#include "cpu/parallel.h"
#include "cpu/sgemm.h"  // training hook
#include "async_link.h"
#include "cpu/task_runner.h"
#include "cuda/cuda_rnn.h"  // NativeCudaRnn, cudaInfo (cuda/addon_cuda.inc)
#include "plan/plan_addon.h"  // NativePlan
#include "reference/rnn_reference.h"
#include "rnn/rnn_forward.h"
#include "rnn/rnn_train.h"  // training hook

namespace gatedrnn {
namespace {

// Thread counts past this are clamped: every thread gets a workspace, so a count of 1e9 would be an
// allocation of that many workspaces, not more parallelism. (TypeScript refuses them first.)
constexpr int kMaxThreads = 1024;

int clamp_threads(double n) { return n >= 1 ? static_cast<int>(std::min(n, static_cast<double>(kMaxThreads))) : 0; }

[[noreturn]] void throw_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
[[noreturn]] void throw_range(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

int get_int(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_type(o.Env(), std::string("spec.") + key + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

bool get_bool(const Napi::Object& o, const char* key) { return o.Get(key).ToBoolean().Value(); }

// A Float32Array argument (or null/undefined when optional) and its element count.
struct F32View {
  const float* data = nullptr;
  size_t length = 0;
};

F32View get_f32(Napi::Env env, const Napi::Value& v, const char* name, bool optional) {
  if (optional && (v.IsNull() || v.IsUndefined())) return {};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw_type(env, std::string(name) + " must be a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  return {a.Data(), a.ElementLength()};
}

void expect_length(Napi::Env env, const F32View& v, size_t expected, const char* name) {
  if (v.data && v.length != expected)
    throw_range(env, std::string(name) + " must hold " + std::to_string(expected) + " floats, got " +
                         std::to_string(v.length));
}

RnnSpec parse_spec(const Napi::Object& o) {
  Napi::Env env = o.Env();
  RnnSpec s;
  const int cell = get_int(o, "cell");
  if (cell < 0 || cell > 2) throw_range(env, "spec.cell must be 0 (RNN), 1 (GRU) or 2 (LSTM)");
  s.cell = static_cast<Cell>(cell);
  s.hidden = get_int(o, "hiddenSize");
  s.input = get_int(o, "inputSize");
  s.num_dirs = get_int(o, "numDirections");
  if (s.hidden < 1 || s.input < 1 || (s.num_dirs != 1 && s.num_dirs != 2))
    throw_range(env, "spec.hiddenSize and spec.inputSize must be >= 1 and spec.numDirections 1 or 2");
  s.reverse = get_bool(o, "reverse");
  s.linear_before_reset = get_bool(o, "linearBeforeReset");
  s.input_forget = get_bool(o, "inputForget");
  s.layout = get_int(o, "layout");
  s.bf16_weights = get_bool(o, "bf16Weights");
  const Napi::Value clip = o.Get("clip");
  if (clip.IsNumber()) {
    s.has_clip = true;
    s.clip = clip.As<Napi::Number>().FloatValue();
  }
  // acts: [kind, alpha, beta] triples, act_count(cell) per direction, directions in order.
  const Napi::Value acts_v = o.Get("acts");
  if (!acts_v.IsArray()) throw_type(env, "spec.acts must be an array");
  const Napi::Array acts = acts_v.As<Napi::Array>();
  const int per_dir = act_count(s.cell);
  if (acts.Length() != static_cast<uint32_t>(3 * per_dir * s.num_dirs))
    throw_range(env, "spec.acts must hold 3 numbers per activation function");
  for (int d = 0; d < s.num_dirs; ++d) {
    for (int a = 0; a < per_dir; ++a) {
      const uint32_t i = static_cast<uint32_t>(3 * (d * per_dir + a));
      const int kind = acts.Get(i).As<Napi::Number>().Int32Value();
      if (kind < 0 || kind >= static_cast<int>(ActKind::Count)) throw_range(env, "spec.acts holds an unknown activation");
      s.acts[d][a] = {static_cast<ActKind>(kind), acts.Get(i + 1).As<Napi::Number>().FloatValue(),
                      acts.Get(i + 2).As<Napi::Number>().FloatValue()};
    }
  }
  return s;
}

// Every property of an argument object is read (a getter is JS and may run anything, even detach
// an array read before it) before the first pointer into an array is taken; after that no JS runs
// until the call has what it needs, so a view cannot be freed between its check and its use.
struct WeightValues {
  Napi::Value W, R, B, P;
};

WeightValues fetch_weights(const Napi::Object& w) { return {w.Get("W"), w.Get("R"), w.Get("B"), w.Get("P")}; }

// The weights as views into the caller's arrays, checked against the spec. Only their lengths are
// checked, and a TypedArray's length cannot shrink under a call (a SharedArrayBuffer only grows); the
// values are floats that the arithmetic takes as they come.
RnnWeights parse_weights(Napi::Env env, const RnnSpec& s, const WeightValues& v) {
  const size_t D = s.num_dirs, G = s.gates(), H = s.hidden, I = s.input;
  const F32View W = get_f32(env, v.W, "W", false), R = get_f32(env, v.R, "R", false), B = get_f32(env, v.B, "B", true),
                P = get_f32(env, v.P, "P", true);
  expect_length(env, W, D * G * H * I, "W");
  expect_length(env, R, D * G * H * H, "R");
  expect_length(env, B, D * 2 * G * H, "B");
  expect_length(env, P, D * 3 * H, "P");
  return RnnWeights{W.data, R.data, B.data, P.data};
}

RnnWeights parse_weights(Napi::Env env, const RnnSpec& s, const Napi::Object& w) {
  return parse_weights(env, s, fetch_weights(w));
}

// One call's inputs: views of the caller's arrays, or (for a call that runs on another thread)
// copies that this object owns. The sequence lengths are always a copy (parse_inputs).
struct CallInputs {
  RnnInputs in;
  bool want_y = false, want_yh = false, want_yc = false;
  AlignedBuffer x, h0, c0;
  std::vector<int32_t> lens;
};

AlignedBuffer copy_floats(const float* data, size_t n) {
  if (!data) return nullptr;
  AlignedBuffer b = aligned_floats_uninit(n);
  std::copy(data, data + n, b.get());
  return b;
}

// A reference does not keep an ArrayBuffer's memory: JS can detach the buffer (postMessage or
// structuredClone with transfer) while a worker thread reads it, and the memory is then freed
// under the worker. So asynchronous calls copy their inputs here, on the JS thread; X costs a
// copy of T*B*I floats against T*B*G*H*(I+H) multiply-adds of work.
void own_inputs(Napi::Env env, const RnnSpec& s, CallInputs& call) {
  const size_t B = call.in.batch, D = s.num_dirs, H = s.hidden;
  const size_t state = D * B * H;
  try {
    call.x = copy_floats(call.in.X, static_cast<size_t>(call.in.seq_len) * B * s.input);
    call.h0 = copy_floats(call.in.initial_h, state);
    call.c0 = copy_floats(call.in.initial_c, state);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "gatedrnn: out of memory while copying the inputs of this call");
  }
  call.in.X = call.x.get();
  call.in.initial_h = call.h0.get();
  call.in.initial_c = call.c0.get();
}

// The properties of one call's inputs object, read before any of them is looked into (see
// WeightValues).
struct InputValues {
  Napi::Value seq_len, batch, X, h0, c0, lens, want_y, want_yh, want_yc;
};

InputValues fetch_inputs(const Napi::Object& o) {
  InputValues v;
  v.seq_len = o.Get("seqLength");
  v.batch = o.Get("batchSize");
  v.X = o.Get("X");
  v.h0 = o.Get("initialH");
  v.c0 = o.Get("initialC");
  v.lens = o.Get("sequenceLens");
  v.want_y = o.Get("wantY");
  v.want_yh = o.Get("wantYh");
  v.want_yc = o.Get("wantYc");
  return v;
}

int number_arg(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw_type(env, std::string(name) + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

void parse_inputs(Napi::Env env, const RnnSpec& s, const InputValues& v, CallInputs& call, bool own) {
  const size_t D = s.num_dirs, H = s.hidden, I = s.input;
  const int T = number_arg(env, v.seq_len, "seqLength"), B = number_arg(env, v.batch, "batchSize");
  if (T < 1 || B < 1) throw_range(env, "seqLength and batchSize must be >= 1");
  const F32View X = get_f32(env, v.X, "X", false);
  expect_length(env, X, static_cast<size_t>(T) * B * I, "X");
  const F32View h0 = get_f32(env, v.h0, "initialH", true);
  const F32View c0 = get_f32(env, v.c0, "initialC", true);
  expect_length(env, h0, D * B * H, "initialH");
  expect_length(env, c0, D * B * H, "initialC");
  // sequenceLens is the one input whose values are checked (they bound the steps each row takes):
  // copied first, then checked, then used, so a SharedArrayBuffer that another thread rewrites
  // cannot change a length between its check and the kernel's read of it.
  const bool has_lens = !v.lens.IsNull() && !v.lens.IsUndefined();
  if (has_lens) {
    if (!v.lens.IsTypedArray() || v.lens.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      throw_type(env, "sequenceLens must be an Int32Array");
    auto a = v.lens.As<Napi::Int32Array>();
    if (a.ElementLength() != static_cast<size_t>(B)) throw_range(env, "sequenceLens must hold batchSize values");
    const int32_t* src = a.Data();
    call.lens.resize(static_cast<size_t>(B));
    // Element by element through a volatile read: one load per value, never re-read.
    for (int b = 0; b < B; ++b) call.lens[static_cast<size_t>(b)] = static_cast<const volatile int32_t*>(src)[b];
    for (int b = 0; b < B; ++b) {
      const int32_t len = call.lens[static_cast<size_t>(b)];
      if (len < 0 || len > T)
        throw_range(env, "sequenceLens[" + std::to_string(b) + "] must be in [0, " + std::to_string(T) + "], got " +
                             std::to_string(len));
    }
  }
  call.in.X = X.data;
  call.in.seq_len = T;
  call.in.batch = B;
  call.in.seq_lens = has_lens ? call.lens.data() : nullptr;
  call.in.initial_h = h0.data;
  call.in.initial_c = s.cell == Cell::LSTM ? c0.data : nullptr;
  call.want_y = v.want_y.ToBoolean().Value();
  call.want_yh = v.want_yh.ToBoolean().Value();
  call.want_yc = s.cell == Cell::LSTM && v.want_yc.ToBoolean().Value();
  if (own) own_inputs(env, s, call);
}

void parse_inputs(Napi::Env env, const RnnSpec& s, const Napi::Object& o, CallInputs& call, bool own) {
  parse_inputs(env, s, fetch_inputs(o), call, own);
}

// An output array whose memory V8 allocates and frees, written in place by the native code. An
// array over natively allocated memory is freed by a finalizer, and Node runs those from the event
// loop: a synchronous loop of run() calls then holds every output it ever made (1.5 GB after 6,000
// calls with a 256 KiB Y), and every new output's pages fault in afresh (a fifth of the time of a
// 1000x1x64 call). Allocated on the JS thread, before an asynchronous call is queued.
class JsFloats {
 public:
  // Throws std::bad_alloc when the memory is not there. Not zero-filled unless asked.
  void allocate(Napi::Env env, size_t n, bool zero = false) {
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

  float* data() const { return data_; }

  // The Float32Array over the memory, or undefined when none was allocated.
  Napi::Value to_js(Napi::Env env) const {
    if (ref_.IsEmpty()) return env.Undefined();
    const Napi::Buffer<uint8_t> buf = ref_.Value().As<Napi::Buffer<uint8_t>>();
    return Napi::Float32Array::New(env, n_, buf.ArrayBuffer(), buf.ByteOffset() + offset_);
  }

 private:
  static constexpr size_t kProbeBytes = 16u << 20, kLine = 64;
  Napi::ObjectReference ref_;
  float* data_ = nullptr;
  size_t n_ = 0, offset_ = 0;
};

// One call's outputs.
struct CallOutputs {
  JsFloats y, yh, yc;

  // On the JS thread.
  RnnOutputs allocate(Napi::Env env, const RnnSpec& s, const CallInputs& call) {
    const size_t ny = static_cast<size_t>(call.in.seq_len) * s.num_dirs * call.in.batch * s.hidden;
    const size_t ns = static_cast<size_t>(s.num_dirs) * call.in.batch * s.hidden;
    // The forward pass writes every element of every output it is given.
    if (call.want_y) y.allocate(env, ny);
    if (call.want_yh) yh.allocate(env, ns);
    if (call.want_yc) yc.allocate(env, ns);
    return views();
  }

  RnnOutputs views() const { return RnnOutputs{y.data(), yh.data(), yc.data()}; }

  Napi::Object to_js(Napi::Env env) const {
    Napi::Object o = Napi::Object::New(env);
    o.Set("Y", y.to_js(env));
    o.Set("Y_h", yh.to_js(env));
    o.Set("Y_c", yc.to_js(env));
    return o;
  }
};

// One runAsync call of NativeRnn.
class ForwardTask : public AsyncLink::Task {
 public:
  ForwardTask(Napi::Env env, std::shared_ptr<const PackedRnn> op, int threads, std::unique_ptr<CallInputs> call)
      : Task(env, "gatedrnn: out of memory for the outputs and workspace of this call"),
        op_(std::move(op)),
        threads_(threads),
        call_(std::move(call)) {
    allocate([&] { outputs_.allocate(env, op_->spec(), *call_); });
  }

 private:
  void compute() override { op_->forward(call_->in, outputs_.views(), threads_); }
  Napi::Value result(Napi::Env env) override { return outputs_.to_js(env); }

  std::shared_ptr<const PackedRnn> op_;
  int threads_;
  std::unique_ptr<CallInputs> call_;
  CallOutputs outputs_;
};

// JS class NativeRnn: prepacked weights of one operator.
class NativeRnn : public Napi::ObjectWrap<NativeRnn> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeRnn",
                       {InstanceMethod("run", &NativeRnn::Run), InstanceMethod("runAsync", &NativeRnn::RunAsync),
                        InstanceMethod("dispose", &NativeRnn::Dispose),
                        InstanceAccessor("packedBytes", &NativeRnn::PackedBytes, nullptr)});
  }

  // new NativeRnn(spec, { W, R, B?, P? }, threads)
  explicit NativeRnn(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeRnn>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsNumber())
      throw_type(env, "NativeRnn(spec, weights, threads): wrong arguments");
    const RnnSpec spec = parse_spec(info[0].As<Napi::Object>());
    const RnnWeights weights = parse_weights(env, spec, info[1].As<Napi::Object>());
    threads_ = clamp_threads(info[2].As<Napi::Number>().DoubleValue());
    try {
      op_ = std::make_shared<const PackedRnn>(spec, weights);
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "gatedrnn: out of memory while packing the weights");
    }
  }

 private:
  const std::shared_ptr<const PackedRnn>& live(Napi::Env env) {
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
    try {
      const RnnOutputs out = outputs.allocate(env, op->spec(), call);
      op->forward(call.in, out, threads_);
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "gatedrnn: out of memory for the outputs and workspace of this call");
    }
    return outputs.to_js(env);
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto& op = live(env);
    if (info.Length() < 1 || !info[0].IsObject()) throw_type(env, "runAsync(inputs): inputs must be an object");
    auto call = std::make_unique<CallInputs>();
    parse_inputs(env, op->spec(), info[0].As<Napi::Object>(), *call, true);
    // The task shares ownership of the packed weights: dispose() during the run is safe.
    return AsyncLink::submit(env, std::make_unique<ForwardTask>(env, op, threads_, std::move(call)));
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    op_.reset();
    return info.Env().Undefined();
  }

  Napi::Value PackedBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), op_ ? static_cast<double>(op_->packed_bytes()) : 0.0);
  }

  std::shared_ptr<const PackedRnn> op_;
  int threads_ = 0;
};

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

// CUDA: NativeCudaRnn and cudaInfo(), over the helpers above.
#include "cuda/addon_cuda.inc"

// Training hook: gemm and NativeRnnTrainer.
#include "train_addon.inc"

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

}  // namespace

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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeRnn", NativeRnn::Define(env));
  exports.Set("referenceForward", Napi::Function::New(env, ReferenceForward));
  exports.Set("backendInfo", Napi::Function::New(env, BackendInfo));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("setBf16Native", Napi::Function::New(env, SetBf16Native));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
  init_cuda(env, exports);
  init_train(env, exports);  // training hook
  init_plan(env, exports);   // NativePlan
  return exports;
}

}  // namespace gatedrnn

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return gatedrnn::Init(env, exports); }
NODE_API_MODULE(gatedrnn_addon, InitAddon)
