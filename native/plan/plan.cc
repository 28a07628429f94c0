#include "plan.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../cpu/isa.h"
#include "../cpu/kernels.h"
#include "../cpu/sgemm.h"

namespace gatedrnn {

ExecPlan::ExecPlan(const std::vector<Matrix>& matrices, const std::vector<Recurrent>& rnns, int threads)
    : threads_(threads) {
  for (const Matrix& m : matrices) {
    const size_t floats = std::max<size_t>(1, panel_count(m.N) * panel_floats(m.K));
    Packed p{aligned_floats_uninit(floats), m.K, m.N};
    pack_panels_part(m.trans, m.K, m.N, m.B, m.trans ? m.K : m.N, p.panels.get(), 0, 1);
    packed_bytes_ += floats * sizeof(float);
    matrices_.push_back(std::move(p));
  }
  for (const Recurrent& r : rnns) {
    rnns_.push_back(std::make_unique<PackedRnn>(r.spec, r.weights));
    packed_bytes_ += rnns_.back()->packed_bytes();
  }
}

namespace {

// Multiply-adds of a recurrent node below which it runs on one thread.
constexpr double kPlanSplitMacs = 4e6;

// The program's view of the arena and its constants, with every access checked: a program that
// reads outside them is refused, whatever wrote it.
class Frame {
 public:
  Frame(const int32_t* program, size_t count, const std::vector<PlanConst>& consts, uint32_t* arena, size_t words)
      : program_(program), count_(count), consts_(consts), arena_(arena), words_(words) {}

  bool done() const { return pc_ >= count_; }
  int32_t next() {
    if (pc_ >= count_) bad("a truncated instruction");
    return program_[pc_++];
  }
  // A count or size operand: not negative.
  size_t size() {
    const int32_t v = next();
    if (v < 0) bad("a negative size");
    return static_cast<size_t>(v);
  }
  float* f32(int32_t slot, size_t n) { return reinterpret_cast<float*>(words(slot, n)); }
  int32_t* i32(int32_t slot, size_t n) { return reinterpret_cast<int32_t*>(words(slot, n)); }
  // An optional slot: null when -1.
  float* f32_opt(int32_t slot, size_t n) { return slot < 0 ? nullptr : f32(slot, n); }
  const void* constant(int32_t k, size_t n) {
    if (k < 0 || static_cast<size_t>(k) >= consts_.size() || consts_[k].count < n) bad("a constant out of range");
    return consts_[k].data;
  }
  [[noreturn]] static void bad(const char* what) { throw PlanError(std::string("malformed plan program: ") + what); }

