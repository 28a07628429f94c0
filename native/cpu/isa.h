// Which kernel table runs: detected from the CPU once, overridable by GATEDRNN_ISA or by tests.
#pragma once

#include <string>
#include <vector>

#include "kernels.h"

namespace gatedrnn {

struct TrainKernels;

// The table in use now.
const KernelTable& active_kernels();
// The training epilogues (train_kernels.h) of the same instruction set: paired with each table
// once at load, so select_isa switches both.
const TrainKernels& active_train_kernels();
// Names of the tables this CPU can run, best first (e.g. {"avx512", "avx2", "scalar"}).
std::vector<std::string> supported_isas();
// Switches the table; returns false (and changes nothing) when the CPU cannot run `name`.
bool select_isa(const std::string& name);

// bf16 weights (KernelTable::gemm_bf16). Where the CPU has AVX512_BF16 the avx512 table uses the
// vdpbf16ps kernel (gemm_bf16_kind "avx512bf16"), which rounds A to bf16 as well; every other
// table, and avx512 when told to, widens the weights to fp32 instead ("emulated": fp32 A, exact
// products). GATEDRNN_BF16=emulate starts with the emulated kernel; tests switch both ways.
// Whether this CPU (and this build) can run the vdpbf16ps kernel.
bool bf16_native_supported();
// From now on uses vdpbf16ps (true) or the emulated kernel (false), in the active table and in
// whichever select_isa picks later. Returns false (and changes nothing) when vdpbf16ps is asked for
// and bf16_native_supported() is false.
bool select_bf16_native(bool native);

}  // namespace gatedrnn
