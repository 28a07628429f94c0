#include "args.h"

#include <algorithm>
#include <new>

namespace gatedrnn {
namespace napi {

void throw_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
void throw_range(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

int clamp_threads(double n) { return n >= 1 ? static_cast<int>(std::min(n, static_cast<double>(kMaxThreads))) : 0; }

static int get_int(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_type(o.Env(), std::string("spec.") + key + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

static bool get_bool(const Napi::Object& o, const char* key) { return o.Get(key).ToBoolean().Value(); }

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

WeightValues fetch_weights(const Napi::Object& w) { return {w.Get("W"), w.Get("R"), w.Get("B"), w.Get("P")}; }

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

static AlignedBuffer copy_floats(const float* data, size_t n) {
  if (!data) return nullptr;
  AlignedBuffer b = aligned_floats_uninit(n);
  std::copy(data, data + n, b.get());
  return b;
}

// A reference does not keep an ArrayBuffer's memory: JS can detach the buffer (postMessage or
// structuredClone with transfer) while a worker thread reads it, and the memory is then freed
// under the worker. So asynchronous calls copy their inputs here, on the JS thread; X costs a
// copy of T*B*I floats against T*B*G*H*(I+H) multiply-adds of work.
static void own_inputs(Napi::Env env, const RnnSpec& s, CallInputs& call, WorkspacePool* x_pool) {
  const size_t B = call.in.batch, D = s.num_dirs, H = s.hidden;
  const size_t state = D * B * H;
  const size_t nx = static_cast<size_t>(call.in.seq_len) * B * s.input;
  try {
    if (x_pool) {
      call.x = x_pool->take(nx, call.x_capacity);
      std::copy(call.in.X, call.in.X + nx, call.x.get());
    } else {
      call.x = copy_floats(call.in.X, nx);
    }
    call.h0 = copy_floats(call.in.initial_h, state);
    call.c0 = copy_floats(call.in.initial_c, state);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "gatedrnn: out of memory while copying the inputs of this call");
  }
  call.in.X = call.x.get();
  call.in.initial_h = call.h0.get();
  call.in.initial_c = call.c0.get();
}

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

void parse_inputs(Napi::Env env, const RnnSpec& s, const InputValues& v, CallInputs& call, bool own,
                  WorkspacePool* x_pool) {
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
  if (own) own_inputs(env, s, call, x_pool);
}

void parse_inputs(Napi::Env env, const RnnSpec& s, const Napi::Object& o, CallInputs& call, bool own) {
  parse_inputs(env, s, fetch_inputs(o), call, own);
}

}  // namespace napi
}  // namespace gatedrnn
