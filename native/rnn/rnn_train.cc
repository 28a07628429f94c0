#include "rnn_train.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "../cpu/isa.h"
#include "../cpu/kernels.h"
#include "../cpu/parallel.h"
#include "../cpu/sgemm.h"
#include "../cpu/train_kernels.h"
#include "rnn_forward.h"
#include "schedule.h"

namespace gatedrnn {

namespace {

// Runs fn(tid, nt) on the pool, or inline when one thread is enough.
template <typename Fn>
void run_parallel(int n, Fn fn) {
  if (n <= 1) {
    fn(0, 1);
  } else {
    parallel_run(n, fn);
  }
}

// Where a saved row keeps what (floats from the row's start; hp = padded hidden size).
struct RowLayout {
  size_t gates = 0, extra, hprev, cprev, floats;
  RowLayout(const RnnSpec& s, int hp) {
    const size_t h = static_cast<size_t>(hp);
    if (s.cell == Cell::RNN) {
      // The one gate (H(t) itself) and H(t-1); `extra` and `cprev` are never read or written.
      extra = cprev = 0;
      hprev = h;
      floats = 2 * h;
      return;
    }
    extra = 3 * h;  // GRU only
    hprev = 4 * h;  // GRU: 3 gates + extra; LSTM: 4 gates
    cprev = 5 * h;  // LSTM only
    floats = s.cell == Cell::LSTM ? 6 * h : 5 * h;
  }
};

// Gradient slots (see train_kernels.h). GRU: h z r, and for linear_before_reset r ⊙ dâ_h, the
// recurrent side of h; LSTM: i o f c; RNN: its one gate. The input side (dW, dX, Wb) reads slots [0, G); the
// recurrent side (dR, dH(t-1), Rb) the slots rslot names.
struct Slots {
  int count;     // slots per row
  int xslot[4];  // slot of gate g on the input side
  int rslot[4];  // slot of gate g on the recurrent side
  explicit Slots(const RnnSpec& s) {
    if (s.cell != Cell::GRU) {
      count = s.gates();
      for (int g = 0; g < 4; ++g) xslot[g] = rslot[g] = g < count ? g : -1;
    } else {
      count = s.linear_before_reset ? 4 : 3;
      const int x[3] = {1, 2, 0};
      for (int g = 0; g < 3; ++g) xslot[g] = rslot[g] = x[g];
      if (s.linear_before_reset) rslot[2] = 3;
      xslot[3] = rslot[3] = -1;
    }
  }
};

using schedule::Carver;
using schedule::Groups;
using schedule::Sequences;

// X in step order for direction d, for the weight gradient: row step * B + b holds X at
// (time(step, b), b), zeros past a sequence's end. X itself when it already is in that order
// (forward direction, layout 0, no sequence shorter than the longest); otherwise gathered into xs
// (max_len * B * I floats).
const float* gather_x(const RnnSpec& s, const RnnInputs& in, const Sequences& q, int d, float* xs) {
  const bool rev = s.dir_reversed(d);
  if (!rev && s.layout == 0 && q.min_len == q.max_len) return in.X;
  const int B = in.batch, I = s.input;
  for (int step = 0; step < q.max_len; ++step)
    for (int b = 0; b < B; ++b) {
      float* dst = xs + (static_cast<size_t>(step) * B + b) * I;
      if (step < q.lens[b]) {
        std::memcpy(dst, in.X + x_row(s, in.seq_len, B, q.time(rev, step, b), b) * I, sizeof(float) * I);
      } else {
        std::memset(dst, 0, sizeof(float) * I);
      }
    }
  return xs;
}

// Gate g of a [G*H, K] matrix as row-major [hp, K] rows (zeros past H), appended at dst.
void copy_gate_rows(const float* M, int g, int H, int hp, int K, float* dst) {
  std::memcpy(dst, M + static_cast<size_t>(g) * H * K, sizeof(float) * H * K);
  std::memset(dst + static_cast<size_t>(H) * K, 0, sizeof(float) * (hp - H) * K);
}

// What one forward call shares between its threads: sizes, the packed weights and the states.
struct FwdCall {
  const RnnSpec& s;
  const RnnInputs& in;
  const RnnOutputs& out;
  float* saved;
  const KernelTable& kt;
  const TrainKernels& tk;
  const int T, B, H, I, G, D, hp, blocks;
  const RowLayout L;
  const size_t RS, state;
  const Sequences q;
  const bool lbr, gru, lstm;
  const Groups grp;
  // Per direction: W as panels (panel g * blocks + blk: units blk*16.. of gate g); R with the
  // gates of a block interleaved k by k (element (k, g, lane) of block blk at
  // (blk * H + k) * G * 16 + g * 16 + lane), so a step's product reads one stream per block; the
  // biases gate-major [G][hp] and the reset-after GRU's Rbh.
  const size_t wpf, rpf, n_wp, n_rp, n_bias, n_st, n_xs;
  float *wp = nullptr, *rp = nullptr, *bias = nullptr, *st = nullptr, *xs = nullptr;
  // X of each direction by step: row (step, b) at xsrc[d] + step * step_stride[d] + b *
  // batch_stride[d]. X itself in the forward direction (its rows as x_row places them), else
  // gathered in step order.
  const float* xsrc[2] = {nullptr, nullptr};
  size_t step_stride[2] = {0, 0}, batch_stride[2] = {0, 0};
  // Steps per chunk of the input projection: enough rows that each W panel serves many, few
  // enough that the chunk's gates are still in cache when its steps run.
  const int chunk;

