#include "phase_shares_test.h"

#include <atomic>
#include <chrono>
#include <string>
#include <cstdio>
#include <thread>
#include <vector>

#include "../cpu/parallel.h"
#include "../rnn/schedule.h"

namespace gatedrnn_test {

namespace {

using gatedrnn::PhaseShares;

// One scenario: `members` shares per phase (owned by `owners` members in runs; 0: one each),
// `phases` phases; thread k of `threads` runs as member roles[k] (-1: a helper) after delays_ms[k]. Returns an empty string or what went wrong.
std::string scenario(int members, int phases, const std::vector<int>& roles, const std::vector<int>& delays_ms,
                     int owners = 0) {
  PhaseShares shares;
  shares.reset(members, owners);
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


// RowChunks: `groups` row groups of `chunks` chunks; thread k starts at row group homes[k] after
// delays_ms[k]. Every piece must run exactly once, a group's chunks in order and never two of one
// group at once. Returns an empty string or what went wrong.
std::string row_chunks_scenario(int groups, int chunks, const std::vector<int>& homes, const std::vector<int>& delays_ms) {
  gatedrnn::schedule::RowChunks rc;
  rc.reset(groups, chunks);
  const int ng = rc.groups();
  std::vector<std::atomic<int>> next(static_cast<size_t>(ng)), inside(static_cast<size_t>(ng));
  std::atomic<int> runs{0}, wrong{0};
  auto body = [&](int k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delays_ms[k]));
    rc.run(homes[k], [&](int g, int chunk) {
      if (inside[g].fetch_add(1) != 0) wrong.fetch_add(1);
      if (next[g].load() != chunk) wrong.fetch_add(1);
      next[g].store(chunk + 1);
      runs.fetch_add(1);
      inside[g].fetch_sub(1);
    });
  };
  std::vector<std::thread> threads;
  for (size_t k = 1; k < homes.size(); ++k) threads.emplace_back(body, static_cast<int>(k));
  body(0);
  // The caller's run() returns only when every piece is done, whoever ran it.
  const int done_when_caller_returned = runs.load();
  for (auto& t : threads) t.join();
  if (wrong.load()) return "a group's chunks ran out of order or two at once";
  if (done_when_caller_returned != ng * chunks) return "the caller returned before every piece was done";
  if (runs.load() != ng * chunks) return "pieces ran " + std::to_string(runs.load()) + " times, not " + std::to_string(ng * chunks);
  return "";
}

}  // namespace

void run_phase_shares_tests(int& passed, int& failed) {
  struct Case {
    const char* name;
    int members;
    std::vector<int> roles, delays_ms;
    int owners;
  };
  const Case cases[] = {
      {"all members on time", 4, {0, 1, 2, 3}, {0, 0, 0, 0}},
      {"one member never comes", 3, {0, 1}, {0, 0}},
      {"only member 0 comes", 4, {0}, {0}},
      {"a member comes late", 2, {0, 1}, {0, 5}},
      {"a helper and a late member", 3, {0, -1, 2, 1}, {0, 0, 0, 8}},
      {"only a helper", 2, {-1}, {0}},
      {"runs of 4 shares, a member comes late", 8, {0, 1}, {0, 5}, 2},
      {"runs of 2 shares, one member never comes", 6, {0, 1}, {0, 0}, 3},
      {"uneven runs, a helper and a late member", 11, {0, -1, 2, 1}, {0, 0, 0, 8}, 3},
  };
  int n = 0;
  for (const Case& c : cases) {
    for (int phases : {1, 7, 300}) {
      const std::string why = scenario(c.members, phases, c.roles, c.delays_ms, c.owners);
      ++n;
      if (why.empty()) {
        ++passed;
      } else {
        ++failed;
        std::printf("FAIL phase shares '%s', %d phases: %s\n", c.name, phases, why.c_str());
      }
    }
  }
  struct RowCase {
    const char* name;
    int groups;
    std::vector<int> homes, delays_ms;
  };
  const RowCase row_cases[] = {
      {"two threads on time", 4, {0, 2}, {0, 0}},
      {"a thread comes late", 8, {0, 4}, {0, 5}},
      {"only the caller", 3, {0}, {0}},
      {"three threads, one row group", 1, {0, 0, 0}, {0, 1, 2}},
      {"more groups than the limit", 100, {0, 50, 99}, {0, 0, 3}},
  };
  for (const RowCase& c : row_cases) {
    for (int chunks : {0, 1, 9, 200}) {
      const std::string why = row_chunks_scenario(c.groups, chunks, c.homes, c.delays_ms);
      ++n;
      if (why.empty()) {
        ++passed;
      } else {
        ++failed;
        std::printf("FAIL row chunks '%s', %d chunks: %s\n", c.name, chunks, why.c_str());
      }
    }
  }
  std::printf("phase shares and row chunks: %d cases\n", n);
}

}  // namespace gatedrnn_test
