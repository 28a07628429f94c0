// NativePlan, the Node-API face of an ExecPlan (plan/plan.h): made once per session from the packed
// matrices and recurrent weights, then run(call) or runAsync(call) per inference. A call copies its
// program and inputs (into a fresh arena) on the JS thread, so JS may reuse or detach them at once,
// runs the program on the calling thread or on the runner threads, and writes the outputs into
// arrays the caller allocated.
//
// As everywhere in the addon (args.h), every property of the argument objects, array elements
// included, is read before the first pointer into a typed array is taken, and every number that
// bounds a memory access (the program, the slots, the spec) is copied, then checked, then used.
#include "plan_ops.h"

#include <time.h>

#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "async_link.h"
#include "plan/plan.h"
#include "wrap.h"

namespace gatedrnn {
namespace napi {
namespace {

[[noreturn]] void fail_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, "NativePlan: " + msg); }
[[noreturn]] void fail_range(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, "NativePlan: " + msg); }

Napi::TypedArray typed(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsTypedArray()) fail_type(env, name + " must be a typed array");
  return v.As<Napi::TypedArray>();
}

// The elements of a JS array, each read once (an element may be a getter).
std::vector<Napi::Value> elements(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsArray()) fail_type(env, std::string(name) + " must be an array");
  const Napi::Array a = v.As<Napi::Array>();
  std::vector<Napi::Value> out(a.Length());
  for (uint32_t k = 0; k < out.size(); ++k) out[k] = a.Get(k);
  return out;
}

Napi::Object object_arg(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsObject()) fail_type(env, name + " must be an object");
  return v.As<Napi::Object>();
}

const float* floats(Napi::Env env, const Napi::Value& v, const std::string& name, size_t expected, bool optional) {
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  Napi::TypedArray a = typed(env, v, name);
  if (a.TypedArrayType() != napi_float32_array || a.ElementLength() != expected)
    fail_type(env, name + " must be a Float32Array of " + std::to_string(expected));
  return a.As<Napi::Float32Array>().Data();
}