  FwdCall(const RnnSpec& spec, int hp_, int blocks_, size_t row_floats, const RnnInputs& in_, const RnnOutputs& out_,
          float* saved_, int threads)
      : s(spec), in(in_), out(out_), saved(saved_), kt(active_kernels()), tk(active_train_kernels()), T(in.seq_len),
        B(in.batch), H(s.hidden), I(s.input), G(s.gates()), D(s.num_dirs), hp(hp_), blocks(blocks_), L(s, hp),
        RS(row_floats), state(static_cast<size_t>(B) * hp), q(in), lbr(s.linear_before_reset),
        gru(s.cell == Cell::GRU), lstm(s.cell == Cell::LSTM),
        grp(threads, D, static_cast<double>(B) * G * H * (H + I), blocks), wpf(panel_floats(I)), rpf(panel_floats(H)),
        n_wp(static_cast<size_t>(D) * G * blocks * wpf), n_rp(static_cast<size_t>(D) * G * blocks * rpf),
        n_bias(static_cast<size_t>(D) * (G + 1) * hp), n_st(static_cast<size_t>(D) * 4 * state),
        n_xs(static_cast<size_t>(D) * q.max_len * B * I), chunk(std::max(1, (kChunkRows + B - 1) / B)) {}

  // The workspace's pieces in order: their floats, and with ws, each piece's start in it.
  size_t lay_out(float* ws) {
    return Carver::lay_out(ws, {{&wp, n_wp}, {&rp, n_rp}, {&bias, n_bias}, {&st, n_st}, {&xs, n_xs}});
  }

  void carve(float* ws) {
    lay_out(ws);
    std::memset(bias, 0, sizeof(float) * n_bias);
    std::memset(st, 0, sizeof(float) * n_st);
  }

  void pack(const RnnWeights& w) {
    for (int d = 0; d < D; ++d)
      for (int g = 0; g < G; ++g) {
        const size_t p = static_cast<size_t>(d * G + g) * blocks;
        pack_panels_part(true, I, H, w.W + (static_cast<size_t>(d) * G + g) * H * I, I, wp + p * wpf, 0, 1);
        for (int blk = 0; blk < blocks; ++blk)
          for (int lane = 0; lane < kPanel; ++lane) {
            const int unit = blk * kPanel + lane;
            const float* src = w.R + ((static_cast<size_t>(d) * G + g) * H + unit) * H;
            float* dst = rp + (static_cast<size_t>(d) * blocks + blk) * G * rpf + g * kPanel + lane;
            for (int k = 0; k < H; ++k) dst[static_cast<size_t>(k) * G * kPanel] = unit < H ? src[k] : 0.f;
          }
        if (!w.B) continue;
        const float* Wb = w.B + static_cast<size_t>(d) * 2 * G * H + g * H;
        const float* Rb = Wb + static_cast<size_t>(G) * H;
        float* b = bias + static_cast<size_t>(d) * (G + 1) * hp;
        // In a reset-after GRU, Rbh sits inside r ⊙ (...): it cannot join Wbh.
        const bool separate = gru && lbr && g == 2;
        for (int u = 0; u < H; ++u) {
          b[g * hp + u] = Wb[u] + (separate ? 0.f : Rb[u]);
          if (separate) b[G * hp + u] = Rb[u];
        }
      }
    for (int d = 0; d < D; ++d) {
      const bool direct = !s.dir_reversed(d);
      xsrc[d] = direct ? in.X : gather_x(s, in, q, d, xs + static_cast<size_t>(d) * q.max_len * B * I);
      step_stride[d] = (direct ? x_row(s, T, B, 1, 0) : static_cast<size_t>(B)) * I;
      batch_stride[d] = (direct ? x_row(s, T, B, 0, 1) : 1) * I;
    }
  }

  // States (st): per direction two H buffers (read one, write the other each step), C, r ⊙ H.
  // Saved rows past a sequence's end are zeroed here: the weight gradients read their H(t-1) (and
  // the GRU's extra term) as zeros. Their gates may take the projection of whatever X holds there;
  // nothing reads those. The pass writes every float of the other rows.
  void init_states() {
    for (int d = 0; d < D; ++d)
      for (int b = 0; b < B; ++b) {
        float* sd = saved + static_cast<size_t>(d) * T * B * RS;
        for (int t = q.lens[b]; t < T; ++t) std::memset(sd + (static_cast<size_t>(t) * B + b) * RS, 0, sizeof(float) * RS);
        const size_t off = static_cast<size_t>(d) * 4 * state + static_cast<size_t>(b) * hp;
        if (in.initial_h) std::memcpy(st + off, in.initial_h + state_offset(s, B, d, b), sizeof(float) * H);
        if (in.initial_c && lstm)
          std::memcpy(st + off + 2 * state, in.initial_c + state_offset(s, B, d, b), sizeof(float) * H);
        if (out.Y)
          for (int t = q.lens[b]; t < T; ++t) std::memset(out.Y + y_offset(s, T, B, t, d, b), 0, sizeof(float) * H);
      }
  }

