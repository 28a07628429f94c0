// The TaskRunner checks, part of the native test program (see task_runner_test.cc).
#pragma once

namespace gatedrnn_test {

// Posts tasks from several threads: every task runs once and is handed over once, tasks posted
// together run at the same time on separate runners, and cancel_and_wait takes back the tasks not
// started and returns only once the running ones are done. Adds to the two counters.
void run_task_runner_tests(int& passed, int& failed);

}  // namespace gatedrnn_test
