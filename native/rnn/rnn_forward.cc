#include "rnn_forward.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "../cpu/isa.h"
#include "../cpu/kernels.h"
#include "../cpu/parallel.h"

namespace gatedrnn {

AlignedBuffer aligned_floats(size_t count) {
  const size_t bytes = std::max<size_t>(64, (count * sizeof(float) + 63) / 64 * 64);
  void* p = nullptr;
  if (posix_memalign(&p, 64, bytes) != 0 || p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  return AlignedBuffer(static_cast<float*>(p));
}

namespace {

// Packs rows [row0, row0 + H) of a row-major [*, K] matrix into `blocks` panels of kPanel rows.
void pack_panels(const float* src, int row0, int H, int K, int blocks, float* dst) {
  for (int blk = 0; blk < blocks; ++blk) {
    float* panel = dst + static_cast<size_t>(blk) * K * kPanel;
    for (int lane = 0; lane < kPanel; ++lane) {
      const int unit = blk * kPanel + lane;
      if (unit >= H) break;
      const float* row = src + static_cast<size_t>(row0 + unit) * K;
      for (int k = 0; k < K; ++k) panel[static_cast<size_t>(k) * kPanel + lane] = row[k];
    }
  }
}

// [begin, end) of part `i` when `n` items are split into `parts` nearly equal parts.
inline void split_range(int n, int parts, int i, int& begin, int& end) {
  const int base = n / parts, extra = n % parts;
  begin = i * base + std::min(i, extra);
  end = begin + base + (i < extra ? 1 : 0);
}

// Rows of the recurrent GEMM per call and, at most, blocks of hidden units per call: the step tile.
constexpr int kTileRows = 4;
constexpr int kTileBlocks = 8;

// Below this many multiply-adds per step, a second thread in the recurrence costs more in
// synchronization than it saves.
constexpr double kMinStepWorkPerThread = 32 * 1024;

}  // namespace

int PackedRnn::tile_blocks(int gates) const {
  // Keep one chunk's R panels (gates x blocks x H x kPanel floats) within about 256 KiB of L2.
  const size_t block_bytes = static_cast<size_t>(gates) * spec_.hidden * kPanel * sizeof(float);
  const size_t fit = (256u << 10) / block_bytes;
  return static_cast<int>(std::max<size_t>(1, std::min<size_t>(kTileBlocks, fit)));
}

PackedRnn::PackedRnn(const RnnSpec& spec, const RnnWeights& w) : spec_(spec) {
  const int H = spec.hidden, I = spec.input, G = spec.gates(), D = spec.num_dirs;
  blocks_ = (H + kPanel - 1) / kPanel;
  hp_ = blocks_ * kPanel;
  const size_t w_floats = static_cast<size_t>(D) * G * blocks_ * I * kPanel;
  const size_t r_floats = static_cast<size_t>(D) * G * blocks_ * H * kPanel;
  w_packed_ = aligned_floats(w_floats);
  r_packed_ = aligned_floats(r_floats);
  bias_ = aligned_floats(static_cast<size_t>(D) * G * hp_);
  rbh_ = aligned_floats(static_cast<size_t>(D) * hp_);
  packed_bytes_ = (w_floats + r_floats + static_cast<size_t>(D) * (G + 1) * hp_) * sizeof(float);
  for (int d = 0; d < D; ++d) {
    const float* Wd = w.W + static_cast<size_t>(d) * G * H * I;
    const float* Rd = w.R + static_cast<size_t>(d) * G * H * H;
    for (int g = 0; g < G; ++g) {
      pack_panels(Wd, g * H, H, I, blocks_, const_cast<float*>(w_panel(d, g, 0)));
      pack_panels(Rd, g * H, H, H, blocks_, const_cast<float*>(r_panel(d, g, 0)));
    }
    if (w.B) {
      const float* Wb = w.B + static_cast<size_t>(d) * 2 * G * H;
      const float* Rb = Wb + static_cast<size_t>(G) * H;
      for (int g = 0; g < G; ++g) {
        float* b = bias_.get() + (static_cast<size_t>(d) * G + g) * hp_;
        // In a reset-after GRU, Rbh sits inside r ⊙ (...): it cannot join Wbh.
        const bool separate = spec.cell == Cell::GRU && spec.linear_before_reset && g == 2;
        for (int u = 0; u < H; ++u) b[u] = Wb[g * H + u] + (separate ? 0.f : Rb[g * H + u]);
        if (separate) std::memcpy(rbh_.get() + static_cast<size_t>(d) * hp_, Rb + g * H, sizeof(float) * H);
      }
    }
    if (w.P && spec.cell == Cell::LSTM) {
      if (!peep_) {
        peep_ = aligned_floats(static_cast<size_t>(D) * 3 * hp_);
        packed_bytes_ += static_cast<size_t>(D) * 3 * hp_ * sizeof(float);
      }
      for (int g = 0; g < 3; ++g)
        std::memcpy(peep_.get() + (static_cast<size_t>(d) * 3 + g) * hp_, w.P + (static_cast<size_t>(d) * 3 + g) * H,
                    sizeof(float) * H);
    }
  }
}

const float* PackedRnn::w_panel(int d, int g, int blk) const {
  const size_t index = (static_cast<size_t>(d) * spec_.gates() + g) * blocks_ + blk;
  return w_packed_.get() + index * spec_.input * kPanel;
}

const float* PackedRnn::r_panel(int d, int g, int blk) const {
  const size_t index = (static_cast<size_t>(d) * spec_.gates() + g) * blocks_ + blk;
  return r_packed_.get() + index * spec_.hidden * kPanel;
}

void PackedRnn::forward(const RnnInputs& in, const RnnOutputs& out, int threads) const {
  const RnnSpec& s = spec_;
  const KernelTable& kt = active_kernels();
  const int T = in.seq_len, B = in.batch, H = s.hidden, I = s.input, G = s.gates(), D = s.num_dirs;
  const int hp = hp_, blocks = blocks_;
  const size_t ldxw = static_cast<size_t>(D) * G * hp;  // one row of the input projection
  const size_t state = static_cast<size_t>(B) * hp;

  std::vector<int> lens(B, T);
  int max_len = 0;
  for (int b = 0; b < B; ++b) {
    if (in.seq_lens) lens[b] = in.seq_lens[b];
    max_len = std::max(max_len, lens[b]);
  }

  // Workspace: the input projection, and per direction two H buffers (read one, write the other
  // each step), the cell state, and the reset-before GRU's z and r ⊙ H.
  const bool two_phase = s.cell == Cell::GRU && !s.linear_before_reset;
  AlignedBuffer xw = aligned_floats(static_cast<size_t>(T) * B * ldxw);
  AlignedBuffer hbuf = aligned_floats(static_cast<size_t>(D) * 2 * state);
  AlignedBuffer cbuf = s.cell == Cell::LSTM ? aligned_floats(D * state) : nullptr;
  AlignedBuffer zbuf = two_phase ? aligned_floats(D * state) : nullptr;
  AlignedBuffer rhbuf = two_phase ? aligned_floats(D * state) : nullptr;

  for (int d = 0; d < D; ++d) {
    for (int b = 0; b < B; ++b) {
      float* h0 = hbuf.get() + static_cast<size_t>(d) * 2 * state + static_cast<size_t>(b) * hp;
      if (in.initial_h) std::memcpy(h0, in.initial_h + state_offset(s, B, d, b), sizeof(float) * H);
      if (cbuf && in.initial_c)
        std::memcpy(cbuf.get() + d * state + static_cast<size_t>(b) * hp, in.initial_c + state_offset(s, B, d, b),
                    sizeof(float) * H);
      // Steps past a sequence's end produce zeros in Y.
      if (out.Y)
        for (int t = lens[b]; t < T; ++t) std::memset(out.Y + y_offset(s, T, B, t, d, b), 0, sizeof(float) * H);
    }
  }

  // The input projection's panels, in the column order of an xw row: [D][G][blocks].
  std::vector<const float*> w_panels(static_cast<size_t>(D) * G * blocks);
  for (int d = 0; d < D; ++d)
    for (int g = 0; g < G; ++g)
      for (int blk = 0; blk < blocks; ++blk) w_panels[(static_cast<size_t>(d) * G + g) * blocks + blk] = w_panel(d, g, blk);

  int n = threads > 0 ? threads : default_threads();
  const double total_work = static_cast<double>(T) * B * D * G * H * (I + H);
  n = std::max(1, std::min<int>(n, static_cast<int>(total_work / kMinStepWorkPerThread) + 1));

  // Bidirectional with 2+ threads: one group of threads per direction. Within a group, only as
  // many threads as a step's work justifies take part in the recurrence.
  const double step_work = static_cast<double>(B) * G * H * H;
  auto group_of = [&](int nt, int tid, int& first, int& size) {
    const bool split = D == 2 && nt >= 2;
    const int g = split && tid >= nt / 2 ? 1 : 0;
    first = g == 1 ? nt / 2 : 0;
    size = split ? (g == 0 ? nt / 2 : nt - nt / 2) : nt;
    return g;
  };
  auto members_of = [&](int size) {
    return std::max(1, std::min<int>(size, static_cast<int>(step_work / kMinStepWorkPerThread)));
  };
  SpinBarrier all(n), group_barrier[2];
  for (int g = 0; g < 2; ++g) {
    int first, size;
    group_of(n, g == 0 ? 0 : n - 1, first, size);
    group_barrier[g].reset(members_of(size));
  }

  parallel_run(n, [&](int tid, int nt) {
    // 1. Input projection for every timestep and direction: tiles of rows x panels over threads.
    {
      constexpr int kRowChunk = 64, kPanelChunk = 12;
      const int M = T * B, NP = static_cast<int>(w_panels.size());
      const int row_tiles = (M + kRowChunk - 1) / kRowChunk, panel_tiles = (NP + kPanelChunk - 1) / kPanelChunk;
      for (int tile = tid; tile < row_tiles * panel_tiles; tile += nt) {
        const int r0 = (tile % row_tiles) * kRowChunk, p0 = (tile / row_tiles) * kPanelChunk;
        const int mr = std::min(kRowChunk, M - r0), np = std::min(kPanelChunk, NP - p0);
        kt.gemm(I, in.X + static_cast<size_t>(r0) * I, I, mr, w_panels.data() + p0, np,
                xw.get() + r0 * ldxw + static_cast<size_t>(p0) * kPanel, ldxw);
      }
      if (nt > 1) all.wait();
    }

    // 2. The recurrence.
    int group_first, group_size;
    const int group = group_of(nt, tid, group_first, group_size);
    const bool split_dirs = D == 2 && nt >= 2;
    const int members = members_of(group_size);
    const int me = tid - group_first;
    if (me >= members) return;
    SpinBarrier& bar = group_barrier[group];
    auto sync = [&] {
      if (members > 1) bar.wait();
    };

    // This thread's share of a step: a grid of column groups (hidden blocks) x row groups.
    const int col_groups = std::min(members, blocks);
    const int row_groups = std::min(members / col_groups, B);
    const int my_col = me % col_groups, my_row = me / col_groups;
    int blk_begin = 0, blk_end = 0, b_begin = 0, b_end = 0;
    if (my_row < row_groups) {
      split_range(blocks, col_groups, my_col, blk_begin, blk_end);
      split_range(B, row_groups, my_row, b_begin, b_end);
    }

    alignas(64) float tile[kTileRows * 4 * kTileBlocks * kPanel];
    const float* panels[4 * kTileBlocks];
    GateRow rows[kTileRows];

    for (int d = (split_dirs ? group : 0); d < (split_dirs ? group + 1 : D); ++d) {
      const bool rev = s.dir_reversed(d);
      float* hb[2] = {hbuf.get() + static_cast<size_t>(d) * 2 * state,
                      hbuf.get() + static_cast<size_t>(d) * 2 * state + state};
      float* c = cbuf ? cbuf.get() + d * state : nullptr;
      float* z = zbuf ? zbuf.get() + d * state : nullptr;
      float* rh = rhbuf ? rhbuf.get() + d * state : nullptr;
      const float* bias = bias_.get() + static_cast<size_t>(d) * G * hp;
      const float* rbh = rbh_.get() + static_cast<size_t>(d) * hp;
      const float* peep = peep_ ? peep_.get() + static_cast<size_t>(d) * 3 * hp : nullptr;

      // Runs one GEMM + epilogue over this thread's tiles. Gates [g0, g0 + ng) of R; A is the
      // [B, hp] matrix the GEMM multiplies (H(t-1), or r ⊙ H(t-1) in phase 2).
      auto phase = [&](int step, const float* A, int g0, int ng, void (*epilogue)(const EpilogueArgs&)) {
        const float* hprev = hb[step & 1];
        float* hnext = hb[(step + 1) & 1];
        // Blocks outside, rows inside: a chunk's panels are read from L3 once per step and then
        // reused from L2 by every row tile.
        const int nb_max = tile_blocks(ng);
        for (int k0 = blk_begin; k0 < blk_end; k0 += nb_max) {
          const int nb = std::min(nb_max, blk_end - k0);
          for (int g = 0; g < ng; ++g)
            for (int j = 0; j < nb; ++j) panels[g * nb + j] = r_panel(d, g0 + g, k0 + j);
          const size_t ldc = static_cast<size_t>(ng) * nb * kPanel;
          const int u0 = k0 * kPanel;
          const int width = std::min(nb * kPanel, H - u0);
          for (int b0 = b_begin; b0 < b_end; b0 += kTileRows) {
            const int mr = std::min(kTileRows, b_end - b0);
            kt.gemm(H, A + static_cast<size_t>(b0) * hp, hp, mr, panels, ng * nb, tile, ldc);
            int nrows = 0;
            for (int i = 0; i < mr; ++i) {
              const int b = b0 + i;
              const size_t off = static_cast<size_t>(b) * hp + u0;
              if (step >= lens[b]) {
                // Past this sequence's end the state carries over unchanged.
                if (g0 == 0) std::memcpy(hnext + off, hprev + off, sizeof(float) * width);
                continue;
              }
              const int t = rev ? lens[b] - 1 - step : step;
              GateRow& row = rows[nrows++];
              row.acc = tile + i * ldc;
              row.xw = xw.get() + x_row(s, T, B, t, b) * ldxw + (static_cast<size_t>(d) * G + g0) * hp + u0;
              row.hprev = hprev + off;
              row.hnext = hnext + off;
              row.c = c ? c + off : nullptr;
              row.y = out.Y ? out.Y + y_offset(s, T, B, t, d, b) + u0 : nullptr;
              row.z = z ? z + off : nullptr;
              row.rh = rh ? rh + off : nullptr;
            }
            if (nrows == 0) continue;
            EpilogueArgs e;
            e.rows = rows;
            e.nrows = nrows;
            e.width = width;
            e.acc_gstride = nb * kPanel;
            e.xw_gstride = hp;
            e.bias = bias + static_cast<size_t>(g0) * hp + u0;
            e.rbh = rbh + u0;
            e.peep = peep ? peep + u0 : nullptr;
            e.acts = s.acts[d];
            e.has_clip = s.has_clip;
            e.clip = s.clip;
            e.input_forget = s.input_forget;
            epilogue(e);
          }
        }
      };

      for (int step = 0; step < max_len; ++step) {
        const float* hprev = hb[step & 1];
        switch (s.cell) {
          case Cell::RNN: phase(step, hprev, 0, 1, kt.rnn_step); break;
          case Cell::LSTM: phase(step, hprev, 0, 4, kt.lstm_step); break;
          case Cell::GRU:
            if (s.linear_before_reset) {
              phase(step, hprev, 0, 3, kt.gru_step_lbr);
            } else {
              phase(step, hprev, 0, 2, kt.gru_step_zr);
              sync();  // phase 2 reads r ⊙ H(t-1) of every hidden unit
              phase(step, rh, 2, 1, kt.gru_step_h);
            }
            break;
        }
        sync();
      }

      // Final states: this thread's rows and units.
      const float* hlast = hb[max_len & 1];
      for (int b = b_begin; b < b_end; ++b) {
        const int u0 = blk_begin * kPanel, width = std::min(blk_end * kPanel, H) - u0;
        if (width <= 0) continue;
        const size_t off = static_cast<size_t>(b) * hp + u0;
        if (out.Y_h) std::memcpy(out.Y_h + state_offset(s, B, d, b) + u0, hlast + off, sizeof(float) * width);
        if (out.Y_c && c) std::memcpy(out.Y_c + state_offset(s, B, d, b) + u0, c + off, sizeof(float) * width);
      }
    }
  });
}

}  // namespace gatedrnn