  void final_states() const {
    for (int d = 0; d < D; ++d)
      for (int b = 0; b < B; ++b) {
        const size_t off = static_cast<size_t>(d) * 4 * state + static_cast<size_t>(b) * hp;
        const float* hlast = st + off + static_cast<size_t>(q.max_len & 1) * state;
        if (out.Y_h) std::memcpy(out.Y_h + state_offset(s, B, d, b), hlast, sizeof(float) * H);
        if (out.Y_c && lstm) std::memcpy(out.Y_c + state_offset(s, B, d, b), st + off + 2 * state, sizeof(float) * H);
      }
  }
};

// One thread's part in one direction of a forward call: shares of steps, each its recurrent GEMM
// tiles and the fused epilogue, and at a chunk's first step the chunk's input projection.
class FwdDir {
 public:
  FwdDir(const FwdCall& c, int d, int shares, const float** w_panels)
      : c_(c), d_(d), shares_(shares), rev_(c.s.dir_reversed(d)), by_rows_(split_by_rows(shares, c.B)),
        hb_{c.st + static_cast<size_t>(d) * 4 * c.state, c.st + (static_cast<size_t>(d) * 4 + 1) * c.state},
        cb_(c.st + (static_cast<size_t>(d) * 4 + 2) * c.state), rhb_(c.st + (static_cast<size_t>(d) * 4 + 3) * c.state),
        sd_(c.saved + static_cast<size_t>(d) * c.T * c.B * c.RS),
        rpd_(c.rp + static_cast<size_t>(d) * c.G * c.blocks * c.rpf),
        bd_(c.bias + static_cast<size_t>(d) * (c.G + 1) * c.hp), w_panels_(w_panels) {}

  // Every step; run_phase(work) runs work(share) for every share of one phase.
  template <typename RunPhase>
  void run(RunPhase&& run_phase) {
    const TrainKernels& tk = c_.tk;
    auto sequence = [&](auto&& each_phase) {
      for (int step = 0; step < c_.q.max_len; ++step) {
        const float* hprev = hb_[step & 1];
        // A step's first phase; at a chunk's first step it begins with the projection.
        auto step_phase = [&](int ng, void (*epilogue)(const TrainFwdArgs&)) {
          each_phase([&](int m) {
            if (step % c_.chunk == 0) project(m, step, std::min(c_.chunk, c_.q.max_len - step));
            phase(m, step, hprev, 0, ng, epilogue);
          });
        };
        if (c_.lstm) {
          step_phase(4, tk.lstm_fwd);
        } else if (!c_.gru) {
          step_phase(1, tk.rnn_fwd);
        } else if (c_.lbr) {
          step_phase(3, tk.gru_lbr_fwd);
        } else {
          step_phase(2, tk.gru_zr_fwd);
          // Phase 2 reads r ⊙ H(t-1) of every hidden unit.
          each_phase([&](int m) { phase(m, step, rhb_, 2, 1, tk.gru_h_fwd); });
        }
      }
    };
    run_sequence(by_rows_, run_phase, sequence);
  }

 private:
  // Shares split the hidden blocks, or the batch rows when each member can have a full tile of
  // them (split_by_rows, as in the inference pass).
  ShareRange share_of(int m) const { return ShareRange(by_rows_, shares_, m, c_.blocks, c_.B); }

  // The saved-row pointers of batch row b at `step` for the tile starting at unit u0; false (and
  // H carried over unchanged, in the first phase) past the row's sequence end.
  bool fill_row(TrainFwdRow& r, int step, int b, int u0, int nb, int g0, const float* tile_row) {
    const size_t off = static_cast<size_t>(b) * c_.hp + u0;
    const float* hprev = hb_[step & 1];
    float* hnext = hb_[(step + 1) & 1];
    if (step >= c_.q.lens[b]) {
      if (g0 == 0) std::memcpy(hnext + off, hprev + off, sizeof(float) * nb * kPanel);
      return false;
    }
    const RowLayout& L = c_.L;
    float* row = sd_ + (static_cast<size_t>(step) * c_.B + b) * c_.RS;
    r.acc = tile_row;
    r.gates = row + L.gates + u0;
    r.extra = row + L.extra + u0;
    r.hsave = row + L.hprev + u0;
    r.csave = row + L.cprev + u0;
    r.hprev = hprev + off;
    r.hnext = hnext + off;
    r.c = cb_ + off;
    r.rh = rhb_ + off;
    r.y = c_.out.Y ? c_.out.Y + y_offset(c_.s, c_.T, c_.B, c_.q.time(rev_, step, b), d_, b) + u0 : nullptr;
    return true;
  }

