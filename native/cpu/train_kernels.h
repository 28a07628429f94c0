// The fused elementwise parts of training-mode GRU, LSTM and plain RNN steps (rnn/rnn_train.cc):
// forward epilogues that also keep what backward needs, and the backward gate-gradient epilogues.
// One table per instruction set, the same source (train_epilogues.inc) compiled for each,
// chosen with the active kernel table.
//
// Layouts (hp = hidden size padded to whole kPanel blocks): a saved row holds, for one (step,
// batch entry), the gates gate-major ([g][hp], post-activation), then for GRU `extra` [hp], then
// H(t-1) [hp] and, for LSTM, C(t-1) [hp]. A gradient row holds one slot of hp floats per
// pre-activation gradient; the slot order is rnn_train.cc's (GRU: h, z, r and, linear-before-reset,
// r ⊙ dh; LSTM: i, o, f, c; RNN: its one gate). Every pointer below points at the tile's first
// hidden unit; slot or gate s of unit u is then at [s * hp + u].
#pragma once

#include "kernels.h"

namespace gatedrnn {

struct TrainFwdRow {
  const float* acc;    // recurrent GEMM tile row: [block][gate][kPanel], this phase's gates
  float* gates;        // saved gates: the input projection X·Wᵀ in, the activations out
  float* extra;        // saved: GRU linear-before-reset Rh·H(t-1) + Rbh; reset-before r ⊙ H(t-1)
  float* hsave;        // saved H(t-1)
  float* csave;        // saved C(t-1) (LSTM)
  const float* hprev;  // H(t-1)
  float* hnext;        // H(t)
  float* c;            // LSTM cell state, updated in place
  float* rh;           // reset-before GRU: r ⊙ H(t-1), the phase-2 GEMM's input
  float* y;            // this step's row of Y (exactly H floats from unit 0), or null
};

struct TrainFwdArgs {
  const TrainFwdRow* rows;
  int nrows;
  int nblocks;
  int width;            // valid units from the first (the last block may be partial)
  int hp;
  int acc_bstride;      // floats from one block to the next in acc
  const float* bias;    // [G][hp]: Wb + Rb (linear-before-reset GRU's h gate: Wb only)
  const float* rbh;     // [hp]: linear-before-reset GRU's Rb of the h gate
};

struct TrainBwdRow {
  const float* gates;  // saved row of this (step, b), as in TrainFwdRow
  const float* extra;
  const float* hprev;
  const float* cprev;
  const float* dy;     // dL/dY of this step (H floats from unit 0), or null
  float* dh;           // dL/dH(t) from later steps in; out: the part of dL/dH(t-1) that skips R
  float* dc;           // LSTM: dL/dC(t) from later steps in; out: dL/dC(t-1)
  float* dg;           // gradient row (step-major, row-major) [slot][hp]
  const float* drh;    // reset-before GRU, phase 2: (dâ_h · Rh) tile row, [block][kPanel]
};

struct TrainBwdArgs {
  const TrainBwdRow* rows;
  int nrows;
  int nblocks;
  int width;
  int hp;
  // The saved rows of the step that comes next (one step earlier in time) start `ahead` floats
  // before this step's (0: none); each row holds row_vectors pieces of hp floats. The epilogues
  // prefetch them, because a step's rows were written a whole forward pass ago.
  size_t ahead;
  int row_vectors;
};

struct TrainKernels {
  void (*gru_lbr_fwd)(const TrainFwdArgs&);  // linear_before_reset = 1, gates z r h from one GEMM
  void (*gru_zr_fwd)(const TrainFwdArgs&);   // linear_before_reset = 0, phase 1: z, r, r ⊙ H
  void (*gru_h_fwd)(const TrainFwdArgs&);    // linear_before_reset = 0, phase 2: candidate and H
  void (*lstm_fwd)(const TrainFwdArgs&);
  void (*rnn_fwd)(const TrainFwdArgs&);      // plain tanh RNN: the one gate is H(t)
  void (*gru_lbr_bwd)(const TrainBwdArgs&);  // slots h z r (r ⊙ dâ_h)
  void (*gru_hz_bwd)(const TrainBwdArgs&);   // linear_before_reset = 0, phase 1: slots h z
  void (*gru_r_bwd)(const TrainBwdArgs&);    // linear_before_reset = 0, phase 2: slot r
  void (*lstm_bwd)(const TrainBwdArgs&);     // slots i o f c
  void (*rnn_bwd)(const TrainBwdArgs&);      // plain RNN: one slot, the pre-activation gradient
};

const TrainKernels* train_kernels_scalar();
const TrainKernels* train_kernels_avx2();    // null when not compiled for this target
const TrainKernels* train_kernels_avx512();  // null when not compiled for this target
const TrainKernels* train_kernels_neon();    // null when not compiled for this target

}  // namespace gatedrnn
