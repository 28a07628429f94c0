// The training surface: gemm() and NativeRnnTrainer, a training-mode GRU, LSTM or plain RNN whose
// weights come with every call.
#include "trainer.h"

#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "args.h"
#include "async_link.h"
#include "common/aligned.h"
#include "cpu/embedding.h"
#include "cpu/optimizer.h"
#include "cpu/sgemm.h"
#include "outputs.h"
#include "rnn/rnn_train.h"
#include "wrap.h"

namespace gatedrnn {
namespace napi {
namespace {

double number_value(Napi::Env env, const Napi::Value& v, const char* key) {
  if (!v.IsNumber()) throw_type(env, std::string("args.") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

// gemm({ transA, transB, M, N, K, alpha, beta, A, B, C, threads }): C in place, synchronous.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_type(env, "gemm(args): args must be an object");
  const Napi::Object o = info[0].As<Napi::Object>();
  // Every property first (a getter may run any JS), then the views (args.h).
  const Napi::Value ta_v = o.Get("transA"), tb_v = o.Get("transB"), m_v = o.Get("M"), n_v = o.Get("N"), k_v = o.Get("K"),
                    alpha_v = o.Get("alpha"), beta_v = o.Get("beta"), a_v = o.Get("A"), b_v = o.Get("B"), c_v = o.Get("C"),
                    threads_v = o.Get("threads");
  const bool ta = ta_v.ToBoolean().Value(), tb = tb_v.ToBoolean().Value();
  const double m = number_value(env, m_v, "M"), n = number_value(env, n_v, "N"), k = number_value(env, k_v, "K");
  for (double v : {m, n, k})
    if (!(v >= 0 && v <= 2147483647.0) || v != static_cast<double>(static_cast<long long>(v)))
      throw_range(env, "gemm: M, N and K must be integers in [0, 2^31)");
  const int M = static_cast<int>(m), N = static_cast<int>(n), K = static_cast<int>(k);
  const float alpha = static_cast<float>(number_value(env, alpha_v, "alpha")),
              beta = static_cast<float>(number_value(env, beta_v, "beta"));
  const double threads_d = number_value(env, threads_v, "threads");
  const int threads = clamp_threads(threads_d);
  const F32View A = get_f32(env, a_v, "A", false), B = get_f32(env, b_v, "B", false), C = get_f32(env, c_v, "C", false);
  expect_length(env, A, static_cast<size_t>(M) * K, "A");
  expect_length(env, B, static_cast<size_t>(K) * N, "B");
  expect_length(env, C, static_cast<size_t>(M) * N, "C");
  try {
    sgemm(ta, tb, M, N, K, alpha, A.data, ta ? M : K, B.data, tb ? K : N, beta, const_cast<float*>(C.data), N, threads);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "gatedrnn: out of memory for the packed operands of gemm");
  }
  return env.Undefined();
}

// adamUpdate(w, g, m, v, rows, rowSize, scale, decay, c1, c2, alpha, eps): one Adam step of w in
// place (optimizer.h), over all of w or, with rows (an Int32Array), over those rows of rowSize
// elements. lib/ops checks the arguments; these checks only keep the memory safe.
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "adamUpdate(w, g, m, v, rows, rowSize, scale, decay, c1, c2, alpha, eps)";
  if (info.Length() < 12) throw_type(env, std::string(where) + ": expected 12 arguments");
  const F32View w = get_f32(env, info[0], "w", false), g = get_f32(env, info[1], "g", false),
                m = get_f32(env, info[2], "m", false), v = get_f32(env, info[3], "v", false);
  for (const F32View* a : {&g, &m, &v}) expect_length(env, *a, w.length, "g, m and v");
  double num[7];
  for (int i = 0; i < 7; ++i) {
    if (!info[5 + i].IsNumber()) throw_type(env, std::string(where) + ": rowSize and the constants must be numbers");
    num[i] = info[5 + i].As<Napi::Number>().DoubleValue();
  }
  const AdamStep step{num[1], num[2], num[3], num[4], num[5], num[6]};
  float* wd = const_cast<float*>(w.data);
  float* md = const_cast<float*>(m.data);
  float* vd = const_cast<float*>(v.data);
  if (info[4].IsNull() || info[4].IsUndefined()) {
    adam_update(wd, g.data, md, vd, 0, w.length, step);
    return env.Undefined();
  }
  if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_type(env, std::string(where) + ": rows must be an Int32Array or null");
  const Napi::Int32Array rows = info[4].As<Napi::Int32Array>();
  const double row_size = num[0];
  if (!(row_size >= 1 && row_size <= static_cast<double>(w.length)) || row_size != static_cast<double>(static_cast<size_t>(row_size)))
    throw_range(env, std::string(where) + ": rowSize must be an integer in [1, w.length]");
  const size_t rs = static_cast<size_t>(row_size), nrows = w.length / rs;
  // Copied before the check: another thread may write rows (a SharedArrayBuffer) between the two.
  const std::vector<int32_t> picked(rows.Data(), rows.Data() + rows.ElementLength());
  for (const int32_t r : picked)
    if (r < 0 || static_cast<size_t>(r) >= nrows) throw_range(env, std::string(where) + ": a row is out of range");
  for (const int32_t r : picked) {
    const size_t a = static_cast<size_t>(r) * rs;
    adam_update(wd, g.data, md, vd, a, a + rs, step);
  }
  return env.Undefined();
}

// One trainer call's arguments as views, with the JS arrays kept alive for an async call. The copy
// of X that an async call owns comes from the trainer's pool and goes back to it: a training loop
// repeats calls of one shape, and a fresh buffer of that size is mapped from the OS and faulted in
// page by page on every call.
struct TrainCall {
  RnnWeights weights;
  CallInputs call;
  const float* saved = nullptr;
  TrainGradInputs grads;
  std::vector<Napi::Reference<Napi::Value>> keep;
  std::shared_ptr<WorkspacePool> x_pool;
  // forward only: where `saved` goes, when the caller passed an array for it.
  float* saved_into = nullptr;
  Napi::Reference<Napi::Value> saved_into_ref;

