// The per-ISA kernel table: packed-panel GEMM micro-kernels and the fused gate epilogues.
// One table per instruction set (scalar, avx2, avx512, neon), chosen once at load from the CPU's
// features (GATEDRNN_ISA forces one) and switchable for tests.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../common/spec.h"

namespace gatedrnn {

// Weights are packed into panels of kPanel output units: panel[k * kstride + lane] holds
// weight (unit = first_unit + lane, k). kstride is kPanel for a panel stored alone, or a multiple
// of it when the panels of several gates are interleaved k by k (one memory stream for all of
// them). Panels are 64-byte aligned and zero padded.
constexpr int kPanel = 16;

// C[r, p*kPanel + l] = sum_k A[r*lda + k] * panels[p][k*kstride + l], for r < mr, p < np.
using GemmFn = void (*)(int K, const float* A, size_t lda, int mr, const float* const* panels, size_t kstride,
                        int np, float* C, size_t ldc);

// The same product with A transposed when trans_a (element (r, k) at A[k*lda + r], A being [K, mr])
// and added to C when accumulate: the training GEMMs, which read X and H(t-1) rows as they lie and
// sum over blocks of K in C.
using GemmExFn = void (*)(int K, const float* A, size_t lda, bool trans_a, int mr, const float* const* panels,
                          size_t kstride, int np, float* C, size_t ldc, bool accumulate);

// The same product over bf16 weight panels (layout, packing and reference in gemm_bf16.h); A and C
// stay fp32 and C is overwritten.
using GemmBf16Fn = void (*)(int K, const float* A, size_t lda, int mr, const uint16_t* const* panels,
                            int np, float* C, size_t ldc);

struct AdamStep;  // optimizer.h
// Adam over elements [a, b) of w (optimizer.h).
using AdamFn = void (*)(float* w, const float* g, float* m, float* v, size_t a, size_t b, const AdamStep& s);

// One batch row of a step tile. acc and xw point at the tile's first block; the state rows
// (hprev ... rh) point at the tile's first hidden unit.
struct GateRow {
  const float* acc;    // recurrent GEMM result: [block][gate][kPanel]
  const float* xw;     // hoisted input projection X·Wᵀ: [block][gate][kPanel]
  const float* hprev;  // H(t-1)
  float* hnext;        // H(t)
  float* c;            // LSTM cell state, updated in place
  float* y;            // this step's row of Y, or null
  float* z;            // GRU (reset-before): the z gate, kept between the two phases
  float* rh;           // GRU (reset-before): r ⊙ H(t-1), the second GEMM's input
};

// A step tile: rows x `nblocks` blocks of kPanel hidden units (`width` units in all; only the last
// block may be partial). Within a block the gates follow one another, kPanel floats apart.
struct EpilogueArgs {
  const GateRow* rows;
  int nrows;
  int nblocks;
  int width;
  int acc_bstride;        // floats from one block to the next in acc
  int xw_bstride;         // ... in xw
  int par_bstride;        // ... in bias
  const float* bias;      // [block][gate][kPanel]: Wb + Rb (reset-after GRU's h gate: Wb only)
  const float* rbh;       // reset-after GRU: Rb of the h gate, unit-contiguous
  const float* peep;      // LSTM peepholes: [block][i o f][kPanel], or null
  const Act* acts;        // f, g, h of this direction
  bool has_clip;
  float clip;
  bool input_forget;
};

struct KernelTable {
  const char* name;
  GemmFn gemm;
  GemmExFn gemm_ex;
  int block_panels;  // panels per register block of 4 rows in gemm: chunks of a multiple run best
  // bf16 weights, fp32 sums. "emulated": widened to fp32 exactly, products with fp32 A, on every
  // ISA. "avx512bf16": vdpbf16ps, which also rounds A to bf16 (see isa.h for how it is chosen).
  GemmBf16Fn gemm_bf16;
  const char* gemm_bf16_kind;
  void (*rnn_step)(const EpilogueArgs&);       // H = f(.)
  void (*gru_step_lbr)(const EpilogueArgs&);   // linear_before_reset=1: z, r, h from one GEMM
  void (*gru_step_zr)(const EpilogueArgs&);    // linear_before_reset=0, phase 1: z and r ⊙ H
  void (*gru_step_h)(const EpilogueArgs&);     // linear_before_reset=0, phase 2: candidate and H
  void (*lstm_step)(const EpilogueArgs&);
  // `iters` rounds of 12 independent 16-lane multiply-adds (384 flops a round): the arithmetic
  // peak the benchmarks compare against. Writes a result to *sink so nothing is optimized away.
  void (*fma_loop)(long iters, float* sink);
  // Adam (optimizer.h): the reference loop, or a vector form with the same roundings element by
  // element, so every table gives the same bits.
  AdamFn adam;
};

const KernelTable* kernels_scalar();
const KernelTable* kernels_avx2();    // null when not compiled for this target
const KernelTable* kernels_avx512();  // null when not compiled for this target
const KernelTable* kernels_neon();    // null when not compiled for this target
// The vdpbf16ps kernel (AVX512_BF16); null when not compiled for this target or compiler.
GemmBf16Fn gemm_bf16_avx512_dpbf16();
// `iters` rounds of 12 independent vdpbf16ps (16 lanes x a bf16 pair: 768 flops a round), the
// peak of the vdpbf16ps kernel; null where that kernel is.
void (*dpbf16_loop_avx512())(long iters, float* sink);

}  // namespace gatedrnn
