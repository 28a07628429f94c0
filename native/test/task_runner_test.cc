#include "task_runner_test.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../cpu/task_runner.h"

namespace gatedrnn_test {

namespace {

using gatedrnn::RunnerTask;
using gatedrnn::TaskRunner;
using Clock = std::chrono::steady_clock;

// Waits for a condition, for at most 10 s (a broken runner must fail the test, not hang it).
template <class Cond>
bool wait_for(Cond cond) {
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (!cond()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return true;
}

struct Log {
  std::mutex mu;
  std::vector<int> started;
  std::atomic<int> ran{0}, finished{0};
};

class CountTask : public RunnerTask {
 public:
  CountTask(Log& log, int id, const void* who, std::atomic<bool>* gate = nullptr) : log_(log), id_(id), gate_(gate) {
    owner = who;
  }
  void run() override {
    {
      std::lock_guard<std::mutex> lock(log_.mu);
      log_.started.push_back(id_);
    }
    if (gate_) wait_for([&] { return gate_->load(); });
    log_.ran.fetch_add(1);
  }
  void finished() override {
    log_.finished.fetch_add(1);
    delete this;
  }

 private:
  Log& log_;
  int id_;
  std::atomic<bool>* gate_;
};

std::string many_posters() {
  Log log;
  const int kThreads = 4, kEach = 500;
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t)
    posters.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        TaskRunner::instance().post(new CountTask(log, t * kEach + i, &log));
        if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // let runners go idle
      }
    });
  for (auto& p : posters) p.join();
  if (!wait_for([&] { return log.finished.load() == kThreads * kEach; }))
    return "only " + std::to_string(log.finished.load()) + " of " + std::to_string(kThreads * kEach) + " tasks finished";
  if (log.ran.load() != kThreads * kEach) return "tasks ran " + std::to_string(log.ran.load()) + " times";
  std::vector<int> seen(kThreads * kEach, 0);
  for (int id : log.started) ++seen[id];
  for (int s : seen)
    if (s != 1) return "a task started " + std::to_string(s) + " times";
  if (TaskRunner::instance().threads() > TaskRunner::kMaxRunners) return "more runner threads than kMaxRunners";
  return "";
}

std::string together() {
  // Two tasks that each wait for the other to have started: they finish only if two runners take
  // them at once.
  struct Pair : RunnerTask {
    std::atomic<int>& started;
    std::atomic<bool>& ok;
    std::atomic<int>& done;
    Pair(std::atomic<int>& s, std::atomic<bool>& k, std::atomic<int>& d) : started(s), ok(k), done(d) {}
    void run() override {
      started.fetch_add(1);
      if (!wait_for([&] { return started.load() == 2; })) ok.store(false);
    }
    void finished() override {
      done.fetch_add(1);
      delete this;
    }
  };
  std::atomic<int> started{0}, done{0};
  std::atomic<bool> ok{true};
  TaskRunner::instance().post(new Pair(started, ok, done));
  TaskRunner::instance().post(new Pair(started, ok, done));
  if (!wait_for([&] { return done.load() == 2; }) || !ok.load()) return "two tasks posted together did not run at the same time";
  return "";
}

std::string cancel_waits_for_running() {
  // Occupy every runner with gated tasks of owner A, queue more of A and some of B; cancel A.
  Log a, b;
  std::atomic<bool> open{false};
  const int busy = TaskRunner::kMaxRunners;
  for (int i = 0; i < busy; ++i) TaskRunner::instance().post(new CountTask(a, i, &a, &open));
  if (!wait_for([&] {
        std::lock_guard<std::mutex> lock(a.mu);
        return static_cast<int>(a.started.size()) == busy;
      }))
    return "the gated tasks did not all start";
  for (int i = 0; i < 10; ++i) TaskRunner::instance().post(new CountTask(a, busy + i, &a));
  for (int i = 0; i < 5; ++i) TaskRunner::instance().post(new CountTask(b, i, &b));
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    open.store(true);
  });
  std::vector<RunnerTask*> taken = TaskRunner::instance().cancel_and_wait(&a);
  // Returned only after the running tasks of A were handed over.
  const int finished_at_return = a.finished.load();
  opener.join();
  for (RunnerTask* t : taken) delete t;
  if (static_cast<int>(taken.size()) != 10) return "cancel took back " + std::to_string(taken.size()) + " tasks, not 10";
  if (finished_at_return != busy) return "cancel returned with " + std::to_string(finished_at_return) + " running tasks unfinished";
  if (!wait_for([&] { return b.finished.load() == 5; })) return "another owner's tasks did not run after the cancel";
  if (a.ran.load() != busy) return "a cancelled task ran";
  return "";
}

}  // namespace

void run_task_runner_tests(int& passed, int& failed) {
  struct Case {
    const char* name;
    std::string (*fn)();
  };
  const Case cases[] = {
      {"many posters", many_posters},
      {"two tasks at once", together},
      {"cancel waits for running tasks", cancel_waits_for_running},
  };
  for (const Case& c : cases) {
    const std::string why = c.fn();
    if (why.empty()) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAIL task runner '%s': %s\n", c.name, why.c_str());
    }
  }
  std::printf("task runner: %zu cases\n", sizeof cases / sizeof cases[0]);
}

}  // namespace gatedrnn_test