  // Share m of a step: gates [g0, g0 + ng) of R times A ([B, hp]: H(t-1), or r ⊙ H(t-1) in
  // phase 2) for the share's blocks and rows, then the epilogue.
  void phase(int m, int step, const float* A, int g0, int ng, void (*epilogue)(const TrainFwdArgs&)) {
    const auto [k0, k1, rb0, rb1] = share_of(m);
    const int G = c_.G, hp = c_.hp;
    for (int c0 = k0; c0 < k1; c0 += kTileBlocks) {
      const int nb = std::min(kTileBlocks, k1 - c0);
      for (int j = 0; j < nb; ++j)
        for (int g = 0; g < ng; ++g) panels_[j * ng + g] = rpd_ + (static_cast<size_t>(c0 + j) * G * c_.rpf) + (g0 + g) * kPanel;
      const size_t ldc = static_cast<size_t>(ng) * nb * kPanel;
      const int u0 = c0 * kPanel, width = std::min(nb * kPanel, c_.H - u0);
      for (int b0 = rb0; b0 < rb1; b0 += kTileRows) {
        const int mr = std::min(kTileRows, rb1 - b0);
        c_.kt.gemm(c_.H, A + static_cast<size_t>(b0) * hp, hp, mr, panels_, static_cast<size_t>(G) * kPanel, ng * nb, tile_,
                   ldc);
        int nrows = 0;
        for (int i = 0; i < mr; ++i)
          if (fill_row(rows_[nrows], step, b0 + i, u0, nb, g0, tile_ + i * ldc)) ++nrows;
        if (nrows == 0) continue;
        TrainFwdArgs e;
        e.rows = rows_;
        e.nrows = nrows;
        e.nblocks = nb;
        e.width = width;
        e.hp = hp;
        e.acc_bstride = ng * kPanel;
        e.bias = bd_ + u0;
        e.rbh = bd_ + static_cast<size_t>(G) * hp + u0;
        epilogue(e);
      }
    }
  }

  // The input projection of steps [c0, c0 + cs) for share m's blocks and rows only (so only the
  // exchange of H between steps needs the phases), straight into the saved rows' gates.
  void project(int m, int c0, int cs) {
    const auto [k0, k1, rb0, rb1] = share_of(m);
    const int B = c_.B, I = c_.I;
    const size_t xs = c_.step_stride[d_], xr = c_.batch_stride[d_];
    for (int g = 0; g < c_.G; ++g) {
      for (int blk = k0; blk < k1; ++blk)
        w_panels_[blk - k0] = c_.wp + ((static_cast<size_t>(d_) * c_.G + g) * c_.blocks + blk) * c_.wpf;
      // All rows of step-major X: the chunk's rows are contiguous, one call; otherwise one per step.
      const bool one_call = rb1 - rb0 == B && xs == B * xr;
      for (int si = 0; si < (one_call ? 1 : cs); ++si) {
        const size_t r0 = static_cast<size_t>(c0 + si) * B + rb0;
        c_.kt.gemm(I, c_.xsrc[d_] + (c0 + si) * xs + rb0 * xr, xr, one_call ? cs * B : rb1 - rb0, w_panels_, kPanel,
                   k1 - k0, sd_ + r0 * c_.RS + c_.L.gates + g * c_.hp + k0 * kPanel, c_.RS);
      }
    }
  }

  const FwdCall& c_;
  const int d_, shares_;
  const bool rev_, by_rows_;
  float* hb_[2];
  float* cb_;
  float* rhb_;
  float* sd_;
  const float* rpd_;
  const float* bd_;
  const float** w_panels_;
  alignas(64) float tile_[kTileRows * 4 * kTileBlocks * kPanel];
  const float* panels_[4 * kTileBlocks];
  TrainFwdRow rows_[kTileRows];
};

// What one backward call shares between its threads: sizes, the packed weights, the gradient rows
// and the carried state gradients.
struct BwdCall {
  const RnnSpec& s;
  const RnnInputs& in;
  const float* saved;
  const TrainGradInputs& gin;
  const TrainGradOutputs& gout;
  const KernelTable& kt;
  const TrainKernels& tk;
  const int T, B, H, I, G, D, hp, blocks;
  const RowLayout L;
  const Slots sl;
  const int NS;
  const size_t RS, ldg, state;
  const Sequences q;
  const bool lbr, gru, lstm, two_phase;
  const Groups grp;
  const int rows_used;
  const size_t prows;  // rows of the gradient (at least 1)
  // The recurrent side's matrices for dH(t-1) = dG·R': rows in slot order, as panels over the H
  // output units. Main: the slots after the first (GRU: z r [r ⊙ dâ_h]) or all (LSTM, RNN); the
  // reset-before GRU also has Rh alone (slot 0) for its phase 2.
  const int r_first, r_slots;
  const size_t kr, pf_r, pf_h, kx, pf_x;
  const size_t n_rmain, n_rh, n_wx, n_dg, n_carry, n_colsum, n_ones, n_ct, n_dxs, n_xs, n_rows;
  // R' for dH(t-1) (and Rh alone for the reset-before GRU's phase 2), W' for dX = dG·W'.
  float *rmain = nullptr, *rh_only = nullptr, *wx = nullptr;
  // Gradient rows (step-major, [slot][hp] each): the A of dH(t-1) and dX, the panels (16 columns
  // each, row stride ldg) of dW and dR. Rows of padded steps are zeros.
  float* dg = nullptr;
  // Carried dL/dH and dL/dC per direction; the per-slot column sums, as onesᵀ·dG.
  float *carry = nullptr, *colsum = nullptr, *ones = nullptr;
  // Scratch of the big GEMMs; the gate rows of R and W in slot order, copied before packing.
  float *ct = nullptr, *dxs = nullptr, *xs = nullptr, *gate_rows = nullptr;