  TrainCall() = default;
  TrainCall(const TrainCall&) = delete;
  TrainCall& operator=(const TrainCall&) = delete;
  ~TrainCall() {
    if (x_pool && call.x) x_pool->give(std::move(call.x), call.x_capacity);
  }
};

void parse_train_call(Napi::Env env, const RnnTrainer& tr, const Napi::CallbackInfo& info, bool with_grads,
                      TrainCall& c, bool keep_alive) {
  const char* what = with_grads ? "backward(weights, inputs, saved, grads)" : "forward(weights, inputs)";
  const size_t need = with_grads ? 4 : 2;
  if (info.Length() < need || !info[0].IsObject() || !info[1].IsObject() || (with_grads && !info[3].IsObject()))
    throw_type(env, std::string("NativeRnnTrainer.") + what + ": wrong arguments");
  const RnnSpec& s = tr.spec();
  // Every property of every argument first (a getter may run any JS), then the views (args.h).
  const Napi::Object w = info[0].As<Napi::Object>();
  const WeightValues wv = fetch_weights(w);
  const InputValues iv = fetch_inputs(info[1].As<Napi::Object>());
  Napi::Value saved_v, dy_v, dyh_v, dyc_v;
  if (!with_grads && info.Length() > 2) saved_v = info[2];
  if (with_grads) {
    const Napi::Object g = info[3].As<Napi::Object>();
    saved_v = info[2];
    dy_v = g.Get("dY");
    dyh_v = g.Get("dY_h");
    dyc_v = g.Get("dY_c");
  }
  c.weights = parse_weights(env, s, wv);
  if (c.weights.P) throw_range(env, "NativeRnnTrainer: peepholes (P) are not supported in training");
  parse_inputs(env, s, iv, c.call, keep_alive, keep_alive ? c.x_pool.get() : nullptr);
  if (keep_alive) {
    for (const Napi::Value& v : {wv.W, wv.R, wv.B})
      if (v.IsObject()) c.keep.push_back(Napi::Persistent(v));
  }
  const RnnInputs& in = c.call.in;
  if (!with_grads) {
    // forward(weights, inputs, savedInto): `saved` written into that array (an earlier forward's,
    // of this shape) instead of a new one.
    if (saved_v.IsEmpty() || saved_v.IsNull() || saved_v.IsUndefined()) return;
    const F32View into = get_f32(env, saved_v, "savedInto", false);
    const size_t n = tr.saved_floats(in.seq_len, in.batch);
    if (!into.data || into.length != n)
      throw_range(env, "savedInto must hold " + std::to_string(n) + " floats, got " + std::to_string(into.length));
    c.saved_into = const_cast<float*>(into.data);
    c.saved_into_ref = Napi::Persistent(saved_v);
    return;
  }
  const F32View saved = get_f32(env, saved_v, "saved", false);
  expect_length(env, saved, tr.saved_floats(in.seq_len, in.batch), "saved");
  c.saved = saved.data;
  const size_t ns = static_cast<size_t>(s.num_dirs) * in.batch * s.hidden;
  const F32View dy = get_f32(env, dy_v, "dY", true), dyh = get_f32(env, dyh_v, "dY_h", true),
                dyc = get_f32(env, dyc_v, "dY_c", true);
  expect_length(env, dy, static_cast<size_t>(in.seq_len) * ns, "dY");
  expect_length(env, dyh, ns, "dY_h");
  expect_length(env, dyc, ns, "dY_c");
  c.grads = TrainGradInputs{dy.data, dyh.data, s.cell == Cell::LSTM ? dyc.data : nullptr};
  if (keep_alive) {
    for (const Napi::Value& v : {saved_v, dy_v, dyh_v, dyc_v})
      if (v.IsObject()) c.keep.push_back(Napi::Persistent(v));
  }
}

// The gradients (JsFloats: allocated on the JS thread, written in place).
struct GradBuffers {
  JsFloats dx, dw, dr, db, dh0, dc0;

