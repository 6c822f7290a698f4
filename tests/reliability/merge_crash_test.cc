// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// ckm_merge_crash_test: kills a process that merges, unmerges and records at
// random moments, and checks that each merge and unmerge is in the store
// wholly or not at all.
//
//   ckm_merge_crash_test --cycles N --seed S [--dir D]
//
// The parent creates a store of six customers with events, some linking an
// email. Each cycle it starts a child (this binary re-executed with --child)
// that performs one deterministic sequence of operations: operation i is
// drawn from (seed, i), a merge or an unmerge of two customers, skipped
// when it would be refused; between them the child records a few events,
// by id and by email. After each merge or unmerge returns OK the child
// appends "A i" to D/acked.log and fdatasyncs it. The parent kills the
// child 0..100 ms after its first acknowledgement, reopens the store and
// checks that
//   (a) every customer's survivor is what the operations up to the last
//       acknowledged one give, or those and the next one (in flight when
//       the child died, and maybe written): nothing in between;
//   (b) the change records agree: two per operation applied;
//   (c) VerifyAll finds every profile equal to the fold of its group.
// The next child starts at the operation after the last acknowledged one,
// which may be in the store already: a merge is then a no-op, an unmerge
// FailedPrecondition, and both count as done.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ckm/store.h"
#include "event_gen.h"

namespace {

namespace fs = std::filesystem;

constexpr int kCustomers = 6;
constexpr char kAckLog[] = "acked.log";
constexpr char kStoreDir[] = "store";

std::string Cust(int c) { return "cust-" + std::to_string(c); }
std::string Email(int c) { return Cust(c) + "@shop.test"; }

struct Op {
  bool merge = true;
  int survivor = 0;
  int absorbed = 0;
};

Op OpAt(std::uint64_t seed, std::size_t i) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + i);
  Op op;
  op.merge = rng() % 5 < 3;
  op.survivor = static_cast<int>(rng() % kCustomers);
  op.absorbed = static_cast<int>((op.survivor + 1 + rng() % (kCustomers - 1)) %
                                 kCustomers);
  return op;
}

// Who was merged into whom, as the acknowledged operations leave it.
class Links {
 public:
  int Root(int c) const {
    while (parent_[c] >= 0) c = parent_[c];
    return c;
  }
  // Applies `op` if the store would accept it; false if it is skipped.
  bool Apply(const Op& op) {
    if (op.merge) {
      if (Root(op.survivor) == Root(op.absorbed) || parent_[op.absorbed] >= 0)
        return false;
      parent_[op.absorbed] = op.survivor;
      return true;
    }
    for (int c = parent_[op.absorbed]; c >= 0; c = parent_[c]) {
      if (c == op.survivor) {
        parent_[op.absorbed] = -1;
        return true;
      }
    }
    return false;
  }
  std::vector<int> Roots() const {
    std::vector<int> roots;
    for (int c = 0; c < kCustomers; ++c) roots.push_back(Root(c));
    return roots;
  }

 private:
  std::vector<int> parent_ = std::vector<int>(kCustomers, -1);
};

// The last acknowledged operation, -1 if none.
long LastAcked(const fs::path& log) {
  std::ifstream in(log);
  long last = -1;
  std::string tag;
  long i = 0;
  while (in >> tag >> i) {
    if (tag == "A") last = i;
  }
  return last;
}

// The state after operations 0..last, and the operation after it that the
// store would accept (its index in *next).
Links Replay(std::uint64_t seed, long last, std::size_t* next) {
  Links links;
  for (long i = 0; i <= last; ++i) links.Apply(OpAt(seed, i));
  std::size_t i = static_cast<std::size_t>(last + 1);
  Links probe = links;
  while (!probe.Apply(OpAt(seed, i))) ++i;
  *next = i;
  return links;
}

[[noreturn]] void Die(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "merge_crash child: %s: %s\n", what,
               s.ToString().c_str());
  _exit(3);
}

[[noreturn]] void RunChild(const std::string& dir, std::uint64_t seed) {
  const fs::path log = fs::path(dir) / kAckLog;
  std::size_t i = 0;
  Links links = Replay(seed, LastAcked(log), &i);
  const int fd = open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) Die("open", absl::ErrnoToStatus(errno, "ack log"));
  ckm::StoreOptions options;
  options.create_if_missing = false;
  auto store = ckm::Store::Open((fs::path(dir) / kStoreDir).string(), options);
  if (!store.ok()) Die("Open", store.status());
  ckm_test::EventGen gen(seed + i, kCustomers);
  for (bool first = true;; ++i) {
    const Op op = OpAt(seed, i);
    if (!links.Apply(op)) continue;
    std::vector<ckm::Event> events = gen.Events(3);
    events[0].customer =
        ckm::CustomerRef::ByIdentity(ckm::IdentityType::kEmail, Email(0));
    if (auto r = (*store)->Record(events); !r.ok()) Die("Record", r.status());
    ckm::IdentityChangeOptions why;
    why.reason = "op " + std::to_string(i);
    const absl::Status s =
        op.merge ? (*store)->Merge(Cust(op.survivor), Cust(op.absorbed), why)
                 : (*store)->Unmerge(Cust(op.survivor), Cust(op.absorbed), why);
    // The first one may have been written before the last kill.
    if (!s.ok() && !(first && absl::IsFailedPrecondition(s)))
      Die(op.merge ? "Merge" : "Unmerge", s);
    first = false;
    const std::string line = "A " + std::to_string(i) + "\n";
    if (write(fd, line.data(), line.size()) !=
            static_cast<ssize_t>(line.size()) ||
        fdatasync(fd) != 0) {
      Die("ack", absl::ErrnoToStatus(errno, "write"));
    }
  }
}