  BwdCall(const RnnSpec& spec, int hp_, int blocks_, size_t row_floats, const RnnInputs& in_, const float* saved_,
          const TrainGradInputs& gin_, const TrainGradOutputs& gout_, int threads)
      : s(spec), in(in_), saved(saved_), gin(gin_), gout(gout_), kt(active_kernels()), tk(active_train_kernels()),
        T(in.seq_len), B(in.batch), H(s.hidden), I(s.input), G(s.gates()), D(s.num_dirs), hp(hp_), blocks(blocks_),
        L(s, hp), sl(s), NS(sl.count), RS(row_floats), ldg(static_cast<size_t>(NS) * hp),
        state(static_cast<size_t>(B) * hp), q(in), lbr(s.linear_before_reset), gru(s.cell == Cell::GRU),
        lstm(s.cell == Cell::LSTM), two_phase(gru && !lbr),
        grp(threads, D, static_cast<double>(B) * G * H * (H + I), blocks), rows_used(q.max_len * B),
        prows(std::max(1, rows_used)), r_first(gru ? 1 : 0), r_slots(NS - r_first),
        kr(static_cast<size_t>(r_slots) * hp), pf_r(panel_floats(static_cast<int>(kr))), pf_h(panel_floats(hp)),
        kx(static_cast<size_t>(G) * hp), pf_x(panel_floats(static_cast<int>(kx))),
        n_rmain(static_cast<size_t>(D) * blocks * pf_r), n_rh(two_phase ? static_cast<size_t>(D) * blocks * pf_h : 0),
        n_wx(static_cast<size_t>(D) * panel_count(I) * pf_x), n_dg(static_cast<size_t>(D) * prows * ldg),
        n_carry(static_cast<size_t>(D) * 2 * state),
        n_colsum(static_cast<size_t>(D) * NS * hp), n_ones(prows),
        n_ct(static_cast<size_t>(std::max(I, H)) * ldg), n_dxs(prows * I), n_xs(prows * I),
        n_rows(std::max(kr, kx) * std::max(H, I)) {}

  // The workspace's pieces in order: their floats, and with ws, each piece's start in it.
  size_t lay_out(float* ws) {
    return Carver::lay_out(ws, {{&rmain, n_rmain}, {&rh_only, n_rh}, {&wx, n_wx}, {&dg, n_dg},
                                {&carry, n_carry}, {&colsum, n_colsum}, {&ones, n_ones}, {&ct, n_ct}, {&dxs, n_dxs},
                                {&xs, n_xs}, {&gate_rows, n_rows}});
  }

  void carve(float* ws) {
    lay_out(ws);
    std::memset(carry, 0, sizeof(float) * n_carry);
    std::fill(ones, ones + n_ones, 1.f);
    for (int step = 0; step < q.max_len; ++step)
      for (int b = 0; b < B; ++b) {
        if (step < q.lens[b]) continue;
        const size_t k = static_cast<size_t>(step) * B + b;
        for (int d = 0; d < D; ++d) std::memset(dg + (d * prows + k) * ldg, 0, sizeof(float) * ldg);
      }
  }

  // R' (and Rh) and W' in slot order, packed; the carries seeded with dY_h and dY_c.
  void pack(const RnnWeights& w) {
    for (int d = 0; d < D; ++d) {
      const float* Wd = w.W + static_cast<size_t>(d) * G * H * I;
      const float* Rd = w.R + static_cast<size_t>(d) * G * H * H;
      auto gate_of = [&](const int* map, int slot) {
        for (int g = 0; g < G; ++g)
          if (map[g] == slot) return g;
        return -1;
      };
      for (int sidx = 0; sidx < r_slots; ++sidx)
        copy_gate_rows(Rd, gate_of(sl.rslot, r_first + sidx), H, hp, H, gate_rows + static_cast<size_t>(sidx) * hp * H);
      pack_panels_part(false, static_cast<int>(kr), H, gate_rows, H, rmain + static_cast<size_t>(d) * blocks * pf_r, 0, 1);
      if (two_phase) {
        copy_gate_rows(Rd, 2, H, hp, H, gate_rows);
        pack_panels_part(false, hp, H, gate_rows, H, rh_only + static_cast<size_t>(d) * blocks * pf_h, 0, 1);
      }
      for (int sidx = 0; sidx < G; ++sidx)
        copy_gate_rows(Wd, gate_of(sl.xslot, sidx), H, hp, I, gate_rows + static_cast<size_t>(sidx) * hp * I);
      pack_panels_part(false, static_cast<int>(kx), I, gate_rows, I, wx + static_cast<size_t>(d) * panel_count(I) * pf_x, 0,
                       1);
    }
    for (int d = 0; d < D; ++d)
      for (int b = 0; b < B; ++b) {
        float* dh = carry + static_cast<size_t>(d) * 2 * state + static_cast<size_t>(b) * hp;
        if (gin.dY_h) std::memcpy(dh, gin.dY_h + state_offset(s, B, d, b), sizeof(float) * H);
        if (gin.dY_c && lstm) std::memcpy(dh + state, gin.dY_c + state_offset(s, B, d, b), sizeof(float) * H);
      }
  }