  TrainGradOutputs allocate(Napi::Env env, const RnnSpec& s, const RnnInputs& in) {
    const size_t D = s.num_dirs, G = s.gates(), H = s.hidden;
    const size_t ns = D * in.batch * H;
    // backward writes every element of each.
    dx.allocate(env, static_cast<size_t>(in.seq_len) * in.batch * s.input);
    dw.allocate(env, D * G * H * s.input);
    dr.allocate(env, D * G * H * H);
    db.allocate(env, D * 2 * G * H);
    dh0.allocate(env, ns);
    if (s.cell == Cell::LSTM) dc0.allocate(env, ns);
    return views();
  }

  TrainGradOutputs views() const { return TrainGradOutputs{dx.data(), dw.data(), dr.data(), db.data(), dh0.data(), dc0.data()}; }

  Napi::Object to_js(Napi::Env env) const {
    Napi::Object o = Napi::Object::New(env);
    o.Set("dX", dx.to_js(env));
    o.Set("dW", dw.to_js(env));
    o.Set("dR", dr.to_js(env));
    o.Set("dB", db.to_js(env));
    o.Set("dInitialH", dh0.to_js(env));
    if (dc0.data()) o.Set("dInitialC", dc0.to_js(env));
    return o;
  }
};

// The forward outputs plus `saved`.
struct TrainForwardResult {
  CallOutputs outputs;
  JsFloats saved;

  void allocate(Napi::Env env, const RnnTrainer& tr, const TrainCall& c) {
    outputs.allocate(env, tr.spec(), c.call);
    // Not cleared: forward writes every float of it.
    if (!c.saved_into) saved.allocate(env, tr.saved_floats(c.call.in.seq_len, c.call.in.batch));
  }

  void run(const RnnTrainer& tr, const TrainCall& c, int threads) const {
    tr.forward(c.weights, c.call.in, outputs.views(), c.saved_into ? c.saved_into : saved.data(), threads);
  }

  Napi::Object to_js(Napi::Env env, const TrainCall& c) const {
    Napi::Object o = outputs.to_js(env);
    o.Set("saved", c.saved_into ? c.saved_into_ref.Value() : saved.to_js(env));
    return o;
  }
};

// The outputs of one forward or backward call: allocated on the JS thread, written by run().
class TrainResult {
 public:
  explicit TrainResult(bool backward) : backward_(backward) {}

  static const char* out_of_memory(bool backward) {
    return backward ? "gatedrnn: out of memory for the gradients and workspace of this call"
                    : "gatedrnn: out of memory for the outputs and workspace of this call";
  }