 private:
  uint32_t* words(int32_t slot, size_t n) {
    if (slot < 0 || static_cast<size_t>(slot) > words_ || n > words_ - static_cast<size_t>(slot)) bad("a value outside the arena");
    return arena_ + slot;
  }
  const int32_t* program_;
  size_t count_, pc_ = 0;
  const std::vector<PlanConst>& consts_;
  uint32_t* arena_;
  size_t words_;
};

size_t product(const size_t* d, int n) {
  size_t p = 1;
  for (int k = 0; k < n; ++k) p *= d[k];
  return p;
}

void unary(int kind, const float* x, float* y, size_t n) {
  switch (kind) {
    case 0:
      for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
      break;
    case 1:
      for (size_t i = 0; i < n; ++i) y[i] = 1.f / (1.f + std::exp(-x[i]));
      break;
    case 2:
      for (size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
      break;
    default:
      Frame::bad("an unknown unary kind");
  }
}

void softmax(const float* x, float* y, size_t rows, size_t width) {
  for (size_t r = 0; r < rows; ++r) {
    const float* a = x + r * width;
    float* b = y + r * width;
    float m = -INFINITY;
    for (size_t j = 0; j < width; ++j) m = std::max(m, a[j]);
    float s = 0.f;
    for (size_t j = 0; j < width; ++j) s += b[j] = std::exp(a[j] - m);
    const float inv = 1.f / s;
    for (size_t j = 0; j < width; ++j) b[j] *= inv;
  }
}

// out[...] = in[...] with the axes permuted: out axis k is in axis perm[k].
void transpose(const uint32_t* in, uint32_t* out, int rank, const size_t* dims, const int* perm) {
  size_t in_stride[kPlanMaxRank], out_dims[kPlanMaxRank], stride[kPlanMaxRank];
  size_t s = 1;
  for (int k = rank - 1; k >= 0; --k) {
    in_stride[k] = s;
    s *= dims[k];
  }
  for (int k = 0; k < rank; ++k) {
    out_dims[k] = dims[perm[k]];
    stride[k] = in_stride[perm[k]];
  }
  const size_t n = s;
  const size_t inner = out_dims[rank - 1], inner_stride = stride[rank - 1];
  size_t idx[kPlanMaxRank] = {0};
  for (size_t o = 0; o < n; o += inner) {
    size_t at = 0;
    for (int k = 0; k < rank - 1; ++k) at += idx[k] * stride[k];
    for (size_t j = 0; j < inner; ++j) out[o + j] = in[at + j * inner_stride];
    for (int k = rank - 2; k >= 0; --k) {
      if (++idx[k] < out_dims[k]) break;
      idx[k] = 0;
    }
  }
}

void slice(const uint32_t* in, uint32_t* out, int rank, const size_t* in_dims, const int64_t* starts, const int64_t* steps,
           const size_t* out_dims) {
  size_t in_stride[kPlanMaxRank];
  size_t s = 1;
  for (int k = rank - 1; k >= 0; --k) {
    in_stride[k] = s;
    s *= in_dims[k];
  }
  const size_t n = product(out_dims, rank);
  size_t idx[kPlanMaxRank] = {0};
  for (size_t o = 0; o < n; ++o) {
    int64_t at = 0;
    for (int k = 0; k < rank; ++k) at += (starts[k] + static_cast<int64_t>(idx[k]) * steps[k]) * static_cast<int64_t>(in_stride[k]);
    out[o] = in[at];
    for (int k = rank - 1; k >= 0; --k) {
      if (++idx[k] < out_dims[k]) break;
      idx[k] = 0;
    }
  }
}

// One function per opcode: each reads its operands (in the order plan.h lists them), checks
// them against the arena, the constants and the plan, and runs the instruction.

void exec_gather(Frame& f) {
  const int32_t out = f.next(), ids_slot = f.next();
  const size_t n = f.size();
  const int32_t table_k = f.next();
  const size_t rows = f.size(), width = f.size();
  const int32_t* ids = f.i32(ids_slot, n);
  const float* table = static_cast<const float*>(f.constant(table_k, rows * width));
  float* y = f.f32(out, n * width);
  for (size_t i = 0; i < n; ++i) {
    int64_t id = ids[i];
    if (id < 0) id += static_cast<int64_t>(rows);
    if (id < 0 || id >= static_cast<int64_t>(rows)) {
      throw PlanError("Gather: expected indices in [-" + std::to_string(rows) + ", " + std::to_string(rows - 1) +
                      "], but received " + std::to_string(ids[i]) + " at flat index " + std::to_string(i));
    }
    std::memcpy(y + i * width, table + static_cast<size_t>(id) * width, width * sizeof(float));
  }
}

// A Gemm's operands, read before its matrix is looked up.
struct GemmOperands {
  int32_t out, a_slot;
  size_t M, N, K;
  int32_t matrix, bias_k, bias_kind, alpha_k, beta_k;
};

GemmOperands read_gemm(Frame& f) {
  GemmOperands g;
  g.out = f.next();
  g.a_slot = f.next();
  g.M = f.size();
  g.N = f.size();
  g.K = f.size();
  g.matrix = f.next();
  g.bias_k = f.next();
  g.bias_kind = f.next();
  g.alpha_k = f.next();
  g.beta_k = f.next();
  return g;
}

// C = beta * bias (broadcast as bias_kind says) for the GEMM to add alpha * A * B onto.
void fill_bias(float* C, const float* bias, int32_t bias_kind, float beta, size_t M, size_t N) {
  for (size_t r = 0; r < M; ++r) {
    float* c = C + r * N;
    if (bias_kind == 1) for (size_t j = 0; j < N; ++j) c[j] = beta * bias[j];
    else if (bias_kind == 2) for (size_t j = 0; j < N; ++j) c[j] = beta * bias[r * N + j];
    else std::fill(c, c + N, beta * bias[0]);
  }
}

// panels: the packed right-hand side, K x N as packed.
void exec_gemm(Frame& f, const GemmOperands& g, const float* panels, int K, int N, const std::vector<float>& params,
               const KernelTable& kt, int nt) {
  const size_t M = g.M;
  if (static_cast<size_t>(K) != g.K || static_cast<size_t>(N) != g.N) Frame::bad("a GEMM of other sizes than its matrix");
  const float* A = f.f32(g.a_slot, M * g.K);
  float* C = f.f32(g.out, M * g.N);
  if (g.alpha_k < 0 || g.beta_k < 0 || static_cast<size_t>(std::max(g.alpha_k, g.beta_k)) >= params.size()) Frame::bad("a parameter out of range");
  const float alpha = params[g.alpha_k], beta = params[g.beta_k];
  float gemm_beta = 0.f;
  if (g.bias_kind != 0) {
    const size_t bn = g.bias_kind == 1 ? g.N : g.bias_kind == 2 ? M * g.N : 1;
    fill_bias(C, static_cast<const float*>(f.constant(g.bias_k, bn)), g.bias_kind, beta, M, g.N);
    gemm_beta = 1.f;
  }
  if (M > 0 && g.N > 0) {
    gemm_panels(kt, static_cast<int>(M), static_cast<int>(g.N), static_cast<int>(g.K), alpha, A, g.K, false, panels,
                panel_floats(K), kPanel, gemm_beta, C, g.N, nt);
  }
}

void exec_add_bias(Frame& f) {
  const int32_t out = f.next(), in = f.next();
  const size_t rows = f.size(), N = f.size();
  const float* bias = static_cast<const float*>(f.constant(f.next(), N));
  const float* x = f.f32(in, rows * N);
  float* y = f.f32(out, rows * N);
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < N; ++j) y[r * N + j] = x[r * N + j] + bias[j];
}

void exec_unary(Frame& f) {
  const int32_t out = f.next(), in = f.next();
  const size_t n = f.size();
  const int32_t kind = f.next();
  unary(kind, f.f32(in, n), f.f32(out, n), n);
}

void exec_softmax(Frame& f) {
  const int32_t out = f.next(), in = f.next();
  const size_t rows = f.size(), width = f.size();
  softmax(f.f32(in, rows * width), f.f32(out, rows * width), rows, width);
}

// A rank operand: 1 to kPlanMaxRank.
size_t read_rank(Frame& f) {
  const size_t rank = f.size();
  if (rank < 1 || rank > kPlanMaxRank) Frame::bad("a rank out of range");
  return rank;
}

void exec_transpose(Frame& f) {
  const int32_t out = f.next(), in = f.next();
  const size_t rank = read_rank(f);
  size_t dims[kPlanMaxRank];
  int perm[kPlanMaxRank];
  bool seen[kPlanMaxRank] = {false};
  for (int k = 0; k < kPlanMaxRank; ++k) dims[k] = f.size();
  for (int k = 0; k < kPlanMaxRank; ++k) {
    perm[k] = f.next();
    if (k < static_cast<int>(rank)) {
      if (perm[k] < 0 || perm[k] >= static_cast<int>(rank) || seen[perm[k]]) Frame::bad("a permutation that is not one");
      seen[perm[k]] = true;
    }
  }
  const size_t n = product(dims, static_cast<int>(rank));
  transpose(reinterpret_cast<const uint32_t*>(f.f32(in, n)), reinterpret_cast<uint32_t*>(f.f32(out, n)), static_cast<int>(rank), dims, perm);
}

// Every index the slice reads lies inside the input.
void check_slice(size_t rank, const size_t* in_dims, const int64_t* starts, const int64_t* steps, const size_t* out_dims) {
  for (size_t k = 0; k < rank; ++k) {
    const int64_t last = starts[k] + (static_cast<int64_t>(out_dims[k]) - 1) * steps[k];
    if (out_dims[k] > 0 && (starts[k] < 0 || starts[k] >= static_cast<int64_t>(in_dims[k]) || last < 0 ||
                            last >= static_cast<int64_t>(in_dims[k]))) {
      Frame::bad("a slice outside its input");
    }
  }
}

void exec_slice(Frame& f) {
  const int32_t out = f.next(), in = f.next();
  const size_t rank = read_rank(f);
  size_t in_dims[kPlanMaxRank], out_dims[kPlanMaxRank];
  int64_t starts[kPlanMaxRank], steps[kPlanMaxRank];
  for (int k = 0; k < kPlanMaxRank; ++k) in_dims[k] = f.size();
  for (int k = 0; k < kPlanMaxRank; ++k) starts[k] = f.next();
  for (int k = 0; k < kPlanMaxRank; ++k) steps[k] = f.next();
  for (int k = 0; k < kPlanMaxRank; ++k) out_dims[k] = f.size();
  check_slice(rank, in_dims, starts, steps, out_dims);
  const int r = static_cast<int>(rank);
  const uint32_t* x = reinterpret_cast<const uint32_t*>(f.f32(in, product(in_dims, r)));
  uint32_t* y = reinterpret_cast<uint32_t*>(f.f32(out, product(out_dims, r)));
  slice(x, y, r, in_dims, starts, steps, out_dims);
}

void exec_concat(Frame& f) {
  const int32_t out = f.next();
  const size_t outer = f.size(), parts = f.size();
  std::vector<std::pair<const uint32_t*, size_t>> src;
  size_t row = 0;
  for (size_t p = 0; p < parts; ++p) {
    const int32_t slot = f.next();
    const size_t chunk = f.size();
    src.emplace_back(reinterpret_cast<const uint32_t*>(f.f32(slot, outer * chunk)), chunk);
    row += chunk;
  }
  uint32_t* y = reinterpret_cast<uint32_t*>(f.f32(out, outer * row));
  for (size_t o = 0; o < outer; ++o)
    for (const auto& [x, chunk] : src) {
      std::memcpy(y, x + o * chunk, chunk * 4);
      y += chunk;
    }
}

// A recurrent node's operands, read before the node is looked up.
struct RnnOperands {
  int32_t rnn, x_slot;
  size_t T, B;
  int32_t lens, h0, c0, y, yh, yc;
};

RnnOperands read_rnn(Frame& f) {
  RnnOperands r;
  r.rnn = f.next();
  r.x_slot = f.next();
  r.T = f.size();
  r.B = f.size();
  r.lens = f.next();
  r.h0 = f.next();
  r.c0 = f.next();
  r.y = f.next();
  r.yh = f.next();
  r.yc = f.next();
  return r;
}

// The optional sequence lengths: null when absent, else B values each in [0, T].
const int32_t* read_lens(Frame& f, int32_t slot, size_t T, size_t B) {
  if (slot < 0) return nullptr;
  const int32_t* l = f.i32(slot, B);
  for (size_t b = 0; b < B; ++b) {
    if (l[b] < 0 || static_cast<size_t>(l[b]) > T) {
      throw PlanError("sequence_lens: expected values in [0, " + std::to_string(T) + "], but received " +
                      std::to_string(l[b]) + " at index " + std::to_string(b));
    }
  }
  return l;
}

void exec_rnn(Frame& f, const RnnOperands& r, const PackedRnn& rnn, int nt) {
  const size_t T = r.T, B = r.B;
  // The recurrence needs at least one step and one row (empty ones are the interpreter's).
  if (T == 0 || B == 0 || T > INT32_MAX || B > INT32_MAX) Frame::bad("an empty or oversized recurrence");
  const RnnSpec& s = rnn.spec();
  const size_t D = s.num_dirs, H = s.hidden;
  RnnInputs in;
  in.X = f.f32(r.x_slot, T * B * s.input);
  in.seq_len = static_cast<int>(T);
  in.batch = static_cast<int>(B);
  in.seq_lens = read_lens(f, r.lens, T, B);
  in.initial_h = f.f32_opt(r.h0, D * B * H);
  if (s.cell == Cell::LSTM) in.initial_c = f.f32_opt(r.c0, D * B * H);
  RnnOutputs o;
  o.Y = f.f32_opt(r.y, T * D * B * H);
  o.Y_h = f.f32_opt(r.yh, D * B * H);
  if (s.cell == Cell::LSTM) o.Y_c = f.f32_opt(r.yc, D * B * H);
  // Small recurrences run on the calling thread: handing each step's state between cores
  // costs more than the step (and much more when other jobs hold the cores).
  const double macs = static_cast<double>(T) * B * D * s.gates() * H * (s.input + H);
  rnn.forward(in, o, macs < kPlanSplitMacs ? 1 : nt);
}

void exec_equal_scalar(Frame& f) {
  const int32_t out = f.next(), in = f.next();
  const size_t n = f.size();
  const int32_t v = f.next();
  const int32_t* x = f.i32(in, n);
  int32_t* y = f.i32(out, n);
  for (size_t i = 0; i < n; ++i) y[i] = x[i] == v ? 1 : 0;
}

void exec_where_scalars(Frame& f) {
  const int32_t out = f.next(), cond = f.next();
  const size_t n = f.size();
  const int32_t a = f.next(), b = f.next();
  const int32_t* c = f.i32(cond, n);
  int32_t* y = f.i32(out, n);
  for (size_t i = 0; i < n; ++i) y[i] = c[i] ? a : b;
}

void exec_reduce_sum_int(Frame& f) {
  const int32_t out = f.next(), in = f.next();
  const size_t outer = f.size(), len = f.size(), inner = f.size();
  const int32_t* x = f.i32(in, outer * len * inner);
  int32_t* y = f.i32(out, outer * inner);
  for (size_t o = 0; o < outer; ++o)
    for (size_t j = 0; j < inner; ++j) {
      int64_t s = 0;
      for (size_t l = 0; l < len; ++l) s += x[(o * len + l) * inner + j];
      y[o * inner + j] = static_cast<int32_t>(s);
    }
}

void exec_load(Frame& f) {
  const int32_t out = f.next(), k = f.next();
  const size_t n = f.size();
  std::memcpy(f.f32(out, n), f.constant(k, n), n * 4);
}

// items[k], or the program is refused.
template <typename T>
const T& item(const std::vector<T>& items, int32_t k, const char* what) {
  if (k < 0 || static_cast<size_t>(k) >= items.size()) Frame::bad(what);
  return items[k];
}

}  // namespace

void ExecPlan::run(const int32_t* program, size_t count, const std::vector<float>& params,
                   const std::vector<PlanConst>& consts, uint32_t* arena, size_t arena_words, int threads) const {
  Frame f(program, count, consts, arena, arena_words);
  const int nt = threads > 0 ? threads : threads_;
  const KernelTable& kt = active_kernels();
  while (!f.done()) {
    switch (static_cast<PlanOp>(f.next())) {
      case PlanOp::Gather: exec_gather(f); break;
      case PlanOp::Gemm: {
        const GemmOperands g = read_gemm(f);
        const Packed& m = item(matrices_, g.matrix, "a matrix out of range");
        exec_gemm(f, g, m.panels.get(), m.K, m.N, params, kt, nt);
        break;
      }
      case PlanOp::AddBias: exec_add_bias(f); break;
      case PlanOp::Unary: exec_unary(f); break;
      case PlanOp::Softmax: exec_softmax(f); break;
      case PlanOp::Transpose: exec_transpose(f); break;
      case PlanOp::Slice: exec_slice(f); break;
      case PlanOp::Concat: exec_concat(f); break;
      case PlanOp::Rnn: {
        const RnnOperands r = read_rnn(f);
        exec_rnn(f, r, *item(rnns_, r.rnn, "a recurrent node out of range"), nt);
        break;
      }
      case PlanOp::EqualScalar: exec_equal_scalar(f); break;
      case PlanOp::WhereScalars: exec_where_scalars(f); break;
      case PlanOp::ReduceSumInt: exec_reduce_sum_int(f); break;
      case PlanOp::Load: exec_load(f); break;
      default:
        Frame::bad("an unknown opcode");
    }
  }
}

}  // namespace gatedrnn