  // dst[(g * H + u) * K + k] = C'[k * ldc + (slot(g) - first) * hp + u] for the gates whose slot is
  // in [first, first + count): C' = Aᵀ·dG over those slots, A being X or H(t-1) ([rows, K], zeros in
  // the rows past a sequence's end, as dG has).
  void weight_grad(int d, const float* A, size_t lda, int K, int first, int count, const int* slot_of, float* dst) const {
    const size_t ldc = static_cast<size_t>(count) * hp;
    gemm_panels(kt, K, static_cast<int>(ldc), rows_used, 1.f, A, lda, true,
                dg + static_cast<size_t>(d) * prows * ldg + static_cast<size_t>(first) * hp, kPanel, ldg, 0.f, ct, ldc,
                grp.n);
    for (int g = 0; g < G; ++g) {
      const int sidx = slot_of[g] - first;
      if (sidx < 0 || sidx >= count) continue;
      transpose(K, H, ct + static_cast<size_t>(sidx) * hp, ldc, dst + static_cast<size_t>(g) * H * K, K);
    }
  }

  // dX = dG·W' over all steps. The forward direction writes dX itself, rows past the longest
  // sequence as zeros (dG is zero past each sequence's end): layout 0, one product over the
  // step-major rows; layout 1, a product per step. A reversed direction goes through a
  // step-ordered buffer, added at each row's timestep.
  void input_grad(int d) const {
    const int n = grp.n;
    const float* dgd = dg + static_cast<size_t>(d) * prows * ldg;
    const float* wxd = wx + static_cast<size_t>(d) * panel_count(I) * pf_x;
    const size_t TB = static_cast<size_t>(T) * B;
    if (d == 0 && !s.dir_reversed(d)) {
      if (s.layout == 0) {
        gemm_panels(kt, rows_used, I, static_cast<int>(kx), 1.f, dgd, ldg, false, wxd, pf_x, kPanel, 0.f, gout.dX, I, n);
      } else {
        run_parallel(n, [&](int tid, int nt) {
          int s0, s1;
          split_range(q.max_len, nt, tid, s0, s1);
          for (int step = s0; step < s1; ++step)
            gemm_panels_part(kt, B, I, static_cast<int>(kx), 1.f, dgd + static_cast<size_t>(step) * B * ldg, ldg, false,
                             wxd, pf_x, kPanel, 0.f, gout.dX + x_row(s, T, B, step, 0) * I, x_row(s, T, B, 0, 1) * I, 0, 1);
        });
      }
      for (int t = q.max_len; t < T; ++t)
        for (int b = 0; b < B; ++b) std::memset(gout.dX + x_row(s, T, B, t, b) * I, 0, sizeof(float) * I);
      return;
    }
    if (d == 0) std::memset(gout.dX, 0, sizeof(float) * TB * I);
    gemm_panels(kt, rows_used, I, static_cast<int>(kx), 1.f, dgd, ldg, false, wxd, pf_x, kPanel, 0.f, dxs, I, n);
    for (int step = 0; step < q.max_len; ++step)
      for (int b = 0; b < B; ++b) {
        if (step >= q.lens[b]) continue;
        float* dst = gout.dX + x_row(s, T, B, q.time(s.dir_reversed(d), step, b), b) * I;
        const float* src = dxs + (static_cast<size_t>(step) * B + b) * I;
        for (int i = 0; i < I; ++i) dst[i] += src[i];
      }
  }

  // The big GEMMs over all steps at once (dX, dW, dR), the biases and the initial states' gradients.
  void finish(int d) const {
    const float* sd = saved + static_cast<size_t>(d) * T * B * RS;
    input_grad(d);
    // dW = dGᵀ·X and dR = dGᵀ·H(t-1) (the reset-before GRU's h gate: dGᵀ·(r ⊙ H(t-1))).
    weight_grad(d, gather_x(s, in, q, d, xs), I, I, 0, G, sl.xslot, gout.dW + static_cast<size_t>(d) * G * H * I);
    float* dRd = gout.dR + static_cast<size_t>(d) * G * H * H;
    if (two_phase) {
      weight_grad(d, sd + L.hprev, RS, H, 1, 2, sl.rslot, dRd);
      weight_grad(d, sd + L.extra, RS, H, 0, 1, sl.rslot, dRd);
    } else {
      weight_grad(d, sd + L.hprev, RS, H, r_first, r_slots, sl.rslot, dRd);
    }
    // Biases: per-unit sums of the slots over every row, in the same order on any thread count;
    // states: what is left in the carries.
    float* cs = colsum + static_cast<size_t>(d) * NS * hp;
    gemm_panels(kt, 1, static_cast<int>(ldg), rows_used, 1.f, ones, 1, true, dg + static_cast<size_t>(d) * prows * ldg,
                kPanel, ldg, 0.f, cs, ldg, grp.n);
    float* dWb = gout.dB + static_cast<size_t>(d) * 2 * G * H;
    for (int g = 0; g < G; ++g)
      for (int u = 0; u < H; ++u) {
        dWb[g * H + u] = cs[static_cast<size_t>(sl.xslot[g]) * hp + u];
        dWb[(G + g) * H + u] = cs[static_cast<size_t>(sl.rslot[g]) * hp + u];
      }
    for (int b = 0; b < B; ++b) {
      const float* dh = carry + static_cast<size_t>(d) * 2 * state + static_cast<size_t>(b) * hp;
      std::memcpy(gout.dH0 + state_offset(s, B, d, b), dh, sizeof(float) * H);
      if (gout.dC0 && lstm) std::memcpy(gout.dC0 + state_offset(s, B, d, b), dh + state, sizeof(float) * H);
    }
  }
};

// One thread's part in one direction of a backward call: per step (reverse time) the gate-gradient
// epilogue and dL/dH(t-1) += dG·R', in shares of the batch rows (split_by_rows: no share reads
// another's rows, so each runs its whole sequence at once) or of the hidden blocks (a phase per
// step).
class BwdDir {
 public:
  BwdDir(const BwdCall& c, int d, int shares, TrainBwdRow* rows)
      : c_(c), d_(d), shares_(shares), rev_(c.s.dir_reversed(d)), by_rows_(split_by_rows(shares, c.B)), rows_(rows),
        sd_(c.saved + static_cast<size_t>(d) * c.T * c.B * c.RS), dgd_(c.dg + static_cast<size_t>(d) * c.prows * c.ldg),
        dhc_(c.carry + static_cast<size_t>(d) * 2 * c.state), dcc_(dhc_ + c.state) {}

