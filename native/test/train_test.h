// Training kernel checks (train_test.cc), run by native_test.cc's main.
#pragma once

namespace gatedrnn_test {

// Adds to the counts and prints each failure; leaves the last ISA it tested selected.
void run_train_tests(int& passed, int& failed);

}  // namespace gatedrnn_test
