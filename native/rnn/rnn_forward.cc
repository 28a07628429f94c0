#include "rnn_forward.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include "../cpu/gemm_bf16.h"
#include "../cpu/isa.h"
#include "../cpu/kernels.h"
#include "../cpu/parallel.h"
#include "schedule.h"

namespace gatedrnn {


namespace {

// Packs gate g of rows [row0, row0 + H) of a row-major [G*H, K] matrix into `blocks` panels of
// kPanel units, panel (blk, g) at dst + (blk * G + g) * K * kPanel.
void pack_gate(const float* src, int g, int G, int H, int K, int blocks, float* dst) {
  for (int blk = 0; blk < blocks; ++blk) {
    float* panel = dst + (static_cast<size_t>(blk) * G + g) * K * kPanel;
    for (int lane = 0; lane < kPanel; ++lane) {
      const int unit = blk * kPanel + lane;
      if (unit >= H) break;
      const float* row = src + static_cast<size_t>(g * H + unit) * K;
      for (int k = 0; k < K; ++k) panel[static_cast<size_t>(k) * kPanel + lane] = row[k];
    }
  }
}

// Packs gate g of R for every block with the gates of a block interleaved k by k: element
// (k, g, lane) of block blk at dst + (blk * K + k) * G * kPanel + g * kPanel + lane. A step's
// matrix-vector product then reads one memory stream per block instead of one per gate.
void pack_gate_interleaved(const float* src, int g, int G, int H, int K, int blocks, float* dst) {
  for (int blk = 0; blk < blocks; ++blk) {
    for (int lane = 0; lane < kPanel; ++lane) {
      const int unit = blk * kPanel + lane;
      if (unit >= H) break;
      const float* row = src + static_cast<size_t>(g * H + unit) * K;
      float* out = dst + static_cast<size_t>(blk) * K * G * kPanel + g * kPanel + lane;
      for (int k = 0; k < K; ++k) out[static_cast<size_t>(k) * G * kPanel] = row[k];
    }
  }
}

// Panels per input-projection GEMM call: a chunk stays in L2 while every row of the chunk passes.
constexpr int kInputPanelChunk = 12;
// The input projection of a chunk, for all directions, stays within this many floats.
constexpr size_t kChunkFloats = 2u << 20;

// Below this many multiply-adds per step, whether a second thread in the recurrence pays depends
// on how fast the cores hand over (ThreadChoice).
constexpr double kMaxChoiceStepWork = 256 * 1024;

int tile_blocks(int gates, size_t panel_bytes, int block_panels) {
  // Keep one chunk's R panels (gates x blocks panels) within about 384 KiB of L2, and prefer a
  // chunk whose panel count fills whole 4-row register blocks of the micro-kernel.
  const size_t block_bytes = static_cast<size_t>(gates) * panel_bytes;
  const int fit = static_cast<int>(std::max<size_t>(1, std::min<size_t>(kTileBlocks, (384u << 10) / block_bytes)));
  for (int nb = fit; nb > 0; --nb)
    if ((gates * nb) % block_panels == 0) return nb;
  return fit;
}

}  // namespace

PackedRnn::PackedRnn(const RnnSpec& spec, const RnnWeights& w) : spec_(spec) {
  const int H = spec.hidden, I = spec.input, G = spec.gates(), D = spec.num_dirs;
  blocks_ = (H + kPanel - 1) / kPanel;
  hp_ = blocks_ * kPanel;
  const size_t panels = static_cast<size_t>(D) * G * blocks_;
  w_panel_bytes_ = spec.bf16_weights ? bf16_panel_elems(I) * sizeof(uint16_t) : static_cast<size_t>(I) * kPanel * sizeof(float);
  r_panel_bytes_ = spec.bf16_weights ? bf16_panel_elems(H) * sizeof(uint16_t) : static_cast<size_t>(H) * kPanel * sizeof(float);
  // Panel sizes are multiples of 64 bytes (kPanel lanes x an even K), so every panel stays aligned.
  const size_t w_floats = panels * w_panel_bytes_ / sizeof(float), r_floats = panels * r_panel_bytes_ / sizeof(float);
  // One block: each part starts on a 64-byte line (hp_ is a multiple of kPanel lanes).
  const auto line = [](size_t floats) { return (floats + 15) / 16 * 16; };
  const size_t bias_floats = static_cast<size_t>(D) * G * hp_, rbh_floats = static_cast<size_t>(D) * hp_;
  const size_t peep_floats = w.P && spec.cell == Cell::LSTM ? static_cast<size_t>(D) * 3 * hp_ : 0;
  storage_ = aligned_floats_long_lived(line(w_floats) + line(r_floats) + line(bias_floats) + line(rbh_floats) + peep_floats);
  w_packed_ = storage_.get();
  r_packed_ = w_packed_ + line(w_floats);
  bias_ = r_packed_ + line(r_floats);
  rbh_ = bias_ + line(bias_floats);
  if (peep_floats) peep_ = rbh_ + line(rbh_floats);
  packed_bytes_ = (w_floats + r_floats + bias_floats + rbh_floats + peep_floats) * sizeof(float);
  for (int d = 0; d < D; ++d) {
    const float* Wd = w.W + static_cast<size_t>(d) * G * H * I;
    const float* Rd = w.R + static_cast<size_t>(d) * G * H * H;
    for (int g = 0; g < G; ++g) {
      if (spec.bf16_weights) {
        for (int blk = 0; blk < blocks_; ++blk) {
          const int rows = std::min(kPanel, H - blk * kPanel);
          pack_panels_bf16(Wd, g * H + blk * kPanel, rows, I, 1, static_cast<uint16_t*>(const_cast<void*>(w_panel(d, blk, g))));
          pack_panels_bf16(Rd, g * H + blk * kPanel, rows, H, 1, static_cast<uint16_t*>(const_cast<void*>(r_panel(d, blk, g))));
        }
      } else {
        pack_gate(Wd, g, G, H, I, blocks_, static_cast<float*>(const_cast<void*>(w_panel(d, 0, 0))));
        pack_gate_interleaved(Rd, g, G, H, H, blocks_, static_cast<float*>(const_cast<void*>(r_panel(d, 0, 0))));
      }
    }
    // Per-unit parameters, block-major like the GEMM outputs: [block][gate][kPanel].
    auto at = [&](float* base, int gates, int g, int u) {
      return base + ((static_cast<size_t>(d) * blocks_ + u / kPanel) * gates + g) * kPanel + u % kPanel;
    };
    if (w.B) {
      const float* Wb = w.B + static_cast<size_t>(d) * 2 * G * H;
      const float* Rb = Wb + static_cast<size_t>(G) * H;
      for (int g = 0; g < G; ++g) {
        // In a reset-after GRU, Rbh sits inside r ⊙ (...): it cannot join Wbh.
        const bool separate = spec.cell == Cell::GRU && spec.linear_before_reset && g == 2;
        for (int u = 0; u < H; ++u) {
          *at(bias_, G, g, u) = Wb[g * H + u] + (separate ? 0.f : Rb[g * H + u]);
          if (separate) rbh_[static_cast<size_t>(d) * hp_ + u] = Rb[g * H + u];
        }
      }
    }
    if (peep_) {
      for (int g = 0; g < 3; ++g)
        for (int u = 0; u < H; ++u) *at(peep_, 3, g, u) = w.P[(static_cast<size_t>(d) * 3 + g) * H + u];
    }
  }
}

const void* PackedRnn::w_panel(int d, int blk, int g) const {
  const size_t index = (static_cast<size_t>(d) * blocks_ + blk) * spec_.gates() + g;
  return reinterpret_cast<const char*>(w_packed_) + index * w_panel_bytes_;
}

const void* PackedRnn::r_panel(int d, int blk, int g) const {
  const size_t block = static_cast<size_t>(d) * blocks_ + blk;
  const char* base = reinterpret_cast<const char*>(r_packed_) + block * spec_.gates() * r_panel_bytes_;
  // fp32: the gates of a block are interleaved k by k (pack_gate_interleaved); bf16: one after another.
  return spec_.bf16_weights ? base + g * r_panel_bytes_ : base + g * kPanel * sizeof(float);
}

void PackedRnn::gemm(const KernelTable& kt, int K, const float* A, size_t lda, int mr, const void* const* panels,
                     size_t kstride, int np, float* C, size_t ldc) const {
  if (spec_.bf16_weights) {
    kt.gemm_bf16(K, A, lda, mr, reinterpret_cast<const uint16_t* const*>(panels), np, C, ldc);
  } else {
    kt.gemm(K, A, lda, mr, reinterpret_cast<const float* const*>(panels), kstride, np, C, ldc);
  }
}

double ThreadChoice::Way::estimate() const {
  // The median of the last three: one call that the OS preempted does not change the choice.
  if (count == 0) return 0;
  if (count < 3) return std::min(ns[0], count == 2 ? ns[1] : ns[0]);
  return std::max(std::min(ns[0], ns[1]), std::min(std::max(ns[0], ns[1]), ns[2]));
}

ThreadChoice::Pick ThreadChoice::pick(int bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = buckets_[bucket];
  const unsigned call = b.calls++;
  if (call < kExplore) return {call % 2 == 1, true};
  const bool single_faster = b.way[1].estimate() < b.way[0].estimate();
  const unsigned phase = call % kRetryEvery;
  if (phase < 2) return {!single_faster, phase == 1};
  return {single_faster, true};
}

void ThreadChoice::record(int bucket, bool single, double ns_per_step) {
  std::lock_guard<std::mutex> lock(mu_);
  Way& w = buckets_[bucket].way[single ? 1 : 0];
  w.ns[w.next] = ns_per_step;
  w.next = (w.next + 1) % 3;
  w.count = std::min(w.count + 1, 3);
}

namespace {

// A share of one phase: hidden blocks [blk_begin, blk_end) of batch rows [b_begin, b_end).
struct Share {
  int blk_begin = 0, blk_end = 0, b_begin = 0, b_end = 0;
};

using Epilogue = void (*)(const EpilogueArgs&);
using schedule::Carver;
using schedule::Groups;
using schedule::Sequences;

}  // namespace

// One call of PackedRnn::forward: the plan (threads, chunk of steps), the workspace carved from
// one pooled buffer, and the work of one share: the input projection of a chunk and the tiles of
// a step.
class ForwardPass {
 public:
  ForwardPass(const PackedRnn& rnn, const RnnInputs& in, const RnnOutputs& out, int threads);
  void run();