  // A phase per step (two for the reset-before GRU). dG(step + 1) · R' joins the same phase as
  // the step's epilogue: both touch only the share's units and rows, and dG(step + 1) of every
  // unit of those rows was done in the phase before.
  template <typename RunPhase>
  void run(RunPhase&& run_phase) {
    const int max_len = c_.q.max_len;
    auto sequence = [&](auto&& each_phase) {
      for (int step = max_len - 1; step >= 0; --step) {
        each_phase([&](int m) {
          if (step + 1 < max_len) carry_back(m, step + 1);
          gates_back(m, step);
        });
        if (c_.two_phase) each_phase([&](int m) { reset_back(m, step); });
      }
      if (max_len > 0) each_phase([&](int m) { carry_back(m, 0); });
    };
    run_sequence(by_rows_, run_phase, sequence);
  }

 private:
  ShareRange share_of(int m) const { return ShareRange(by_rows_, shares_, m, c_.blocks, c_.B); }

  // For share m's blocks and rows: A[rows of `step`] · P, each tile handed to each(b0, mr, c0, nb).
  template <typename Each>
  void rec_gemm(int m, int step, int K, size_t a_col, const float* pd, size_t pf, Each each) {
    const auto [k0, k1, rb0, rb1] = share_of(m);
    for (int c0 = k0; c0 < k1; c0 += kTileBlocks) {
      const int nb = std::min(kTileBlocks, k1 - c0);
      for (int j = 0; j < nb; ++j) panels_[j] = pd + static_cast<size_t>(c0 + j) * pf;
      for (int b0 = rb0; b0 < rb1; b0 += kTileRows) {
        const int mr = std::min(kTileRows, rb1 - b0);
        c_.kt.gemm(K, dgd_ + (static_cast<size_t>(step) * c_.B + b0) * c_.ldg + a_col, c_.ldg, mr, panels_, kPanel, nb, tile_,
                   static_cast<size_t>(nb) * kPanel);
        each(b0, mr, c0, nb);
      }
    }
  }

  // dL/dH(t-1) += dG(step) · R' (the recurrent-side slots), share m's units of the active rows.
  void carry_back(int m, int step) {
    const int hp = c_.hp;
    rec_gemm(m, step, static_cast<int>(c_.kr), static_cast<size_t>(c_.r_first) * hp,
             c_.rmain + static_cast<size_t>(d_) * c_.blocks * c_.pf_r, c_.pf_r, [&](int b0, int mr, int c0, int nb) {
               for (int i = 0; i < mr; ++i) {
                 const int b = b0 + i;
                 if (step >= c_.q.lens[b]) continue;
                 float* dh = dhc_ + static_cast<size_t>(b) * hp + static_cast<size_t>(c0) * kPanel;
                 const float* t = tile_ + static_cast<size_t>(i) * nb * kPanel;
                 for (int j = 0; j < nb * kPanel; ++j) dh[j] += t[j];
               }
             });
  }

  // The row of (step, b) for the tile starting at unit u0.
  void fill_row(TrainBwdRow& r, int step, int b, size_t u0) const {
    const size_t k = static_cast<size_t>(step) * c_.B + b, hp = static_cast<size_t>(c_.hp);
    const float* row = sd_ + k * c_.RS;
    r.gates = row + c_.L.gates + u0;
    r.extra = row + c_.L.extra + u0;
    r.hprev = row + c_.L.hprev + u0;
    r.cprev = row + c_.L.cprev + u0;
    r.dy = c_.gin.dY ? c_.gin.dY + y_offset(c_.s, c_.T, c_.B, c_.q.time(rev_, step, b), d_, b) + u0 : nullptr;
    r.dh = dhc_ + b * hp + u0;
    r.dc = dcc_ + b * hp + u0;
    r.dg = dgd_ + k * c_.ldg + u0;
    r.drh = nullptr;
  }

  TrainBwdArgs args(const TrainBwdRow* rows, int nrows, int k0, int nb) const {
    TrainBwdArgs e;
    e.rows = rows;
    e.nrows = nrows;
    e.nblocks = nb;
    e.width = std::min(nb * kPanel, c_.H - k0 * kPanel);
    e.hp = c_.hp;
    e.ahead = 0;
    e.row_vectors = static_cast<int>(c_.RS / c_.hp);
    return e;
  }

