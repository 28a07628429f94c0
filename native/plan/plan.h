// An inference plan: a whole ONNX graph (embedding gathers, GEMMs with their biases, activations,
// softmax, transposes, slices, concats, recurrent nodes, and the integer ops that turn padded
// token ids into lengths) run as one native call. The weights are prepared once (GEMM right-hand
// sides packed into panels, recurrent weights packed as PackedRnn does); a call runs a program
// that lib/onnx/plan.ts resolved for one set of input shapes: a list of instructions over one
// arena of 4-byte words (floats and int32s), where every value has an offset and views
// (reshapes, squeezes) share their input's. Nothing here knows about files or names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../rnn/rnn_forward.h"

namespace gatedrnn {

// Opcodes and their operands (all int32 words; "slot" is a word offset in the arena).
enum class PlanOp : int32_t {
  Gather = 1,        // out, ids, count, table, rows, width
  Gemm = 2,          // out, A, M, N, K, matrix, bias, biasKind (0 none, 1 [N], 2 [M, N], 3 scalar), alphaParam, betaParam
  AddBias = 3,       // out, in, rows, N, bias          (bias [N] broadcast over rows)
  Unary = 4,         // out, in, count, kind (0 Relu, 1 Sigmoid, 2 Tanh)
  Softmax = 5,       // out, in, rows, width
  Transpose = 6,     // out, in, rank, dims[6], perm[6]
  Slice = 7,         // out, in, rank, inDims[6], starts[6], steps[6], outDims[6]
  Concat = 8,        // out, outer, count, then (slot, chunk) per part
  Rnn = 9,           // rnn, X, T, B, lens, h0, c0, Y, Yh, Yc (-1 where absent)
  EqualScalar = 10,  // out, in, count, value        (int32 in, 0/1 out)
  WhereScalars = 11, // out, cond, count, a, b        (int32 out)
  ReduceSumInt = 12, // out, in, outer, len, inner
  Load = 14,         // out, const, count              (a constant's words into the arena)
};
constexpr int kPlanMaxRank = 6;

// A failure a caller can fix (a token id out of range): reported as an Error, never an abort.
struct PlanError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The constant data one program reads, borrowed from the caller for the length of a call.
struct PlanConst {
  const void* data = nullptr;  // float or int32
  size_t count = 0;
};

class ExecPlan {
 public:
  // matrices: B of each Gemm/MatMul, K x N (stored [N, K] when trans).
  struct Matrix {
    const float* B;
    int K, N;
    bool trans;
  };
  struct Recurrent {
    RnnSpec spec;
    RnnWeights weights;
  };
  ExecPlan(const std::vector<Matrix>& matrices, const std::vector<Recurrent>& rnns, int threads);

  // Runs `program` (count words) over `arena` (words, inputs already in place) on `threads`
  // threads (<= 0: the plan's). Throws PlanError for bad data, std::bad_alloc when memory runs out.
  void run(const int32_t* program, size_t count, const std::vector<float>& params, const std::vector<PlanConst>& consts,
           uint32_t* arena, size_t arena_words, int threads) const;

  size_t packed_bytes() const { return packed_bytes_; }

 private:
  struct Packed {
    AlignedBuffer panels;
    int K, N;
  };
  std::vector<Packed> matrices_;
  std::vector<std::unique_ptr<PackedRnn>> rnns_;
  int threads_;
  size_t packed_bytes_ = 0;
};

}  // namespace gatedrnn
