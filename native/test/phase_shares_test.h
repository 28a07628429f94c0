// The PhaseShares and RowChunks schedule checks, part of the native test program (see phase_shares_test.cc).
#pragma once

namespace gatedrnn_test {

// Runs phases with members that never come, come late, or help from outside; checks that every
// share of every phase runs exactly once and only after the whole previous phase. Adds to the
// two counters. Also the row groups x chunks of a pass split by rows (RowChunks): every piece once,
// each group's chunks in order and one at a time, whoever comes.
void run_phase_shares_tests(int& passed, int& failed);

}  // namespace gatedrnn_test