  // The gate-gradient epilogue of `step` for share m's units and rows.
  void gates_back(int m, int step) {
    const auto [k0, k1, rb0, rb1] = share_of(m);
    int nrows = 0;
    for (int b = rb0; b < rb1; ++b)
      if (step < c_.q.lens[b]) fill_row(rows_[nrows++], step, b, static_cast<size_t>(k0) * kPanel);
    const TrainKernels& tk = c_.tk;
    TrainBwdArgs e = args(rows_, nrows, k0, k1 - k0);
    if (step > 0) e.ahead = static_cast<size_t>(c_.B) * c_.RS;
    (c_.lstm ? tk.lstm_bwd : !c_.gru ? tk.rnn_bwd : c_.lbr ? tk.gru_lbr_bwd : tk.gru_hz_bwd)(e);
  }

  // Reset-before GRU: d(r ⊙ H(t-1)) = dâ_h · Rh, then slot r and the r-part of dL/dH(t-1).
  void reset_back(int m, int step) {
    rec_gemm(m, step, c_.hp, 0, c_.rh_only + static_cast<size_t>(d_) * c_.blocks * c_.pf_h, c_.pf_h,
             [&](int b0, int mr, int c0, int nb) {
               TrainBwdRow sub[kTileRows];
               int n = 0;
               for (int i = 0; i < mr; ++i) {
                 const int b = b0 + i;
                 if (step >= c_.q.lens[b]) continue;
                 TrainBwdRow& r = sub[n++];
                 fill_row(r, step, b, static_cast<size_t>(c0) * kPanel);
                 r.drh = tile_ + static_cast<size_t>(i) * nb * kPanel;
               }
               c_.tk.gru_r_bwd(args(sub, n, c0, nb));
             });
  }

  const BwdCall& c_;
  const int d_, shares_;
  const bool rev_, by_rows_;
  TrainBwdRow* rows_;
  const float* sd_;
  float* dgd_;
  float* dhc_;
  float* dcc_;
  alignas(64) float tile_[kTileRows * kTileBlocks * kPanel];
  const float* panels_[kTileBlocks];
};

// One pass of c (FwdCall or BwdCall): a workspace from the pool, laid out for c and packed with w,
// for pass(); given back to the pool after it.
template <typename Call, typename Pass>
void in_workspace(WorkspacePool& pool, Call& c, const RnnWeights& w, Pass&& pass) {
  size_t capacity = 0;
  AlignedBuffer ws = pool.take(c.lay_out(nullptr), capacity);
  c.carve(ws.get());
  c.pack(w);
  pass();
  pool.give(std::move(ws), capacity);
}

// Each thread runs a Dir over its share of c's directions, with per_thread elements of Store of its
// own, allocated here: nothing inside a parallel region may throw.
template <typename Dir, typename Store, typename Call>
void run_dirs(Call& c, size_t per_thread) {
  std::vector<Store> store(static_cast<size_t>(c.grp.n) * per_thread);
  c.grp.run([&](int tid, int d, int members, int, auto&& run_phase) {
    Dir dir(c, d, c.grp.shares_of(members), store.data() + static_cast<size_t>(tid) * per_thread);
    dir.run(run_phase);
  });
}

}  // namespace

RnnTrainer::RnnTrainer(const RnnSpec& s) : spec_(s) {
  auto refuse = [](const std::string& what) { throw std::invalid_argument("the trainer does not support " + what); };
  if (s.has_clip) refuse("clip");
  if (s.bf16_weights) refuse("bf16 weights (fp32 only)");
  if (s.input_forget) refuse("inputForget");
  for (int d = 0; d < s.num_dirs; ++d)
    for (int a = 0; a < act_count(s.cell); ++a) {
      const ActKind want = a == 0 && s.cell != Cell::RNN ? ActKind::Sigmoid : ActKind::Tanh;
      if (s.acts[d][a].kind != want) refuse("activations other than the defaults (Tanh for RNN; Sigmoid, Tanh[, Tanh])");
    }
  if (s.hidden < 1 || s.input < 1) refuse("empty hidden or input sizes");
  blocks_ = (s.hidden + kPanel - 1) / kPanel;
  hp_ = blocks_ * kPanel;
  row_floats_ = RowLayout(s, hp_).floats;
}

size_t RnnTrainer::saved_floats(int T, int B) const {
  return static_cast<size_t>(spec_.num_dirs) * T * B * row_floats_;
}

void RnnTrainer::forward(const RnnWeights& w, const RnnInputs& in, const RnnOutputs& out, float* saved,
                         int threads) const {
  FwdCall c(spec_, hp_, blocks_, row_floats_, in, out, saved, threads);
  in_workspace(workspaces_, c, w, [&] {
    c.init_states();
    // Each thread's W panel pointers.
    run_dirs<FwdDir, const float*>(c, c.blocks);
    c.final_states();
  });
}

void RnnTrainer::backward(const RnnWeights& w, const RnnInputs& in, const float* saved, const TrainGradInputs& gin,
                          const TrainGradOutputs& gout, int threads) const {
  BwdCall c(spec_, hp_, blocks_, row_floats_, in, saved, gin, gout, threads);
  in_workspace(workspaces_, c, w, [&] {
    // Each thread's epilogue rows.
    run_dirs<BwdDir, TrainBwdRow>(c, c.B);
    for (int d = 0; d < c.D; ++d) c.finish(d);
  });
}

}  // namespace gatedrnn
