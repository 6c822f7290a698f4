// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// segment_bench: the cost of a segment (ckm::SelectSegment) over a store of
// many customers, against the floor of reading every profile. Loads a
// deterministic store (default 1,000,000 customers), then runs each query
// --repeat times and prints one JSON object per line: the median wall time,
// its CPU, profiles read per second and the peak resident set. Public API
// only. See README.md.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "ckm/segment.h"
#include "ckm/store.h"
#include "measure.h"

namespace ckm_bench {
namespace {

constexpr std::int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kDay = 86'400'000;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "segment_bench: %s\n", why.c_str());
  std::exit(1);
}

std::uint64_t Mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Customer i: one or two orders over the last two years (1 in 10 in EUR),
// 1 in 3 consented to email, 1 in 7 has a loyalty tier, 1 in 5 a city.
void EventsOf(std::uint64_t i, std::vector<ckm::Event>& out) {
  const std::uint64_t r = Mix(i);
  const auto who = ckm::CustomerRef::Id("c" + std::to_string(i));
  const int orders = 1 + static_cast<int>(r % 2);
  for (int k = 0; k < orders; ++k) {
    ckm::Purchase p;
    p.currency = (r >> 8) % 10 == 0 ? "EUR" : "GBP";
    p.channel = ckm::Channel::kWeb;
    p.lines.push_back(
        {"p" + std::to_string((r >> 12) % 5000), "",
         1 + static_cast<std::int64_t>((r >> 20) % 3),
         static_cast<std::int64_t>(((r >> 24) % 50'000) + 99) * 10'000});
    const std::int64_t ts =
        kNow - static_cast<std::int64_t>((r >> (32 + 8 * k)) % 730) * kDay;
    out.push_back({2 * i + k + 1, who, ts, "web", p});
  }
  const std::int64_t ts = kNow - 800 * kDay;
  if (i % 3 == 0)
    out.push_back({1, who, ts, "crm", ckm::Consent{"marketing.email", true}});
  if (i % 7 == 0) {
    out.push_back({1, who, ts, "crm",
                   ckm::Loyalty{ckm::LoyaltyKind::kTierChange, 0,
                                (r >> 40) % 2 ? "gold" : "silver", ""}});
  }
  if (i % 5 == 0) {
    out.push_back(
        {1, who, ts, "crm",
         ckm::Attribute{"demographic.city",
                        std::string((r >> 44) % 4 ? "Leeds" : "London")}});
  }
}

void Load(const std::string& dir, std::uint64_t customers) {
  ckm::StoreOptions options;
  options.durability = ckm::Durability::kNone;  // a bulk load, as ckm import
  auto store = ckm::Store::Open(dir, options);
  if (!store.ok()) Die(store.status().ToString());
  std::vector<ckm::Event> batch;
  const double start = NowSeconds();
  for (std::uint64_t i = 0; i < customers; ++i) {
    EventsOf(i, batch);
    if (batch.size() >= 2000 || i + 1 == customers) {
      auto r = (*store)->Record(batch);
      if (!r.ok()) Die(r.status().ToString());
      batch.clear();
    }
  }
  if (absl::Status s = (*store)->Flush(); !s.ok()) Die(s.ToString());
  JsonLine()
      .Str("bench", "segment_load")
      .Int("customers", static_cast<std::int64_t>(customers))
      .Num("wall_s", NowSeconds() - start, 2)
      .Int("disk_bytes", DirBytes(dir))
      .Print();
}

struct Query {
  std::string name, where, sort;
  std::size_t limit;
};

// Runs `run` `repeat` times; prints the median run's figures.
template <typename Run>
void Measure(const std::string& name, const Query* q, int repeat,
             std::uint64_t customers, Run run) {
  std::vector<std::pair<double, double>> runs;  // wall, cpu
  std::int64_t matched = 0, rows = 0;
  for (int k = 0; k < repeat; ++k) {
    const double wall = NowSeconds(), cpu = ProcessCpuSeconds();
    run(matched, rows);
    runs.push_back({NowSeconds() - wall, ProcessCpuSeconds() - cpu});
  }
  std::sort(runs.begin(), runs.end());
  const auto [wall, cpu] = runs[runs.size() / 2];
  JsonLine line;
  line.Str("bench", "segment").Str("query", name);
  if (q != nullptr) {
    line.Str("where", q->where)
        .Str("sort", q->sort)
        .Int("limit", static_cast<std::int64_t>(q->limit));
  }
  line.Int("customers", static_cast<std::int64_t>(customers))
      .Int("matched", matched)
      .Int("rows", rows)
      .Int("repeat", repeat)
      .Num("wall_s", wall, 3)
      .Num("cpu_s", cpu, 3)
      .Num("profiles_per_s", static_cast<double>(customers) / wall, 0)
      .Num("peak_rss_mib", ProcStatusMiB("VmHWM"), 1)
      .Print();
}

int Main(int argc, char** argv) {
  std::uint64_t customers = 1'000'000;
  int repeat = 3;
  std::string dir;
  bool keep = false;
  CLI::App app{"segment_bench: SelectSegment over many customers"};
  app.add_option("--customers", customers, "customers in the store")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--repeat", repeat, "runs of each query (median reported)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--dir", dir,
                 "the store: loaded if absent, reused if it holds one "
                 "(default: a new directory under /tmp, removed at exit)");
  app.add_flag("--keep", keep, "keep the store made under /tmp");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  bool own_dir = false;
  if (dir.empty()) {
    char tmpl[] = "/tmp/segment_bench.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
    dir = std::string(tmpl) + "/store";
    own_dir = true;
  }
  if (!std::filesystem::exists(dir + "/CURRENT")) Load(dir, customers);

  ckm::StoreOptions options;
  options.access = ckm::Access::kReadOnly;
  auto store = ckm::Store::Open(dir, options);
  if (!store.ok()) Die(store.status().ToString());

  // One scan unmeasured, so that every query finds the files as warm as the
  // operating system keeps them.
  if (absl::Status s =
          (*store)->ForEachProfile([](const ckm::Profile&) { return true; });
      !s.ok())
    Die(s.ToString());
  // The floor: read every profile and do nothing with it, then read each
  // one's purchase summary as the figures do.
  Measure("scan_only", nullptr, repeat, customers,
          [&](std::int64_t& matched, std::int64_t&) {
            matched = 0;
            auto s = (*store)->ForEachProfile([&](const ckm::Profile&) {
              ++matched;
              return true;
            });
            if (!s.ok()) Die(s.ToString());
          });
  Measure("scan_purchases", nullptr, repeat, customers,
          [&](std::int64_t& matched, std::int64_t&) {
            matched = 0;
            auto s = (*store)->ForEachProfile([&](const ckm::Profile& p) {
              matched += p.purchases().orders > 1;
              return true;
            });
            if (!s.ok()) Die(s.ToString());
          });

  const std::vector<Query> queries = {
      {"lapsed_top50", "net_spend(GBP) > 100 and recency_days > 90",
       "net_spend(GBP)", 50},
      {"consented_top50", "consent(marketing.email)", "net_spend(GBP)", 50},
      {"recent_page", "recency_days <= 30", "", 100},
      {"gold_london_all",
       "tier = \"gold\" and attr(demographic.city) = \"London\"", "aov(GBP)",
       0},
      {"everyone_top1000", "", "recency_days asc", 1000},
  };
  for (const Query& q : queries) {
    ckm::SegmentQuery query;
    auto where = ckm::Predicate::Parse(q.where);
    if (!where.ok()) Die(where.status().ToString());
    query.where = *where;
    if (!q.sort.empty()) {
      auto sort = ckm::SortOrder::Parse(q.sort);
      if (!sort.ok()) Die(sort.status().ToString());
      query.sort = *sort;
    }
    query.limit = q.limit;
    query.now_ms = kNow;
    Measure(q.name, &q, repeat, customers,
            [&](std::int64_t& matched, std::int64_t& rows) {
              auto page = ckm::SelectSegment(**store, query);
              if (!page.ok()) Die(page.status().ToString());
              matched = page->matched;
              rows = static_cast<std::int64_t>(page->rows.size());
            });
  }
  store->reset();
  if (own_dir && !keep)
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
  return 0;
}

}  // namespace
}  // namespace ckm_bench

int main(int argc, char** argv) { return ckm_bench::Main(argc, argv); }
