// The step schedule that the inference pass (rnn_forward.cc) and the training passes
// (rnn_train.cc) share, so that both tile and thread a step alike.
#pragma once

namespace gatedrnn {

// Rows of the recurrent GEMM per call and, at most, blocks of hidden units per call: the step tile.
constexpr int kTileRows = 4;
constexpr int kTileBlocks = 8;
// Rows (timesteps x batch entries) the input projection of one chunk should cover, so that each
// W panel read from memory serves many rows.
constexpr int kChunkRows = 32;
// Below this many multiply-adds per step, a second thread in the recurrence costs more in
// synchronization than it saves.
constexpr double kMinStepWorkPerThread = 12 * 1024;

}  // namespace gatedrnn