 private:
  // Where direction d keeps its state.
  struct Dir {
    int d;
    bool rev;
    float* hb[2];  // H(t-1) and H(t), alternating step by step
    float *c, *z, *rh, *xw;
    const float *bias, *rbh, *peep;
  };
  // A thread's scratch: its gathered X rows and one step tile.
  struct Scratch {
    float* a_rows;
    std::vector<const void*> w_panels;
    alignas(64) float tile[kTileRows * 4 * kTileBlocks * kPanel];
    const void* panels[4 * kTileBlocks];
    GateRow rows[kTileRows];
  };

  void plan(int threads);
  void carve();
  void init_states();
  Dir dir(int d) const;
  Share share_of(int m, int shares) const;
  // Whether a group of `members` splits by rows (row groups x chunks, RowChunks).
  bool by_rows(int members) const { return split_by_rows(members, B_) && chunks() > 0; }
  void project(const Dir& dr, Scratch& sc, const Share& sh, int c0, int cs) const;
  void phase(const Dir& dr, Scratch& sc, const Share& sh, int step, int c0, const float* A, int g0, int ng,
             Epilogue epilogue) const;
  void step_epilogue(const Dir& dr, Scratch& sc, int step, int c0, int b0, int mr, int k0, int nb, int g0, int ng,
                     Epilogue epilogue) const;
  void final_states(const Dir& dr, const Share& sh) const;
  template <class ShareOf, class EachPhase>
  void sequence(const Dir& dr, Scratch& sc, int k_begin, int k_end, ShareOf&& share, EachPhase&& each_phase) const;
  void row_piece(const Dir& dr, Scratch& sc, int groups, int g, int k) const;
  int chunks() const { return (q_.max_len + chunk_ - 1) / chunk_; }

