// The embedding layer's table lookups (lib/layers/embedding.ts calls them through lib/ops): rows of
// a [rows, d] table gathered by token id, and the gradient's rows accumulated back.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gatedrnn {

// out[i, :] = table[ids[i], :] for i in [0, n). Every id must be a row of the table.
void embedding_gather(const float* table, const int32_t* ids, size_t n, size_t d, float* out);

// grad[ids[i], :] += dy[i, :] for i in [0, n), in order of i (a repeated id sums its rows in that
// order, as the JavaScript loop it replaces did). Every id must be a row of grad.
void embedding_scatter_add(float* grad, const int32_t* ids, size_t n, size_t d, const float* dy);

}  // namespace gatedrnn
