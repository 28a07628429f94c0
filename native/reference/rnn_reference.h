// Scalar reference forward pass of the ONNX RNN, GRU and LSTM operators (the test oracle).
#pragma once

#include "../common/spec.h"

namespace gatedrnn {
namespace reference {

// Computes every requested output; weights are the raw ONNX tensors (no packing).
void rnn_forward(const RnnSpec& spec, const RnnWeights& weights, const RnnInputs& in,
                 const RnnOutputs& out);

}  // namespace reference
}  // namespace gatedrnn
