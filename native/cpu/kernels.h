// The per-ISA kernel table: packed-panel GEMM micro-kernels and the fused gate epilogues.
// One table per instruction set (scalar, avx2, avx512, neon), chosen once at load from the CPU's
// features (GATEDRNN_ISA forces one) and switchable for tests.
#pragma once

#include <cstddef>

#include "../rnn/spec.h"

namespace gatedrnn {

// Weights are packed into panels of kPanel output units: panel[k * kPanel + lane] holds
// weight (unit = first_unit + lane, k). Panels are 64-byte aligned and zero padded.
constexpr int kPanel = 16;

// C[r, p*kPanel + l] = sum_k A[r*lda + k] * panels[p][k*kPanel + l], for r < mr, p < np.
using GemmFn = void (*)(int K, const float* A, size_t lda, int mr, const float* const* panels, int np,
                        float* C, size_t ldc);

// One batch row of a step tile. Every pointer already points at the tile's first hidden unit.
struct GateRow {
  const float* acc;    // recurrent GEMM result; gate g at acc + g * acc_gstride
  const float* xw;     // hoisted input projection X·Wᵀ; gate g at xw + g * xw_gstride
  const float* hprev;  // H(t-1)
  float* hnext;        // H(t)
  float* c;            // LSTM cell state, updated in place
  float* y;            // this step's row of Y, or null
  float* z;            // GRU (reset-before): the z gate, kept between the two phases
  float* rh;           // GRU (reset-before): r ⊙ H(t-1), the second GEMM's input
};

struct EpilogueArgs {
  const GateRow* rows;
  int nrows;
  int width;              // hidden units in the tile
  int acc_gstride;        // floats between gates in acc
  int xw_gstride;         // floats between gates in xw, bias and peep
  const float* bias;      // Wb + Rb per gate (the h gate of a reset-after GRU: Wb only)
  const float* rbh;       // reset-after GRU: Rb of the h gate
  const float* peep;      // LSTM peepholes P: i, o, f
  const Act* acts;        // f, g, h of this direction
  bool has_clip;
  float clip;
  bool input_forget;
};

struct KernelTable {
  const char* name;
  GemmFn gemm;
  void (*rnn_step)(const EpilogueArgs&);       // H = f(.)
  void (*gru_step_lbr)(const EpilogueArgs&);   // linear_before_reset=1: z, r, h from one GEMM
  void (*gru_step_zr)(const EpilogueArgs&);    // linear_before_reset=0, phase 1: z and r ⊙ H
  void (*gru_step_h)(const EpilogueArgs&);     // linear_before_reset=0, phase 2: candidate and H
  void (*lstm_step)(const EpilogueArgs&);
  // Applies one activation in place to n floats (used by tests of the vector math).
  void (*activate)(const Act& a, float* x, int n);
};

const KernelTable* kernels_scalar();
const KernelTable* kernels_avx2();    // null when not compiled for this target
const KernelTable* kernels_avx512();  // null when not compiled for this target
const KernelTable* kernels_neon();    // null when not compiled for this target

}  // namespace gatedrnn
