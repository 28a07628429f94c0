// Training epilogues (train_kernels.h), AVX2 + FMA (x86-64): compiled with -mavx2 -mfma, called only after CPUID allows.
#include "train_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)

namespace gatedrnn {
namespace avx2 {
namespace train {

#include "vmath.inc"
#include "train_epilogues.inc"

}  // namespace train
}  // namespace avx2

const TrainKernels* train_kernels_avx2() { return &avx2::train::kTrainTable; }

}  // namespace gatedrnn
#else
namespace gatedrnn {
const TrainKernels* train_kernels_avx2() { return nullptr; }
}  // namespace gatedrnn
#endif
