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

}  // namespace

void ExecPlan::run(const int32_t* program, size_t count, const std::vector<float>& params,
                   const std::vector<PlanConst>& consts, uint32_t* arena, size_t arena_words, int threads) const {
  Frame f(program, count, consts, arena, arena_words);
  const int nt = threads > 0 ? threads : threads_;
  const KernelTable& kt = active_kernels();
  while (!f.done()) {
    const auto op = static_cast<PlanOp>(f.next());
    switch (op) {
      case PlanOp::Gather: {
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
        break;
      }
      case PlanOp::Gemm: {
        const int32_t out = f.next(), a_slot = f.next();
        const size_t M = f.size(), N = f.size(), K = f.size();
        const int32_t mk = f.next(), bias_k = f.next(), bias_kind = f.next(), alpha_k = f.next(), beta_k = f.next();
        if (mk < 0 || static_cast<size_t>(mk) >= matrices_.size()) Frame::bad("a matrix out of range");
        const Packed& m = matrices_[mk];
        if (static_cast<size_t>(m.K) != K || static_cast<size_t>(m.N) != N) Frame::bad("a GEMM of other sizes than its matrix");
        const float* A = f.f32(a_slot, M * K);
        float* C = f.f32(out, M * N);
        if (alpha_k < 0 || beta_k < 0 || static_cast<size_t>(std::max(alpha_k, beta_k)) >= params.size()) Frame::bad("a parameter out of range");
        const float alpha = params[alpha_k], beta = params[beta_k];
        float gemm_beta = 0.f;
        if (bias_kind != 0) {
          const size_t bn = bias_kind == 1 ? N : bias_kind == 2 ? M * N : 1;
          const float* bias = static_cast<const float*>(f.constant(bias_k, bn));
          for (size_t r = 0; r < M; ++r) {
            float* c = C + r * N;
            if (bias_kind == 1) for (size_t j = 0; j < N; ++j) c[j] = beta * bias[j];
            else if (bias_kind == 2) for (size_t j = 0; j < N; ++j) c[j] = beta * bias[r * N + j];
            else std::fill(c, c + N, beta * bias[0]);
          }
          gemm_beta = 1.f;
        }
        if (M > 0 && N > 0) {
          gemm_panels(kt, static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha, A, K, m.panels.get(),
                      panel_floats(m.K), gemm_beta, C, N, nt);
        }
        break;
      }
      case PlanOp::AddBias: {
        const int32_t out = f.next(), in = f.next();
        const size_t rows = f.size(), N = f.size();
        const float* bias = static_cast<const float*>(f.constant(f.next(), N));
        const float* x = f.f32(in, rows * N);
        float* y = f.f32(out, rows * N);
        for (size_t r = 0; r < rows; ++r)
          for (size_t j = 0; j < N; ++j) y[r * N + j] = x[r * N + j] + bias[j];
        break;
      }
      case PlanOp::Unary: {
        const int32_t out = f.next(), in = f.next();
        const size_t n = f.size();
        const int32_t kind = f.next();
        unary(kind, f.f32(in, n), f.f32(out, n), n);
        break;
      }
      case PlanOp::Softmax: {
        const int32_t out = f.next(), in = f.next();
        const size_t rows = f.size(), width = f.size();
        softmax(f.f32(in, rows * width), f.f32(out, rows * width), rows, width);
        break;
      }
      case PlanOp::Transpose: {
        const int32_t out = f.next(), in = f.next();
        const size_t rank = f.size();
        if (rank < 1 || rank > kPlanMaxRank) Frame::bad("a rank out of range");
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
        break;
      }
      case PlanOp::Slice: {
        const int32_t out = f.next(), in = f.next();
        const size_t rank = f.size();
        if (rank < 1 || rank > kPlanMaxRank) Frame::bad("a rank out of range");
        size_t in_dims[kPlanMaxRank], out_dims[kPlanMaxRank];
        int64_t starts[kPlanMaxRank], steps[kPlanMaxRank];
        for (int k = 0; k < kPlanMaxRank; ++k) in_dims[k] = f.size();
        for (int k = 0; k < kPlanMaxRank; ++k) starts[k] = f.next();
        for (int k = 0; k < kPlanMaxRank; ++k) steps[k] = f.next();
        for (int k = 0; k < kPlanMaxRank; ++k) out_dims[k] = f.size();
        for (size_t k = 0; k < rank; ++k) {
          // Every index the slice reads lies inside the input.
          const int64_t last = starts[k] + (static_cast<int64_t>(out_dims[k]) - 1) * steps[k];
          if (out_dims[k] > 0 && (starts[k] < 0 || starts[k] >= static_cast<int64_t>(in_dims[k]) || last < 0 ||
                                  last >= static_cast<int64_t>(in_dims[k]))) {
            Frame::bad("a slice outside its input");
          }
        }
        const int r = static_cast<int>(rank);
        const uint32_t* x = reinterpret_cast<const uint32_t*>(f.f32(in, product(in_dims, r)));
        uint32_t* y = reinterpret_cast<uint32_t*>(f.f32(out, product(out_dims, r)));
        slice(x, y, r, in_dims, starts, steps, out_dims);
        break;
      }
      case PlanOp::Concat: {
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
        break;
      }
      case PlanOp::Rnn: {
        const int32_t k = f.next(), x_slot = f.next();
        const size_t T = f.size(), B = f.size();
        const int32_t lens = f.next(), h0 = f.next(), c0 = f.next(), y = f.next(), yh = f.next(), yc = f.next();
        if (k < 0 || static_cast<size_t>(k) >= rnns_.size()) Frame::bad("a recurrent node out of range");
        // The recurrence needs at least one step and one row (empty ones are the interpreter's).
        if (T == 0 || B == 0 || T > INT32_MAX || B > INT32_MAX) Frame::bad("an empty or oversized recurrence");
        const PackedRnn& rnn = *rnns_[k];
        const RnnSpec& s = rnn.spec();
        const size_t D = s.num_dirs, H = s.hidden;
        RnnInputs in;
        in.X = f.f32(x_slot, T * B * s.input);
        in.seq_len = static_cast<int>(T);
        in.batch = static_cast<int>(B);
        if (lens >= 0) {
          const int32_t* l = f.i32(lens, B);
          for (size_t b = 0; b < B; ++b) {
            if (l[b] < 0 || static_cast<size_t>(l[b]) > T) {
              throw PlanError("sequence_lens: expected values in [0, " + std::to_string(T) + "], but received " +
                              std::to_string(l[b]) + " at index " + std::to_string(b));
            }
          }
          in.seq_lens = l;
        }
        in.initial_h = f.f32_opt(h0, D * B * H);
        if (s.cell == Cell::LSTM) in.initial_c = f.f32_opt(c0, D * B * H);
        RnnOutputs o;
        o.Y = f.f32_opt(y, T * D * B * H);
        o.Y_h = f.f32_opt(yh, D * B * H);
        if (s.cell == Cell::LSTM) o.Y_c = f.f32_opt(yc, D * B * H);
        // Small recurrences run on the calling thread: handing each step's state between cores
        // costs more than the step (and much more when other jobs hold the cores).
        const double macs = static_cast<double>(T) * B * D * s.gates() * H * (s.input + H);
        rnn.forward(in, o, macs < kPlanSplitMacs ? 1 : nt);
        break;
      }
      case PlanOp::EqualScalar: {
        const int32_t out = f.next(), in = f.next();
        const size_t n = f.size();
        const int32_t v = f.next();
        const int32_t* x = f.i32(in, n);
        int32_t* y = f.i32(out, n);
        for (size_t i = 0; i < n; ++i) y[i] = x[i] == v ? 1 : 0;
        break;
      }
      case PlanOp::WhereScalars: {
        const int32_t out = f.next(), cond = f.next();
        const size_t n = f.size();
        const int32_t a = f.next(), b = f.next();
        const int32_t* c = f.i32(cond, n);
        int32_t* y = f.i32(out, n);
        for (size_t i = 0; i < n; ++i) y[i] = c[i] ? a : b;
        break;
      }
      case PlanOp::ReduceSumInt: {
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
        break;
      }
      case PlanOp::Load: {
        const int32_t out = f.next(), k = f.next();
        const size_t n = f.size();
        std::memcpy(f.f32(out, n), f.constant(k, n), n * 4);
        break;
      }
      default:
        Frame::bad("an unknown opcode");
    }
  }
}

}  // namespace gatedrnn