  void allocate(Napi::Env env, const RnnTrainer& tr, const TrainCall& c) {
    if (backward_) {
      grads_.allocate(env, tr.spec(), c.call.in);
    } else {
      forward_.allocate(env, tr, c);
    }
  }

  void run(const RnnTrainer& tr, const TrainCall& c, int threads) const {
    if (backward_) {
      tr.backward(c.weights, c.call.in, c.saved, c.grads, grads_.views(), threads);
    } else {
      forward_.run(tr, c, threads);
    }
  }

  Napi::Object to_js(Napi::Env env, const TrainCall& c) const { return backward_ ? grads_.to_js(env) : forward_.to_js(env, c); }

 private:
  bool backward_;
  TrainForwardResult forward_;
  GradBuffers grads_;
};

// One forwardAsync or backwardAsync call of NativeRnnTrainer.
class TrainTask : public AsyncLink::Task {
 public:
  TrainTask(Napi::Env env, std::shared_ptr<const RnnTrainer> tr, int threads, std::unique_ptr<TrainCall> call,
            bool backward)
      : Task(env, TrainResult::out_of_memory(backward)),
        tr_(std::move(tr)),
        threads_(threads),
        call_(std::move(call)),
        result_(backward) {
    poll_after = false;  // a training step is long: its runner sleeps right after (RunnerTask)
    allocate([&] { result_.allocate(env, *tr_, *call_); });
  }

 private:
  void compute() override { result_.run(*tr_, *call_, threads_); }
  Napi::Value result(Napi::Env env) override { return result_.to_js(env, *call_); }

  std::shared_ptr<const RnnTrainer> tr_;
  int threads_;
  std::unique_ptr<TrainCall> call_;
  TrainResult result_;
};

// JS class NativeRnnTrainer: a training-mode GRU, LSTM or plain RNN; weights come with every call.
class NativeRnnTrainer : public Napi::ObjectWrap<NativeRnnTrainer> {
 public:
  static constexpr WrapClass kClass = WrapClass::NativeRnnTrainer;

  static Napi::Function Define(Napi::Env env) {
    using T = NativeRnnTrainer;
    Napi::Function constructor = DefineClass(env, "NativeRnnTrainer", {});
    add_methods(constructor, {method<T, &T::Forward>("forward"), method<T, &T::ForwardAsync>("forwardAsync"),
                              method<T, &T::Backward>("backward"), method<T, &T::BackwardAsync>("backwardAsync"),
                              method<T, &T::Dispose>("dispose")});
    return constructor;
  }

  // new NativeRnnTrainer(spec, threads)
  explicit NativeRnnTrainer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeRnnTrainer>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsNumber())
      throw_type(env, "NativeRnnTrainer(spec, threads): wrong arguments");
    const RnnSpec spec = parse_spec(info[0].As<Napi::Object>());
    threads_ = clamp_threads(info[1].As<Napi::Number>().DoubleValue());
    try {
      tr_ = std::make_shared<const RnnTrainer>(spec);
    } catch (const std::invalid_argument& e) {
      throw Napi::Error::New(env, std::string("NativeRnnTrainer: ") + e.what());
    }
    tag_object(info.This().As<Napi::Object>(), kClass);
  }

 private:
  const std::shared_ptr<const RnnTrainer>& live(Napi::Env env) {
    if (!tr_) throw Napi::Error::New(env, "this trainer has been disposed");
    return tr_;
  }

  // forward or backward, synchronous.
  Napi::Value Step(const Napi::CallbackInfo& info, bool backward) {
    Napi::Env env = info.Env();
    const auto& tr = live(env);
    TrainCall c;
    parse_train_call(env, *tr, info, backward, c, false);
    TrainResult r(backward);
    guard_call(env, TrainResult::out_of_memory(backward), [&] {
      r.allocate(env, *tr, c);
      r.run(*tr, c, threads_);
    });
    return r.to_js(env, c);
  }

  Napi::Value Queue(const Napi::CallbackInfo& info, bool backward) {
    Napi::Env env = info.Env();
    const auto& tr = live(env);
    auto c = std::make_unique<TrainCall>();
    c->x_pool = inputs_;
    parse_train_call(env, *tr, info, backward, *c, true);
    // The task shares ownership of the trainer: dispose() during the run is safe.
    return AsyncLink::submit(env, std::make_unique<TrainTask>(env, tr, threads_, std::move(c), backward));
  }

