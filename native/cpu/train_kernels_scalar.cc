// Training epilogues (train_kernels.h), Portable: the target's baseline, the fallback on every CPU.
#include "train_kernels.h"

namespace gatedrnn {
namespace scalar {
namespace train {

#include "vmath.inc"
#include "train_epilogues.inc"

}  // namespace train
}  // namespace scalar

const TrainKernels* train_kernels_scalar() { return &scalar::train::kTrainTable; }

}  // namespace gatedrnn
