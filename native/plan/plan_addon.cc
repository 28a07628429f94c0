// NativePlan, the Node-API face of an ExecPlan (plan.h): made once per session from the packed
// matrices and recurrent weights, then run(call) or runAsync(call) per inference. A call copies
// its inputs into a fresh arena on the JS thread (so JS may reuse or detach them at once), runs
// the program on the calling thread or on a libuv worker, and writes the outputs into arrays the
// caller allocated, which the worker keeps referenced until it is done.
#define NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
#include <napi.h>

#include <time.h>

#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "../async_link.h"
#include "plan.h"
#include "plan_addon.h"

namespace gatedrnn {
namespace {

[[noreturn]] void fail_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, "NativePlan: " + msg); }

Napi::TypedArray typed(Napi::Env env, const Napi::Value& v, const std::string& name) {
  if (!v.IsTypedArray()) fail_type(env, name + " must be a typed array");
  return v.As<Napi::TypedArray>();
}

const float* floats(Napi::Env env, const Napi::Value& v, const std::string& name, size_t expected, bool optional) {
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  Napi::TypedArray a = typed(env, v, name);
  if (a.TypedArrayType() != napi_float32_array || a.ElementLength() != expected)
    fail_type(env, name + " must be a Float32Array of " + std::to_string(expected));
  return a.As<Napi::Float32Array>().Data();
}