  const PackedRnn& r_;
  const RnnSpec& s_;
  const KernelTable& kt_;
  const RnnInputs& in_;
  const RnnOutputs& out_;
  const int T_, B_, H_, I_, G_, D_, hp_, blocks_;
  const size_t state_, ldx_;  // floats of one H buffer; of one row of the input projection
  Sequences q_;
  Groups groups_;
  int chunk_ = 1;  // timesteps per chunk of the input projection
  int choice_bucket_ = -1;
  ThreadChoice::Pick pick_{false, false};
  schedule::RowChunks row_chunks_[2];  // per direction, when its group splits by rows
  AlignedBuffer ws_;
  size_t capacity_ = 0, a_stride_ = 0;
  float *hbuf_ = nullptr, *cbuf_ = nullptr, *zbuf_ = nullptr, *rhbuf_ = nullptr, *xwbuf_ = nullptr, *abuf_ = nullptr;
};

ForwardPass::ForwardPass(const PackedRnn& rnn, const RnnInputs& in, const RnnOutputs& out, int threads)
    : r_(rnn),
      s_(rnn.spec_),
      kt_(active_kernels()),
      in_(in),
      out_(out),
      T_(in.seq_len),
      B_(in.batch),
      H_(s_.hidden),
      I_(s_.input),
      G_(s_.gates()),
      D_(s_.num_dirs),
      hp_(rnn.hp_),
      blocks_(rnn.blocks_),
      state_(static_cast<size_t>(B_) * hp_),
      ldx_(static_cast<size_t>(G_) * hp_),
      q_(in),
      groups_(threads, D_, static_cast<double>(B_) * G_ * H_ * (H_ + I_),
              static_cast<int>(std::min<long long>(1 << 20, static_cast<long long>(B_) * blocks_))) {
  plan(threads);
  carve();
  init_states();
}

void ForwardPass::plan(int threads) {
  // One direction whose steps are small: one thread or several, whichever has been faster lately.
  const double step_work = static_cast<double>(B_) * G_ * H_ * (H_ + I_);
  if (D_ == 1 && groups_.n > 1 && step_work < kMaxChoiceStepWork) {
    choice_bucket_ = std::min(ThreadChoice::kBuckets - 1, std::max(0, std::ilogb(step_work)));
    pick_ = r_.thread_choice_.pick(choice_bucket_);
    if (pick_.single) groups_.n = 1;
  }
  // Split by hidden units: several shares per member and phase, when a step has the work for them.
  const int members = groups_.group_members(groups_.n, 0);
  if (members > 1 && !split_by_rows(members, B_))
    groups_.pieces = std::max(1, std::min(kMaxSharesPerMember, static_cast<int>(step_work / (members * kMinShareWork))));
  // Timesteps per chunk of the input projection.
  const int max_len = q_.max_len;
  chunk_ = std::max(1, std::min(max_len, (kChunkRows + B_ - 1) / B_));
  chunk_ = static_cast<int>(std::max<size_t>(1, std::min<size_t>(chunk_, kChunkFloats / (static_cast<size_t>(D_) * B_ * ldx_))));
}

// Workspace, reused across calls: per direction two H buffers (read one, write the other each
// step), the cell state, the reset-before GRU's z and r ⊙ H, the chunk's input projection; per
// thread the chunk's gathered X rows.
void ForwardPass::carve() {
  const bool two_phase = s_.cell == Cell::GRU && !s_.linear_before_reset;
  const size_t n_h = static_cast<size_t>(D_) * 2 * state_;
  const size_t n_c = s_.cell == Cell::LSTM ? D_ * state_ : 0;
  const size_t n_zr = two_phase ? 2 * D_ * state_ : 0;
  const size_t n_xw = static_cast<size_t>(D_) * chunk_ * B_ * ldx_;
  const size_t n_a = static_cast<size_t>(chunk_) * B_ * I_;
  a_stride_ = (n_a + 15) / 16 * 16;
  // The states first and contiguous: one memset clears them.
  const size_t n_states = n_h + n_c + n_zr;
  const auto lay_out = [&](float* ws) {
    return Carver::lay_out(ws, {{&hbuf_, n_states}, {&xwbuf_, n_xw}, {&abuf_, static_cast<size_t>(groups_.n) * a_stride_}});
  };
  ws_ = r_.workspaces_.take(lay_out(nullptr), capacity_);
  lay_out(ws_.get());
  cbuf_ = n_c ? hbuf_ + n_h : nullptr;
  zbuf_ = n_zr ? hbuf_ + n_h + n_c : nullptr;
  rhbuf_ = n_zr ? zbuf_ + D_ * state_ : nullptr;
  std::memset(hbuf_, 0, sizeof(float) * n_states);
}

void ForwardPass::init_states() {
  for (int d = 0; d < D_; ++d) {
    for (int b = 0; b < B_; ++b) {
      float* h0 = hbuf_ + static_cast<size_t>(d) * 2 * state_ + static_cast<size_t>(b) * hp_;
      if (in_.initial_h) std::memcpy(h0, in_.initial_h + state_offset(s_, B_, d, b), sizeof(float) * H_);
      if (cbuf_ && in_.initial_c)
        std::memcpy(cbuf_ + d * state_ + static_cast<size_t>(b) * hp_, in_.initial_c + state_offset(s_, B_, d, b),
                    sizeof(float) * H_);
      // Steps past a sequence's end produce zeros in Y.
      if (out_.Y)
        for (int t = q_.lens[b]; t < T_; ++t) std::memset(out_.Y + y_offset(s_, T_, B_, t, d, b), 0, sizeof(float) * H_);
    }
  }
}

ForwardPass::Dir ForwardPass::dir(int d) const {
  Dir dr;
  dr.d = d;
  dr.rev = s_.dir_reversed(d);
  dr.hb[0] = hbuf_ + static_cast<size_t>(d) * 2 * state_;
  dr.hb[1] = dr.hb[0] + state_;
  dr.c = cbuf_ ? cbuf_ + d * state_ : nullptr;
  dr.z = zbuf_ ? zbuf_ + d * state_ : nullptr;
  dr.rh = rhbuf_ ? rhbuf_ + d * state_ : nullptr;
  dr.xw = xwbuf_ + static_cast<size_t>(d) * chunk_ * B_ * ldx_;
  dr.bias = r_.bias_ + static_cast<size_t>(d) * G_ * hp_;
  dr.rbh = r_.rbh_ + static_cast<size_t>(d) * hp_;
  dr.peep = r_.peep_ ? r_.peep_ + static_cast<size_t>(d) * 3 * hp_ : nullptr;
  return dr;
}

// The shares of a phase: a grid of column groups (hidden blocks) x row groups (batch rows).
// Whoever does a share at a chunk's first step also computes the chunk's input projection of
// exactly that share's rows and blocks, so only the exchange of H between steps needs the phases.
Share ForwardPass::share_of(int m, int shares) const {
  const int col_groups = std::min(shares, blocks_);
  const int row_groups = std::min(shares / col_groups, B_);
  Share sh;
  if (m / col_groups < row_groups) {
    split_range(blocks_, col_groups, m % col_groups, sh.blk_begin, sh.blk_end);
    split_range(B_, row_groups, m / col_groups, sh.b_begin, sh.b_end);
  }
  return sh;
}

// The input projection of steps [c0, c0 + cs) for a share's rows and blocks.
void ForwardPass::project(const Dir& dr, Scratch& sc, const Share& sh, int c0, int cs) const {
  const int nr = sh.b_end - sh.b_begin;
  if (nr == 0) return;
  sc.w_panels.clear();
  for (int blk = sh.blk_begin; blk < sh.blk_end; ++blk)
    for (int g = 0; g < G_; ++g) sc.w_panels.push_back(r_.w_panel(dr.d, blk, g));
  const int np_in = static_cast<int>(sc.w_panels.size());
  // Forward, layout 0, every row of the chunk live: each step's rows of the share are already
  // contiguous in X, in order, and need no copy (B rows apart from step to step).
  const float* a = sc.a_rows;
  size_t step_stride = static_cast<size_t>(nr) * I_;
  if (!dr.rev && s_.layout == 0 && c0 + cs <= q_.min_len) {
    a = in_.X + (static_cast<size_t>(c0) * B_ + sh.b_begin) * I_;
    step_stride = static_cast<size_t>(B_) * I_;
  } else {
    for (int si = 0; si < cs; ++si) {
      for (int i = 0; i < nr; ++i) {
        const int b = sh.b_begin + i, step = c0 + si;
        float* dst = sc.a_rows + (static_cast<size_t>(si) * nr + i) * I_;
        if (step < q_.lens[b]) {
          std::memcpy(dst, in_.X + x_row(s_, T_, B_, q_.time(dr.rev, step, b), b) * I_, sizeof(float) * I_);
        } else {
          std::memset(dst, 0, sizeof(float) * I_);  // unused; zeros keep the GEMM free of NaN
        }
      }
    }
  }
  float* out0 = dr.xw + static_cast<size_t>(sh.blk_begin) * G_ * kPanel;
  for (int p0 = 0; p0 < np_in; p0 += kInputPanelChunk) {
    const int np = std::min(kInputPanelChunk, np_in - p0);
    if (nr == B_) {  // rows (step, b) are uniform in the chunk buffer: one call
      r_.gemm(kt_, I_, a, I_, cs * nr, sc.w_panels.data() + p0, kPanel, np, out0 + static_cast<size_t>(p0) * kPanel, ldx_);
    } else {
      for (int si = 0; si < cs; ++si)
        r_.gemm(kt_, I_, a + si * step_stride, I_, nr, sc.w_panels.data() + p0, kPanel, np,
                out0 + (static_cast<size_t>(si) * B_ + sh.b_begin) * ldx_ + static_cast<size_t>(p0) * kPanel, ldx_);
    }
  }
}

// One GEMM + epilogue over a share's tiles of a step: gates [g0, g0 + ng) of R times A, the
// [B, hp] matrix H(t-1) (or r ⊙ H(t-1) in phase 2).
void ForwardPass::phase(const Dir& dr, Scratch& sc, const Share& sh, int step, int c0, const float* A, int g0, int ng,
                        Epilogue epilogue) const {
  // Blocks outside, rows inside: a chunk's panels are read once per step and then reused from L2
  // by every row tile.
  const int nb_max = tile_blocks(ng, r_.r_panel_bytes_, kt_.block_panels);
  // Odd steps walk the chunks backwards: a slice of R larger than L2 then starts each step with
  // the part the previous step left in L2, instead of evicting it just before use.
  const int nchunks = (sh.blk_end - sh.blk_begin + nb_max - 1) / nb_max;
  for (int ci = 0; ci < nchunks; ++ci) {
    const int k0 = sh.blk_begin + ((step & 1) ? nchunks - 1 - ci : ci) * nb_max;
    const int nb = std::min(nb_max, sh.blk_end - k0);
    for (int j = 0; j < nb; ++j)
      for (int g = 0; g < ng; ++g) sc.panels[j * ng + g] = r_.r_panel(dr.d, k0 + j, g0 + g);
    const size_t ldc = static_cast<size_t>(ng) * nb * kPanel;
    for (int b0 = sh.b_begin; b0 < sh.b_end; b0 += kTileRows) {
      const int mr = std::min(kTileRows, sh.b_end - b0);
      r_.gemm(kt_, H_, A + static_cast<size_t>(b0) * hp_, hp_, mr, sc.panels, static_cast<size_t>(G_) * kPanel, ng * nb,
              sc.tile, ldc);
      step_epilogue(dr, sc, step, c0, b0, mr, k0, nb, g0, ng, epilogue);
    }
  }
}

// The epilogue of one tile (rows [b0, b0 + mr), blocks [k0, k0 + nb)) whose GEMM is in sc.tile.
void ForwardPass::step_epilogue(const Dir& dr, Scratch& sc, int step, int c0, int b0, int mr, int k0, int nb, int g0,
                                int ng, Epilogue epilogue) const {
  const float* hprev = dr.hb[step & 1];
  float* hnext = dr.hb[(step + 1) & 1];
  const size_t ldc = static_cast<size_t>(ng) * nb * kPanel;
  const int u0 = k0 * kPanel;
  const int width = std::min(nb * kPanel, H_ - u0);
  int nrows = 0;
  for (int i = 0; i < mr; ++i) {
    const int b = b0 + i;
    const size_t off = static_cast<size_t>(b) * hp_ + u0;
    if (step >= q_.lens[b]) {
      // Past this sequence's end the state carries over unchanged.
      if (g0 == 0) std::memcpy(hnext + off, hprev + off, sizeof(float) * width);
      continue;
    }
    GateRow& row = sc.rows[nrows++];
    row.acc = sc.tile + i * ldc;
    row.xw = dr.xw + (static_cast<size_t>(step - c0) * B_ + b) * ldx_ + (static_cast<size_t>(k0) * G_ + g0) * kPanel;
    row.hprev = hprev + off;
    row.hnext = hnext + off;
    row.c = dr.c ? dr.c + off : nullptr;
    row.y = out_.Y ? out_.Y + y_offset(s_, T_, B_, q_.time(dr.rev, step, b), dr.d, b) + u0 : nullptr;
    row.z = dr.z ? dr.z + off : nullptr;
    row.rh = dr.rh ? dr.rh + off : nullptr;
  }
  if (nrows == 0) return;
  EpilogueArgs e;
  e.rows = sc.rows;
  e.nrows = nrows;
  e.nblocks = nb;
  e.width = width;
  e.acc_bstride = ng * kPanel;
  e.xw_bstride = G_ * kPanel;
  e.par_bstride = G_ * kPanel;
  e.bias = dr.bias + (static_cast<size_t>(k0) * G_ + g0) * kPanel;
  e.rbh = dr.rbh + u0;
  e.peep = dr.peep ? dr.peep + static_cast<size_t>(k0) * 3 * kPanel : nullptr;
  e.acts = s_.acts[dr.d];
  e.has_clip = s_.has_clip;
  e.clip = s_.clip;
  e.input_forget = s_.input_forget;
  epilogue(e);
}

// Y_h and Y_c of a share's rows and blocks.
void ForwardPass::final_states(const Dir& dr, const Share& sh) const {
  const float* hlast = dr.hb[q_.max_len & 1];
  const int u0 = sh.blk_begin * kPanel, width = std::min(sh.blk_end * kPanel, H_) - u0;
  if (width <= 0) return;
  for (int b = sh.b_begin; b < sh.b_end; ++b) {
    const size_t off = static_cast<size_t>(b) * hp_ + u0;
    if (out_.Y_h) std::memcpy(out_.Y_h + state_offset(s_, B_, dr.d, b) + u0, hlast + off, sizeof(float) * width);
    if (out_.Y_c && dr.c) std::memcpy(out_.Y_c + state_offset(s_, B_, dr.d, b) + u0, dr.c + off, sizeof(float) * width);
  }
}

// Chunks [k_begin, k_end) of direction dr's steps and, when they reach the end, the final states.
// share(m) is share m's rows and blocks; each_phase(work) runs work(m) for every share of one phase.
template <class ShareOf, class EachPhase>
void ForwardPass::sequence(const Dir& dr, Scratch& sc, int k_begin, int k_end, ShareOf&& share,
                           EachPhase&& each_phase) const {
  for (int k = k_begin; k < k_end; ++k) {
    const int c0 = k * chunk_, cs = std::min(chunk_, q_.max_len - c0);
    for (int step = c0; step < c0 + cs; ++step) {
      const float* hprev = dr.hb[step & 1];
      // The first phase of a step; at a chunk's first step it begins with the projection.
      auto step_phase = [&](int g0, int ng, Epilogue epilogue) {
        each_phase([&](int m) {
          const Share sh = share(m);
          if (step == c0) project(dr, sc, sh, c0, cs);
          phase(dr, sc, sh, step, c0, hprev, g0, ng, epilogue);
        });
      };
      switch (s_.cell) {
        case Cell::RNN: step_phase(0, 1, kt_.rnn_step); break;
        case Cell::LSTM: step_phase(0, 4, kt_.lstm_step); break;
        case Cell::GRU:
          if (s_.linear_before_reset) {
            step_phase(0, 3, kt_.gru_step_lbr);
          } else {
            step_phase(0, 2, kt_.gru_step_zr);
            // Phase 2 reads r ⊙ H(t-1) of every hidden unit.
            each_phase([&](int m) { phase(dr, sc, share(m), step, c0, dr.rh, 2, 1, kt_.gru_step_h); });
          }
          break;
      }
    }
  }
  if (k_end == chunks()) each_phase([&](int m) { final_states(dr, share(m)); });
}

// Chunk k of row group g of `groups`: every hidden unit of the group's rows.
void ForwardPass::row_piece(const Dir& dr, Scratch& sc, int groups, int g, int k) const {
  Share sh;
  sh.blk_end = blocks_;
  split_range(B_, groups, g, sh.b_begin, sh.b_end);
  sequence(dr, sc, k, k + 1, [&](int) { return sh; }, [](auto&& work) { work(0); });
}

void ForwardPass::run() {
  // A group that splits by rows hands out row groups x chunks (RowChunks); otherwise its members
  // share every phase (a step or half of one) by hidden blocks and rows.
  for (int d = 0; d < D_; ++d) {
    const int members = groups_.group_members(groups_.n, groups_.split(groups_.n) ? d : 0);
    if (by_rows(members)) row_chunks_[d].reset(schedule::row_groups(members, B_), chunks());
  }
  const auto started = std::chrono::steady_clock::now();
  groups_.run([&](int tid, int d, int members, int me, auto&& run_phase) {
    Scratch sc;
    sc.a_rows = abuf_ + static_cast<size_t>(tid) * a_stride_;
    sc.w_panels.reserve(static_cast<size_t>(blocks_) * G_);
    const Dir dr = dir(d);
    if (by_rows(members)) {
      schedule::RowChunks& rc = row_chunks_[d];
      const int home = me >= 0 ? me * rc.groups() / members : 0;
      rc.run(home, [&](int g, int k) { row_piece(dr, sc, rc.groups(), g, k); });
    } else {
      const int shares = groups_.shares_of(members);
      sequence(dr, sc, 0, chunks(), [&](int m) { return share_of(m, shares); }, run_phase);
    }
  });
  if (pick_.timed && q_.max_len > 0)
    r_.thread_choice_.record(
        choice_bucket_, pick_.single,
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started).count() / q_.max_len);
  r_.workspaces_.give(std::move(ws_), capacity_);
}

void PackedRnn::forward(const RnnInputs& in, const RnnOutputs& out, int threads) const {
  ForwardPass pass(*this, in, out, threads);
  pass.run();
}

}  // namespace gatedrnn
