// The PhaseShares schedule checks, part of the native test program (see phase_shares_test.cc).
#pragma once

namespace gatedrnn_test {

// Runs phases with members that never come, come late, or help from outside; checks that every
// share of every phase runs exactly once and only after the whole previous phase. Adds to the
// two counters.
void run_phase_shares_tests(int& passed, int& failed);

}  // namespace gatedrnn_test