int32_t int_of(Napi::Env env, const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) fail_type(env, std::string(name) + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

// Copies an Int32Array, each element read once: the copy is what gets checked and used.
std::vector<int32_t> copy_ints(Napi::Env env, const Napi::Value& v, const char* name) {
  Napi::TypedArray t = typed(env, v, name);
  if (t.TypedArrayType() != napi_int32_array) fail_type(env, std::string(name) + " must be an Int32Array");
  const volatile int32_t* src = t.As<Napi::Int32Array>().Data();
  std::vector<int32_t> out(t.ElementLength());
  for (size_t i = 0; i < out.size(); ++i) out[i] = src[i];
  return out;
}

// A recurrent node's spec, flat: cell, hidden, input, directions, reverse, linearBeforeReset,
// inputForget, layout, bf16Weights, hasClip, clip, then [kind, alpha, beta] per activation.
RnnSpec spec_of(Napi::Env env, const Napi::Value& v) {
  Napi::TypedArray t = typed(env, v, "rnns[].spec");
  if (t.TypedArrayType() != napi_float64_array || t.ElementLength() < 11) fail_type(env, "rnns[].spec must be a Float64Array");
  const volatile double* src = t.As<Napi::Float64Array>().Data();
  std::vector<double> a(t.ElementLength());
  for (size_t i = 0; i < a.size(); ++i) a[i] = src[i];
  RnnSpec s;
  if (!(a[0] >= 0 && a[0] <= 2 && a[1] >= 1 && a[1] < 2147483648.0 && a[2] >= 1 && a[2] < 2147483648.0 && (a[3] == 1 || a[3] == 2)))
    fail_range(env, "rnns[].spec is out of range");
  s.cell = static_cast<Cell>(static_cast<int>(a[0]));
  s.hidden = static_cast<int>(a[1]);
  s.input = static_cast<int>(a[2]);
  s.num_dirs = static_cast<int>(a[3]);
  s.reverse = a[4] != 0;
  s.linear_before_reset = a[5] != 0;
  s.input_forget = a[6] != 0;
  s.layout = a[7] != 0 ? 1 : 0;
  s.bf16_weights = a[8] != 0;
  s.has_clip = a[9] != 0;
  s.clip = static_cast<float>(a[10]);
  const int per_dir = act_count(s.cell);
  if (a.size() != 11 + static_cast<size_t>(3 * per_dir * s.num_dirs)) fail_type(env, "rnns[].spec has the wrong length");
  for (int d = 0; d < s.num_dirs; ++d)
    for (int k = 0; k < per_dir; ++k) {
      const double* act = a.data() + 11 + 3 * (d * per_dir + k);
      if (!(act[0] >= 0 && act[0] < static_cast<double>(ActKind::Count))) fail_range(env, "rnns[].spec holds an unknown activation");
      s.acts[d][k] = {static_cast<ActKind>(static_cast<int>(act[0])), static_cast<float>(act[1]), static_cast<float>(act[2])};
    }
  return s;
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// The properties of a plan description, read before any array is looked into.
struct DescriptionValues {
  struct MatrixValues {
    Napi::Value K, N, B, trans;
  };
  struct RnnValues {
    Napi::Value spec, W, R, B, P;
  };
  std::vector<MatrixValues> matrices;
  std::vector<RnnValues> rnns;
  Napi::Value threads;
};

DescriptionValues fetch_description(Napi::Env env, const Napi::Object& d) {
  DescriptionValues v;
  const std::vector<Napi::Value> ms = elements(env, d.Get("matrices"), "matrices");
  const std::vector<Napi::Value> rs = elements(env, d.Get("rnns"), "rnns");
  v.threads = d.Get("threads");
  for (const Napi::Value& e : ms) {
    const Napi::Object m = object_arg(env, e, "matrices[]");
    v.matrices.push_back({m.Get("K"), m.Get("N"), m.Get("B"), m.Get("trans")});
  }
  for (const Napi::Value& e : rs) {
    const Napi::Object r = object_arg(env, e, "rnns[]");
    v.rnns.push_back({r.Get("spec"), r.Get("W"), r.Get("R"), r.Get("B"), r.Get("P")});
  }
  return v;
}

// The properties of one call, read before any array is looked into.
struct CallValues {
  Napi::Value program, params, consts_array, threads, arena_words, input_slots, outputs_array, output_slots;
  std::vector<Napi::Value> consts, inputs, outputs;
};

CallValues fetch_call(Napi::Env env, const Napi::Object& c) {
  CallValues v;
  v.program = c.Get("program");
  v.params = c.Get("params");
  v.consts_array = c.Get("consts");
  v.threads = c.Get("threads");
  v.arena_words = c.Get("arenaWords");
  const Napi::Value inputs = c.Get("inputs");
  v.input_slots = c.Get("inputSlots");
  v.outputs_array = c.Get("outputs");
  v.output_slots = c.Get("outputSlots");
  v.consts = elements(env, v.consts_array, "consts");
  v.inputs = elements(env, inputs, "inputs");
  v.outputs = elements(env, v.outputs_array, "outputs");
  return v;
}

// One call: the program (a copy), its constants (borrowed, referenced while the call runs), the
// arena with the inputs copied in, and the outputs (referenced) with the arena offsets they are
// copied from on the JS thread. The constants stay views, as the trainer's weights do: only
// lib/onnx/plan.ts makes and passes them, never user memory, and it never detaches them; a copy
// per call would cost a whole embedding table.
class PlanCall {
 public:
  PlanCall(Napi::Env env, const CallValues& v) {
    program_ = copy_ints(env, v.program, "program");
    Napi::TypedArray params = typed(env, v.params, "params");
    if (params.TypedArrayType() != napi_float32_array) fail_type(env, "params must be a Float32Array");
    const float* p = params.As<Napi::Float32Array>().Data();
    params_.assign(p, p + params.ElementLength());
    consts_ref_ = Napi::Persistent(v.consts_array.As<Napi::Object>());
    for (size_t k = 0; k < v.consts.size(); ++k) {
      Napi::TypedArray t = typed(env, v.consts[k], "consts[" + std::to_string(k) + "]");
      if (t.TypedArrayType() != napi_float32_array && t.TypedArrayType() != napi_int32_array)
        fail_type(env, "consts[] must be Float32Arrays or Int32Arrays");
      consts_.push_back({static_cast<const uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset(), t.ElementLength()});
    }
    threads_ = v.threads.IsNumber() ? clamp_threads(v.threads.As<Napi::Number>().DoubleValue()) : 0;
    const double words = v.arena_words.IsNumber() ? v.arena_words.As<Napi::Number>().DoubleValue() : -1;
    if (!(words >= 0 && words < 4294967296.0) || words != static_cast<double>(static_cast<size_t>(words)))
      fail_range(env, "arenaWords must be an integer in [0, 2^32)");
    words_ = static_cast<size_t>(words);
    arena_.reset(new uint32_t[words_ ? words_ : 1]);
    copy_inputs(env, v);
    const std::vector<int32_t> out_slots = slots(env, v.output_slots, v.outputs.size());
    for (size_t k = 0; k < v.outputs.size(); ++k) {
      Napi::TypedArray t = typed(env, v.outputs[k], "outputs[]");
      if (t.TypedArrayType() != napi_float32_array && t.TypedArrayType() != napi_int32_array)
        fail_type(env, "outputs[] must be Float32Arrays or Int32Arrays");
      place(env, out_slots[2 * k], out_slots[2 * k + 1], t.ElementLength());
      outs_.push_back({Napi::Persistent(t.As<Napi::Object>()), static_cast<size_t>(out_slots[2 * k]), t.ElementLength()});
    }
  }

  // Anywhere: the arithmetic. Returns the CPU time the calling thread spent (ms): the work,
  // without the time other jobs held the core, which is what decides whether the next call is
  // worth a hop to a worker.
  double compute(const ExecPlan& plan) {
    const double t0 = thread_cpu_ms();
    plan.run(program_.data(), program_.size(), params_, consts_, arena_.get(), words_, threads_);
    return thread_cpu_ms() - t0;
  }

  // On the JS thread, after compute(): the outputs copied out of the arena. Each array is looked
  // up again, since JS ran in between for an asynchronous call; one that was detached meanwhile
  // (its length is then 0, and its memory someone else's) is left alone.
  void copy_outputs() {
    for (const Out& o : outs_) {
      const Napi::TypedArray t = o.array.Value().As<Napi::TypedArray>();
      if (t.ElementLength() != o.count) continue;
      std::memcpy(static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset(), arena_.get() + o.slot, o.count * 4);
    }
  }

 private:
  // Inputs: [slot, count] pairs; int64 ids are narrowed to int32 (out of range: an error).
  void copy_inputs(Napi::Env env, const CallValues& v) {
    const std::vector<int32_t> in_slots = slots(env, v.input_slots, v.inputs.size());
    for (size_t k = 0; k < v.inputs.size(); ++k) {
      Napi::TypedArray t = typed(env, v.inputs[k], "inputs[]");
      const size_t n = t.ElementLength();
      const napi_typedarray_type type = t.TypedArrayType();
      if (type != napi_float32_array && type != napi_int32_array && type != napi_bigint64_array)
        fail_type(env, "inputs[] must be Float32Arrays, Int32Arrays or BigInt64Arrays");
      uint32_t* dst = place(env, in_slots[2 * k], in_slots[2 * k + 1], n);
      const uint8_t* src = static_cast<const uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
      if (type != napi_bigint64_array) {
        std::memcpy(dst, src, n * 4);
        continue;
      }
      const volatile int64_t* ids = reinterpret_cast<const volatile int64_t*>(src);
      for (size_t i = 0; i < n; ++i) {
        const int64_t id = ids[i];
        if (id < std::numeric_limits<int32_t>::min() || id > std::numeric_limits<int32_t>::max())
          fail_range(env, "an int64 input value " + std::to_string(id) + " at flat index " + std::to_string(i) +
                              " is outside the int32 range");
        reinterpret_cast<int32_t*>(dst)[i] = static_cast<int32_t>(id);
      }
    }
  }
  static std::vector<int32_t> slots(Napi::Env env, const Napi::Value& v, size_t pairs) {
    std::vector<int32_t> s = copy_ints(env, v, "slots");
    if (s.size() != 2 * pairs) fail_type(env, "slots must be an Int32Array of [slot, count] pairs");
    return s;
  }
  uint32_t* place(Napi::Env env, int32_t slot, int32_t count, size_t n) {
    if (slot < 0 || count < 0 || static_cast<size_t>(count) != n || static_cast<size_t>(slot) + n > words_)
      fail_range(env, "an input or output does not fit its place in the arena");
    return arena_.get() + slot;
  }
  struct Out {
    Napi::ObjectReference array;
    size_t slot, count;
  };
  Napi::ObjectReference consts_ref_;
  std::vector<int32_t> program_;
  std::vector<float> params_;
  std::vector<PlanConst> consts_;
  std::unique_ptr<uint32_t[]> arena_;
  size_t words_ = 0;
  int threads_ = 0;
  std::vector<Out> outs_;
};

// One runAsync call of a plan: computes on the runner threads, like every asynchronous call of the
// addon, and resolves to the call's CPU milliseconds.
class PlanTask : public AsyncLink::Task {
 public:
  PlanTask(Napi::Env env, std::shared_ptr<const ExecPlan> plan, std::unique_ptr<PlanCall> call)
      : Task(env, "gatedrnn: out of memory while running the plan"), plan_(std::move(plan)), call_(std::move(call)) {}

 private:
  void compute() override { ms_ = call_->compute(*plan_); }
  Napi::Value result(Napi::Env env) override {
    call_->copy_outputs();
    return Napi::Number::New(env, ms_);
  }

  std::shared_ptr<const ExecPlan> plan_;
  std::unique_ptr<PlanCall> call_;
  double ms_ = 0;
};

class NativePlan : public Napi::ObjectWrap<NativePlan> {
 public:
  static constexpr WrapClass kClass = WrapClass::NativePlan;

  static Napi::Function Define(Napi::Env env) {
    using T = NativePlan;
    Napi::Function constructor = DefineClass(env, "NativePlan", {getter<T, &T::PackedBytes>("packedBytes")});
    add_methods(constructor, {method<T, &T::Run>("run"), method<T, &T::RunAsync>("runAsync"), method<T, &T::Dispose>("dispose")});
    return constructor;
  }

  explicit NativePlan(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativePlan>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) fail_type(env, "expected a description object");
    const DescriptionValues v = fetch_description(env, info[0].As<Napi::Object>());
    const int threads = int_of(env, v.threads, "threads");
    std::vector<ExecPlan::Matrix> matrices;
    for (const auto& m : v.matrices) {
      const int K = int_of(env, m.K, "matrices[].K"), N = int_of(env, m.N, "matrices[].N");
      if (K < 1 || N < 1) fail_range(env, "matrices[].K and N must be positive");
      matrices.push_back({floats(env, m.B, "matrices[].B", static_cast<size_t>(K) * N, false), K, N, m.trans.ToBoolean().Value()});
    }
    std::vector<ExecPlan::Recurrent> rnns;
    for (const auto& r : v.rnns) {
      const RnnSpec s = spec_of(env, r.spec);
      const size_t D = s.num_dirs, G = s.gates(), H = s.hidden, I = s.input;
      rnns.push_back({s, RnnWeights{floats(env, r.W, "rnns[].W", D * G * H * I, false), floats(env, r.R, "rnns[].R", D * G * H * H, false),
                                    floats(env, r.B, "rnns[].B", D * 2 * G * H, true), floats(env, r.P, "rnns[].P", D * 3 * H, true)}});
    }
    try {
      plan_ = std::make_shared<const ExecPlan>(matrices, rnns, threads);
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "gatedrnn: out of memory while packing the plan's weights");
    }
    tag_object(info.This().As<Napi::Object>(), kClass);
  }

 private:
  const std::shared_ptr<const ExecPlan>& live(Napi::Env env) {
    if (!plan_) throw Napi::Error::New(env, "this plan has been disposed");
    return plan_;
  }
  static std::unique_ptr<PlanCall> call_of(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) fail_type(env, "expected a call object");
    const CallValues v = fetch_call(env, info[0].As<Napi::Object>());
    try {
      return std::make_unique<PlanCall>(env, v);
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "gatedrnn: out of memory for the arena of this call");
    }
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::shared_ptr<const ExecPlan> plan = live(env);
    std::unique_ptr<PlanCall> call = call_of(info);
    double ms = 0;
    try {
      ms = call->compute(*plan);
      call->copy_outputs();
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "gatedrnn: out of memory while running the plan");
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, std::string("gatedrnn: ") + e.what());
    }
    return Napi::Number::New(env, ms);
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::shared_ptr<const ExecPlan> plan = live(env);
    // The task shares ownership of the plan: dispose() during the run is safe.
    return AsyncLink::submit(env, std::make_unique<PlanTask>(env, plan, call_of(info)));
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    plan_.reset();
    return info.Env().Undefined();
  }

  Napi::Value PackedBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), plan_ ? static_cast<double>(plan_->packed_bytes()) : 0.0);
  }

  std::shared_ptr<const ExecPlan> plan_;
};

}  // namespace

void init_plan_ops(Napi::Env env, Napi::Object exports) { exports.Set("NativePlan", NativePlan::Define(env)); }

}  // namespace napi
}  // namespace gatedrnn
