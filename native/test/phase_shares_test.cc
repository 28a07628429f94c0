#include "phase_shares_test.h"

#include <atomic>
#include <chrono>
#include <string>
#include <cstdio>
#include <thread>
#include <vector>

#include "../cpu/parallel.h"

namespace gatedrnn_test {

namespace {

using gatedrnn::PhaseShares;

// One scenario: `members` shares per phase, `phases` phases; thread k of `threads` runs as member
// roles[k] (-1: a helper) after delays_ms[k]. Returns an empty string or what went wrong.
std::string scenario(int members, int phases, const std::vector<int>& roles, const std::vector<int>& delays_ms) {
  PhaseShares shares;
  shares.reset(members);
  std::vector<std::atomic<int>> runs(static_cast<size_t>(members) * phases);
  std::atomic<int> early{0};
  auto body = [&](int k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delays_ms[k]));
    PhaseShares::Cursor cursor;
    for (int p = 0; p < phases; ++p) {
      shares.run_phase(roles[k], cursor, [&](int m) {
        // Every share of the previous phase must be complete before any share of this one.
        for (int q = 0; p > 0 && q < members; ++q)
          if (runs[static_cast<size_t>(p - 1) * members + q].load() != 1) early.fetch_add(1);
        runs[static_cast<size_t>(p) * members + m].fetch_add(1);
      });
    }
  };
  std::vector<std::thread> threads;
  for (size_t k = 1; k < roles.size(); ++k) threads.emplace_back(body, static_cast<int>(k));
  body(0);
  for (auto& t : threads) t.join();
  if (early.load()) return "a share ran before the previous phase was complete";
  for (int p = 0; p < phases; ++p)
    for (int m = 0; m < members; ++m) {
      const int r = runs[static_cast<size_t>(p) * members + m].load();
      if (r != 1) return "phase " + std::to_string(p) + " share " + std::to_string(m) + " ran " + std::to_string(r) + " times";
    }
  return "";
}

}  // namespace

void run_phase_shares_tests(int& passed, int& failed) {
  struct Case {
    const char* name;
    int members;
    std::vector<int> roles, delays_ms;
  };
  const Case cases[] = {
      {"all members on time", 4, {0, 1, 2, 3}, {0, 0, 0, 0}},
      {"one member never comes", 3, {0, 1}, {0, 0}},
      {"only member 0 comes", 4, {0}, {0}},
      {"a member comes late", 2, {0, 1}, {0, 5}},
      {"a helper and a late member", 3, {0, -1, 2, 1}, {0, 0, 0, 8}},
      {"only a helper", 2, {-1}, {0}},
  };
  int n = 0;
  for (const Case& c : cases) {
    for (int phases : {1, 7, 300}) {
      const std::string why = scenario(c.members, phases, c.roles, c.delays_ms);
      ++n;
      if (why.empty()) {
        ++passed;
      } else {
        ++failed;
        std::printf("FAIL phase shares '%s', %d phases: %s\n", c.name, phases, why.c_str());
      }
    }
  }
  std::printf("phase shares: %d cases\n", n);
}

}  // namespace gatedrnn_test
