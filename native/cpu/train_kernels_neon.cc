// Training epilogues (train_kernels.h), NEON (arm64, part of the baseline).
#include "train_kernels.h"

#if defined(__aarch64__)

namespace gatedrnn {
namespace neon {
namespace train {

#include "vmath.inc"
#include "train_epilogues.inc"

}  // namespace train
}  // namespace neon

const TrainKernels* train_kernels_neon() { return &neon::train::kTrainTable; }

}  // namespace gatedrnn
#else
namespace gatedrnn {
const TrainKernels* train_kernels_neon() { return nullptr; }
}  // namespace gatedrnn
#endif
