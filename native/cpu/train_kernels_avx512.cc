// Training epilogues (train_kernels.h), AVX-512 (x86-64): compiled with -mavx512f, called only after CPUID allows.
#include "train_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace gatedrnn {
namespace avx512 {
namespace train {

#define GATEDRNN_VMATH_AVX512 1  // vmath.inc: the vscalefps / vrcp14ps forms
#include "vmath.inc"
#include "train_epilogues.inc"

}  // namespace train
}  // namespace avx512

const TrainKernels* train_kernels_avx512() { return &avx512::train::kTrainTable; }

}  // namespace gatedrnn
#else
namespace gatedrnn {
const TrainKernels* train_kernels_avx512() { return nullptr; }
}  // namespace gatedrnn
#endif
