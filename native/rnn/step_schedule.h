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

// Whether `members` threads split a step's batch rows rather than its hidden units: when each can
// have a full tile of rows. Each then reads all of R and W, but no member reads another's H, so
// the shares need no rendezvous per step. Handing H across cores every step costs most where the
// two cores sit on different core complexes (a cache-line round trip several times longer than
// within one): there the split by units was measured up to 1.2x slower at B=16..32, and never
// faster at B=8..128, H=128..512 (bench/RESULTS.md).
inline bool split_by_rows(int members, int batch) { return members > 1 && batch >= members * kTileRows; }

// Runs a pass's phases: sequence(each_phase) calls each_phase(work) once per phase, and
// each_phase runs work(share) for every share. Split by rows, no share reads another's state, so
// each share runs its whole sequence as one phase of run_phase; otherwise every phase is one.
template <class RunPhase, class Sequence>
void run_sequence(bool by_rows, RunPhase&& run_phase, Sequence&& sequence) {
  if (by_rows) {
    run_phase([&](int m) { sequence([m](auto&& work) { work(m); }); });
  } else {
    sequence(run_phase);
  }
}

}  // namespace gatedrnn
