// The bf16-weight GEMM checks, part of the native test program (see bf16_test.cc).
#pragma once

namespace gatedrnn_test {

// Runs them for every kernel table this CPU runs (both bf16 kernels of avx512 where the CPU has
// AVX512_BF16), printing one line per kernel and any failure; adds to the two counters.
void run_bf16_tests(int& passed, int& failed);

}  // namespace gatedrnn_test