  Napi::Value Forward(const Napi::CallbackInfo& info) { return Step(info, false); }
  Napi::Value Backward(const Napi::CallbackInfo& info) { return Step(info, true); }
  Napi::Value ForwardAsync(const Napi::CallbackInfo& info) { return Queue(info, false); }
  Napi::Value BackwardAsync(const Napi::CallbackInfo& info) { return Queue(info, true); }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    tr_.reset();
    inputs_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<const RnnTrainer> tr_;
  // Kept copies of X for async calls (TrainCall); shared with the calls in flight.
  std::shared_ptr<WorkspacePool> inputs_ = std::make_shared<WorkspacePool>();
  int threads_ = 0;
};

// One embedding call's arguments: the table (or its gradient; always the first), the row width d,
// the ids and the rows of d floats per id (out, or dy). The ids are copied out of the caller's Int32Array first
// (another thread may write it, a SharedArrayBuffer), then each checked to be a row, then used.
struct EmbeddingCall {
  F32View table, per_id;
  size_t d = 0;
  std::vector<int32_t> ids;
};

EmbeddingCall embedding_call(const Napi::CallbackInfo& info, const char* where, const char* table_name, int ids_at,
                             int per_id_at, int d_at, const char* per_id_name) {
  Napi::Env env = info.Env();
  if (info.Length() < 4) throw_type(env, std::string(where) + ": expected 4 arguments");
  EmbeddingCall c;
  c.table = get_f32(env, info[0], table_name, false);
  const double d = number_value(env, info[d_at], "d");
  if (!(d >= 1 && d <= static_cast<double>(c.table.length)) || d != static_cast<double>(static_cast<size_t>(d)) ||
      c.table.length % static_cast<size_t>(d) != 0)
    throw_range(env, std::string(where) + ": d must be an integer in [1, table length] that divides it");
  c.d = static_cast<size_t>(d);
  const Napi::Value ids = info[ids_at];
  if (!ids.IsTypedArray() || ids.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_type(env, std::string(where) + ": ids must be an Int32Array");
  const Napi::Int32Array a = ids.As<Napi::Int32Array>();
  c.ids.assign(a.Data(), a.Data() + a.ElementLength());
  for (const int32_t id : c.ids)
    if (id < 0 || static_cast<size_t>(id) >= c.table.length / c.d)
      throw_range(env, std::string(where) + ": an id is not a row of the table");
  c.per_id = get_f32(env, info[per_id_at], per_id_name, false);
  expect_length(env, c.per_id, c.ids.size() * c.d, per_id_name);
  return c;
}

// embeddingGather(table, ids, d, out): out[i, :] = table[ids[i], :] (cpu/embedding.h).
Napi::Value EmbeddingGather(const Napi::CallbackInfo& info) {
  const EmbeddingCall c = embedding_call(info, "embeddingGather(table, ids, d, out)", "table", 1, 3, 2, "out");
  embedding_gather(c.table.data, c.ids.data(), c.ids.size(), c.d, const_cast<float*>(c.per_id.data));
  return info.Env().Undefined();
}

// embeddingScatterAdd(grad, ids, dy, d): grad[ids[i], :] += dy[i, :] in order of i.
Napi::Value EmbeddingScatterAdd(const Napi::CallbackInfo& info) {
  const EmbeddingCall c = embedding_call(info, "embeddingScatterAdd(grad, ids, dy, d)", "grad", 1, 2, 3, "dy");
  embedding_scatter_add(const_cast<float*>(c.table.data), c.ids.data(), c.ids.size(), c.d, c.per_id.data);
  return info.Env().Undefined();
}

}  // namespace

void init_trainer(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
  exports.Set("embeddingGather", Napi::Function::New(env, EmbeddingGather));
  exports.Set("embeddingScatterAdd", Napi::Function::New(env, EmbeddingScatterAdd));
  exports.Set("NativeRnnTrainer", NativeRnnTrainer::Define(env));
}

}  // namespace napi
}  // namespace gatedrnn
