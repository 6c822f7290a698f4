// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// merge_bench: what identity resolution costs (benchmarks/README.md).
//
//   merge_bench [--dir D] [--quick]
//
// 1. Merge and unmerge of two customers with N events each (N = 10, 1,000,
//    100,000; --quick stops at 1,000): wall time, and bytes the call added
//    to the store's files (its synced write-ahead log record).
// 2. Record throughput when 0% and 5% of events name their customer by an
//    identity or by the id of a customer merged into another.
// One line per figure: "name value unit".

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ckm/store.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

[[noreturn]] void Die(const absl::Status& s) {
  std::fprintf(stderr, "merge_bench: %s\n", s.ToString().c_str());
  std::exit(1);
}

std::unique_ptr<ckm::Store> Open(const std::string& dir) {
  std::filesystem::remove_all(dir);
  ckm::StoreOptions options;
  // Not kNone: a merge after unlogged writes would first flush them, and be
  // measured with that flush.
  options.durability = ckm::Durability::kBuffered;
  absl::StatusOr<std::unique_ptr<ckm::Store>> store =
      ckm::Store::Open(dir, options);
  if (!store.ok()) Die(store.status());
  return *std::move(store);
}

ckm::Event Order(std::uint64_t id, const std::string& customer,
                 std::mt19937_64& rng) {
  ckm::Purchase p{"o" + std::to_string(id), "GBP"};
  for (int line = 0; line < 2; ++line) {
    p.lines.push_back({"sku-" + std::to_string(rng() % 2000),
                       "cat-" + std::to_string(rng() % 20), 1,
                       static_cast<std::int64_t>(1 + rng() % 50) * 1'000'000});
  }
  return ckm::Event{id, ckm::CustomerRef::Id(customer),
                    1'700'000'000'000 + static_cast<std::int64_t>(id) * 1000,
                    "pos", p};
}

std::int64_t DiskBytes(ckm::Store& store) {
  absl::StatusOr<ckm::StoreStats> stats = store.Stats();
  if (!stats.ok()) Die(stats.status());
  return stats->disk_bytes;
}

void MergeCost(const std::string& dir, std::size_t events) {
  auto store = Open(dir);
  std::mt19937_64 rng(events);
  std::vector<ckm::Event> batch;
  for (std::size_t i = 0; i < 2 * events; ++i) {
    batch.push_back(Order(i + 1, i % 2 == 0 ? "ann" : "bob", rng));
    if (batch.size() == 1000 || i + 1 == 2 * events) {
      if (auto r = store->Record(batch); !r.ok()) Die(r.status());
      batch.clear();
    }
  }
  if (auto s = store->Flush(); !s.ok()) Die(s);
  std::int64_t before = DiskBytes(*store);
  auto t = Clock::now();
  if (auto s = store->Merge("bob", "ann"); !s.ok()) Die(s);
  std::printf("merge_%zu_events_each_ms %.2f ms\n", events, Seconds(t) * 1e3);
  std::printf("merge_%zu_events_each_bytes %lld bytes\n", events,
              static_cast<long long>(DiskBytes(*store) - before));
  before = DiskBytes(*store);
  t = Clock::now();
  if (auto s = store->Unmerge("bob", "ann"); !s.ok()) Die(s);
  std::printf("unmerge_%zu_events_each_ms %.2f ms\n", events, Seconds(t) * 1e3);
  std::printf("unmerge_%zu_events_each_bytes %lld bytes\n", events,
              static_cast<long long>(DiskBytes(*store) - before));
}

// Events over `customers`; `indirect` of a hundred name their customer by
// email or, for customers merged into another, by the absorbed id.
void Throughput(const std::string& dir, int indirect, std::size_t total) {
  auto store = Open(dir);
  constexpr int kCustomers = 20'000;
  std::vector<ckm::Event> setup;
  for (int c = 0; c < kCustomers; ++c) {
    const std::string id = "c" + std::to_string(c);
    setup.push_back(
        {5'000'000 + static_cast<std::uint64_t>(c), ckm::CustomerRef::Id(id),
         1'600'000'000'000, "crm",
         ckm::Identity{ckm::IdentityType::kEmail, id + "@shop.test"}});
  }
  if (auto r = store->Record(setup); !r.ok()) Die(r.status());
  // One customer in ten was found to be another's duplicate.
  for (int c = 1; c < kCustomers; c += 10) {
    if (auto s =
            store->Merge("c" + std::to_string(c - 1), "c" + std::to_string(c));
        !s.ok())
      Die(s);
  }
  std::mt19937_64 rng(7);
  std::vector<ckm::Event> batch;
  const auto t = Clock::now();
  for (std::size_t i = 0; i < total; ++i) {
    const int c = static_cast<int>(rng() % kCustomers);
    ckm::Event e = Order(i + 1, "c" + std::to_string(c), rng);
    if (static_cast<int>(rng() % 100) < indirect) {
      if (c % 10 == 1) {
        // named by the absorbed id: already so
      } else {
        e.customer = ckm::CustomerRef::ByIdentity(
            ckm::IdentityType::kEmail, "c" + std::to_string(c) + "@shop.test");
      }
    } else if (c % 10 == 1) {
      e.customer = ckm::CustomerRef::Id("c" + std::to_string(c - 1));
    }
    batch.push_back(std::move(e));
    if (batch.size() == 1000) {
      if (auto r = store->Record(batch); !r.ok()) Die(r.status());
      batch.clear();
    }
  }
  if (!batch.empty()) {
    if (auto r = store->Record(batch); !r.ok()) Die(r.status());
  }
  if (auto s = store->Flush(); !s.ok()) Die(s);
  std::printf("record_%d_percent_indirect_events_per_s %.0f events/s\n",
              indirect, total / Seconds(t));
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/ckm-merge-bench";
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) dir = argv[++i];
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
  }
  for (std::size_t n : {10, 1000, 100'000}) {
    if (quick && n > 1000) break;
    MergeCost(dir, n);
  }
  const std::size_t total = quick ? 50'000 : 200'000;
  Throughput(dir, 0, total);
  Throughput(dir, 5, total);
  std::filesystem::remove_all(dir);
  return 0;
}