int32_t int_of(Napi::Env env, const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) fail_type(env, std::string(key) + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

// A recurrent node's spec, flat: cell, hidden, input, directions, reverse, linearBeforeReset,
// inputForget, layout, bf16Weights, hasClip, clip, then [kind, alpha, beta] per activation.
RnnSpec spec_of(Napi::Env env, const Napi::Value& v) {
  Napi::TypedArray t = typed(env, v, "rnns[].spec");
  if (t.TypedArrayType() != napi_float64_array || t.ElementLength() < 11) fail_type(env, "rnns[].spec must be a Float64Array");
  const double* a = t.As<Napi::Float64Array>().Data();
  RnnSpec s;
  if (a[0] < 0 || a[0] > 2 || a[1] < 1 || a[2] < 1 || (a[3] != 1 && a[3] != 2)) fail_type(env, "rnns[].spec is out of range");
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
  if (t.ElementLength() != 11 + static_cast<size_t>(3 * per_dir * s.num_dirs)) fail_type(env, "rnns[].spec has the wrong length");
  for (int d = 0; d < s.num_dirs; ++d)
    for (int k = 0; k < per_dir; ++k) {
      const double* act = a + 11 + 3 * (d * per_dir + k);
      if (act[0] < 0 || act[0] >= static_cast<double>(ActKind::Count)) fail_type(env, "rnns[].spec holds an unknown activation");
      s.acts[d][k] = {static_cast<ActKind>(static_cast<int>(act[0])), static_cast<float>(act[1]), static_cast<float>(act[2])};
    }
  return s;
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// One call: the program, its constants (borrowed, referenced while the call runs), the arena with
// the inputs copied in, and the outputs (referenced) with the arena offsets they are copied from.
class PlanCall {
 public:
  PlanCall(Napi::Env env, const Napi::Object& c) {
    Napi::TypedArray prog = typed(env, c.Get("program"), "program");
    if (prog.TypedArrayType() != napi_int32_array) fail_type(env, "program must be an Int32Array");
    program_ref_ = Napi::Persistent(c.Get("program").As<Napi::Object>());
    program_ = prog.As<Napi::Int32Array>().Data();
    count_ = prog.ElementLength();
    Napi::TypedArray params = typed(env, c.Get("params"), "params");
    if (params.TypedArrayType() != napi_float32_array) fail_type(env, "params must be a Float32Array");
    const float* p = params.As<Napi::Float32Array>().Data();
    params_.assign(p, p + params.ElementLength());

    const Napi::Value cv = c.Get("consts");
    if (!cv.IsArray()) fail_type(env, "consts must be an array");
    consts_ref_ = Napi::Persistent(cv.As<Napi::Object>());
    const Napi::Array consts = cv.As<Napi::Array>();
    for (uint32_t k = 0; k < consts.Length(); ++k) {
      Napi::TypedArray t = typed(env, consts.Get(k), "consts[" + std::to_string(k) + "]");
      if (t.TypedArrayType() != napi_float32_array && t.TypedArrayType() != napi_int32_array)
        fail_type(env, "consts[] must be Float32Arrays or Int32Arrays");
      consts_.push_back({static_cast<const uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset(), t.ElementLength()});
    }

    const Napi::Value threads = c.Get("threads");
    threads_ = threads.IsNumber() ? threads.As<Napi::Number>().Int32Value() : 0;
    const Napi::Value words = c.Get("arenaWords");
    if (!words.IsNumber() || words.As<Napi::Number>().DoubleValue() < 0) fail_type(env, "arenaWords must be a non-negative number");
    words_ = static_cast<size_t>(words.As<Napi::Number>().DoubleValue());
    arena_.reset(new uint32_t[words_ ? words_ : 1]);

    // Inputs: [slot, count] pairs; int64 ids are narrowed to int32 (out of range: an error).
    const Napi::Array inputs = c.Get("inputs").As<Napi::Array>();
    const int32_t* in_slots = slots(env, c.Get("inputSlots"), inputs.Length());
    for (uint32_t k = 0; k < inputs.Length(); ++k) {
      Napi::TypedArray t = typed(env, inputs.Get(k), "inputs[]");
      const size_t n = t.ElementLength();
      uint32_t* dst = place(env, in_slots[2 * k], in_slots[2 * k + 1], n);
      const uint8_t* src = static_cast<const uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
      switch (t.TypedArrayType()) {
        case napi_float32_array:
        case napi_int32_array:
          std::memcpy(dst, src, n * 4);
          break;
        case napi_bigint64_array: {
          const int64_t* v = reinterpret_cast<const int64_t*>(src);
          for (size_t i = 0; i < n; ++i) {
            if (v[i] < std::numeric_limits<int32_t>::min() || v[i] > std::numeric_limits<int32_t>::max())
              throw Napi::RangeError::New(env, "NativePlan: an int64 input value " + std::to_string(v[i]) + " at flat index " +
                                                   std::to_string(i) + " is outside the int32 range");
            reinterpret_cast<int32_t*>(dst)[i] = static_cast<int32_t>(v[i]);
          }
          break;
        }
        default:
          fail_type(env, "inputs[] must be Float32Arrays, Int32Arrays or BigInt64Arrays");
      }
    }
    const Napi::Value ov = c.Get("outputs");
    if (!ov.IsArray()) fail_type(env, "outputs must be an array");
    outputs_ref_ = Napi::Persistent(ov.As<Napi::Object>());
    const Napi::Array outputs = ov.As<Napi::Array>();
    const int32_t* out_slots = slots(env, c.Get("outputSlots"), outputs.Length());
    for (uint32_t k = 0; k < outputs.Length(); ++k) {
      Napi::TypedArray t = typed(env, outputs.Get(k), "outputs[]");
      if (t.TypedArrayType() != napi_float32_array && t.TypedArrayType() != napi_int32_array)
        fail_type(env, "outputs[] must be Float32Arrays or Int32Arrays");
      place(env, out_slots[2 * k], out_slots[2 * k + 1], t.ElementLength());
      outs_.push_back({static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset(), static_cast<size_t>(out_slots[2 * k]),
                       t.ElementLength()});
    }
  }

  // Anywhere: the arithmetic, then the outputs copied out of the arena. Returns the CPU time the
  // calling thread spent (ms): the work, without the time other jobs held the core, which is what
  // decides whether the next call is worth a hop to a worker.
  double compute(const ExecPlan& plan) {
    const double t0 = thread_cpu_ms();
    plan.run(program_, count_, params_, consts_, arena_.get(), words_, threads_);
    for (const Out& o : outs_) std::memcpy(o.data, arena_.get() + o.slot, o.count * 4);
    return thread_cpu_ms() - t0;
  }

 private:
  const int32_t* slots(Napi::Env env, const Napi::Value& v, size_t pairs) {
    Napi::TypedArray t = typed(env, v, "slots");
    if (t.TypedArrayType() != napi_int32_array || t.ElementLength() != 2 * pairs) fail_type(env, "slots must be an Int32Array of [slot, count] pairs");
    return t.As<Napi::Int32Array>().Data();
  }
  uint32_t* place(Napi::Env env, int32_t slot, int32_t count, size_t n) {
    if (slot < 0 || count < 0 || static_cast<size_t>(count) != n || static_cast<size_t>(slot) + n > words_)
      throw Napi::RangeError::New(env, "NativePlan: an input or output does not fit its place in the arena");
    return arena_.get() + slot;
  }
  struct Out {
    uint8_t* data;
    size_t slot, count;
  };
  Napi::ObjectReference program_ref_, consts_ref_, outputs_ref_;
  const int32_t* program_ = nullptr;
  size_t count_ = 0;
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
  Napi::Value result(Napi::Env env) override { return Napi::Number::New(env, ms_); }

  std::shared_ptr<const ExecPlan> plan_;
  std::unique_ptr<PlanCall> call_;
  double ms_ = 0;
};

class NativePlan : public Napi::ObjectWrap<NativePlan> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativePlan",
                       {InstanceMethod("run", &NativePlan::Run), InstanceMethod("runAsync", &NativePlan::RunAsync),
                        InstanceMethod("dispose", &NativePlan::Dispose), InstanceAccessor("packedBytes", &NativePlan::PackedBytes, nullptr)});
  }

  explicit NativePlan(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativePlan>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) fail_type(env, "expected a description object");
    const Napi::Object d = info[0].As<Napi::Object>();
    std::vector<ExecPlan::Matrix> matrices;
    const Napi::Array ms = d.Get("matrices").As<Napi::Array>();
    for (uint32_t k = 0; k < ms.Length(); ++k) {
      const Napi::Object m = ms.Get(k).As<Napi::Object>();
      const int K = int_of(env, m, "K"), N = int_of(env, m, "N");
      if (K < 1 || N < 1) fail_type(env, "matrices[].K and N must be positive");
      matrices.push_back({floats(env, m.Get("B"), "matrices[].B", static_cast<size_t>(K) * N, false), K, N, m.Get("trans").ToBoolean().Value()});
    }
    std::vector<ExecPlan::Recurrent> rnns;
    const Napi::Array rs = d.Get("rnns").As<Napi::Array>();
    for (uint32_t k = 0; k < rs.Length(); ++k) {
      const Napi::Object r = rs.Get(k).As<Napi::Object>();
      const RnnSpec s = spec_of(env, r.Get("spec"));
      const size_t D = s.num_dirs, G = s.gates(), H = s.hidden, I = s.input;
      rnns.push_back({s, RnnWeights{floats(env, r.Get("W"), "rnns[].W", D * G * H * I, false), floats(env, r.Get("R"), "rnns[].R", D * G * H * H, false),
                                    floats(env, r.Get("B"), "rnns[].B", D * 2 * G * H, true), floats(env, r.Get("P"), "rnns[].P", D * 3 * H, true)}});
    }
    try {
      plan_ = std::make_shared<const ExecPlan>(matrices, rnns, int_of(env, d, "threads"));
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "gatedrnn: out of memory while packing the plan's weights");
    }
  }

 private:
  const std::shared_ptr<const ExecPlan>& live(Napi::Env env) {
    if (!plan_) throw Napi::Error::New(env, "this plan has been disposed");
    return plan_;
  }
  std::unique_ptr<PlanCall> call_of(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsObject()) fail_type(info.Env(), "expected a call object");
    try {
      return std::make_unique<PlanCall>(info.Env(), info[0].As<Napi::Object>());
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(info.Env(), "gatedrnn: out of memory for the arena of this call");
    }
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::shared_ptr<const ExecPlan> plan = live(env);
    std::unique_ptr<PlanCall> call = call_of(info);
    double ms = 0;
    try {
      ms = call->compute(*plan);
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

void init_plan(Napi::Env env, Napi::Object exports) { exports.Set("NativePlan", NativePlan::Define(env)); }

}  // namespace gatedrnn