// Checks the store after a kill; returns the problems found.
int Check(const std::string& dir, std::uint64_t seed, int cycle) {
  const long last = LastAcked(fs::path(dir) / kAckLog);
  std::size_t next = 0;
  const Links before = Replay(seed, last, &next);
  Links after = before;
  after.Apply(OpAt(seed, next));
  auto store = ckm::Store::Open((fs::path(dir) / kStoreDir).string());
  if (!store.ok()) {
    std::printf("cycle %d: reopening: %s\n", cycle,
                store.status().ToString().c_str());
    return 1;
  }
  std::vector<int> roots;
  std::size_t changes = 0;
  for (int c = 0; c < kCustomers; ++c) {
    absl::StatusOr<ckm::CustomerIdentities> ids = (*store)->Identities(Cust(c));
    if (!ids.ok()) {
      std::printf("cycle %d: Identities: %s\n", cycle,
                  ids.status().ToString().c_str());
      return 1;
    }
    roots.push_back(std::stoi(ids->survivor.substr(5)));
    changes += ids->changes.size();
  }
  int problems = 0;
  std::size_t applied = 0;  // operations the store holds
  Links replay;
  for (long i = 0; i <= last; ++i) applied += replay.Apply(OpAt(seed, i));
  const bool in_flight = roots == after.Roots() && roots != before.Roots();
  applied += in_flight;
  if (roots != before.Roots() && roots != after.Roots()) {
    std::printf("cycle %d: the survivors match no acknowledged state\n", cycle);
    ++problems;
  }
  if (changes != 2 * applied) {
    std::printf("cycle %d: %zu change records for %zu operations\n", cycle,
                changes, applied);
    ++problems;
  }
  absl::StatusOr<ckm::StoreReport> report = (*store)->VerifyAll();
  if (!report.ok() || !report->ok()) {
    std::printf("cycle %d: VerifyAll: %s\n", cycle,
                report.ok() ? report->problems.front().detail.c_str()
                            : report.status().ToString().c_str());
    ++problems;
  }
  std::printf("cycle %d: %ld operations acknowledged, %zu applied%s, %s\n",
              cycle, last + 1, applied,
              in_flight ? " (the last one unacknowledged)" : "",
              problems == 0 ? "consistent" : "BROKEN");
  return problems;
}

absl::Status CreateStore(const std::string& dir, std::uint64_t seed) {
  auto store = ckm::Store::Open((fs::path(dir) / kStoreDir).string());
  if (!store.ok()) return store.status();
  std::vector<ckm::Event> events;
  for (int c = 0; c < kCustomers; ++c) {
    events.push_back({900'000 + static_cast<std::uint64_t>(c),
                      ckm::CustomerRef::Id(Cust(c)), 1, "crm",
                      ckm::Identity{ckm::IdentityType::kEmail, Email(c)}});
  }
  ckm_test::EventGen gen(seed, kCustomers);
  for (ckm::Event& e : gen.Events(200)) events.push_back(std::move(e));
  return (*store)->Record(events).status();
}

int RunParent(int cycles, std::uint64_t seed, std::string dir) {
  const bool remove_dir = dir.empty();
  if (remove_dir) {
    dir = (fs::temp_directory_path() /
           ("ckm-merge-crash-" + std::to_string(std::random_device()())))
              .string();
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  if (absl::Status s = CreateStore(dir, seed); !s.ok()) {
    std::fprintf(stderr, "creating the store: %s\n", s.ToString().c_str());
    return 2;
  }
  std::mt19937_64 rng(seed);
  int problems = 0;
  for (int cycle = 1; cycle <= cycles; ++cycle) {
    const std::vector<std::string> args = {
        "/proc/self/exe", "--child",           "--dir", dir,
        "--seed",         std::to_string(seed)};
    std::vector<char*> argv;
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const fs::path log = fs::path(dir) / kAckLog;
    const long acked = LastAcked(log);
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
      execv("/proc/self/exe", argv.data());
      _exit(127);
    }
    for (int waited = 0; LastAcked(log) == acked && waited < 60'000; ++waited)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFSIGNALED(status)) {
      std::printf("cycle %d: the child stopped on its own (%d)\n", cycle,
                  status);
      ++problems;
    }
    problems += Check(dir, seed, cycle);
  }
  std::printf("{\"cycles\":%d,\"problems\":%d}\n", cycles, problems);
  if (remove_dir && problems == 0) fs::remove_all(dir);
  return problems == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int cycles = 10;
  std::uint64_t seed = 1;
  std::string dir;
  bool child = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--child") {
      child = true;
    } else if (a == "--cycles" && has_value) {
      cycles = std::atoi(argv[++i]);
    } else if (a == "--seed" && has_value) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--dir" && has_value) {
      dir = argv[++i];
    } else {
      std::fprintf(
          stderr,
          "usage: ckm_merge_crash_test --cycles N --seed S [--dir D]\n");
      return 2;
    }
  }
  if (child) RunChild(dir, seed);
  return RunParent(cycles, seed, dir);
}
