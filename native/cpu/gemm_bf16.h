// Opt-in reduced precision: weights stored as bf16 panels, products summed in fp32.
//
// At batch 1 a recurrent step is a matrix-vector product that streams every weight once; past
// L2 (GRU R at H=512 is 3 MB in fp32) its speed is the bytes per weight, and bf16 halves them.
// bf16 keeps fp32's exponent and 8 of its 24 significand bits: a weight moves by at most 2^-8 of
// itself.
//
// Layout, the same for every ISA (the ISA can switch at run time without repacking): a panel
// holds kPanel = 16 output units; K is padded to an even Kp and the two weights of a k pair sit
// side by side in one 32-bit lane:
//   panel[(k / 2) * 2 * kPanel + lane * 2 + (k % 2)] = bf16(W[unit0 + lane][k])
// One k pair of a panel is 64 bytes (one cache line, one zmm), which is what vdpbf16ps reads; the
// widening kernels get both fp32 weights of a lane back with one shift and one AND.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels.h"

namespace gatedrnn {

// uint16 elements per panel for reduction length K (K rounded up to even, times kPanel).
inline size_t bf16_panel_elems(int K) { return static_cast<size_t>((K + 1) & ~1) * kPanel; }

// Round to nearest even; NaN stays NaN (quietened, sign kept), overflow rounds to infinity.
uint16_t fp32_to_bf16(float x);
// Exact.
float bf16_to_fp32(uint16_t x);

// Packs rows [row0, row0 + H) of a row-major [*, K] matrix into `blocks` panels of kPanel units
// (the fp32 pack's contract): panel b starts at dst + b * bf16_panel_elems(K). Units past H and
// the pad of an odd K are written as zeros. 64-byte aligned panels are fastest; any work.
void pack_panels_bf16(const float* src, int row0, int H, int K, int blocks, uint16_t* dst);

// The oracle for tests: C = A · panelsᵀ as GemmBf16Fn, with every bf16 weight widened exactly and
// the sums taken in double, then rounded once to fp32.
void gemm_bf16_reference(int K, const float* A, size_t lda, int mr, const uint16_t* const* panels, int np,
                         float* C, size_t ldc);

}  // namespace gatedrnn
