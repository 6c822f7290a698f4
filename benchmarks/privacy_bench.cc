// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// privacy_bench: what privacy costs (docs/privacy.md). Prints one JSON
// object per line:
//   - Erase of a customer with 10 / 10,000 / 100,000 events, in a store
//     that also holds 1,000 other customers with 20 events each, and of a
//     merged group of three customers with 10,000 events in all;
//   - Get, History (7 events) and Breakdown by product without a policy,
//     with one that withholds nothing, and with one that redacts; and
//     without a policy but with the access audit on (one entry per read).
//
// Usage: privacy_bench [DIR [reads]]   (default /tmp/ckm-privacy-bench,
// removed; `reads`: the reads alone, no erasures)

#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "ckm/store.h"
#include "measure.h"

namespace {

using ckm_bench::NowSeconds;

ckm::Event Purchase(const std::string& customer, std::uint64_t id) {
  ckm::Event e;
  e.id = id;
  e.customer = ckm::CustomerRef::Id(customer);
  e.ts_ms = 1'600'000'000'000 + static_cast<std::int64_t>(id) * 1'000;
  e.source = "bench";
  e.body =
      ckm::Purchase("o" + std::to_string(id), "GBP", ckm::Channel::kWeb, "s1",
                    {ckm::PurchaseLine("sku-" + std::to_string(id % 97), "cat",
                                       1, 1'250'000)});
  return e;
}

void Record(ckm::Store& store, const std::string& customer, int events,
            std::uint64_t& next_id) {
  std::vector<ckm::Event> batch;
  for (int i = 0; i < events; ++i) {
    batch.push_back(Purchase(customer, next_id++));
    if (batch.size() == 1000 || i + 1 == events) {
      if (!store.Record(batch, {ckm::Durability::kNone}).ok()) std::abort();
      batch.clear();
    }
  }
}

void EraseCost(const std::string& dir) {
  for (int events : {10, 10'000, 100'000}) {
    std::filesystem::remove_all(dir);
    auto store = ckm::Store::Open(dir);
    if (!store.ok()) std::abort();
    std::uint64_t next_id = 1;
    for (int c = 0; c < 1000; ++c)
      Record(**store, "other-" + std::to_string(c), 20, next_id);
    Record(**store, "target", events, next_id);
    if (!(*store)->Flush().ok()) std::abort();
    const double start = NowSeconds();
    auto erased = (*store)->Erase("target", "bench");
    const double seconds = NowSeconds() - start;
    if (!erased.ok()) std::abort();
    std::printf(
        "{\"op\":\"erase\",\"events\":%d,\"erased\":%lld,\"seconds\":%.4f}\n",
        events, static_cast<long long>(erased->events), seconds);
  }
}

// Erase of one customer of a merged group of three: the whole group goes.
void EraseGroupCost(const std::string& dir) {
  std::filesystem::remove_all(dir);
  auto store = ckm::Store::Open(dir);
  if (!store.ok()) std::abort();
  std::uint64_t next_id = 1;
  for (int c = 0; c < 1000; ++c)
    Record(**store, "other-" + std::to_string(c), 20, next_id);
  for (const char* member : {"a", "b", "c"})
    Record(**store, member, 3'334, next_id);
  ckm::IdentityChangeOptions why;
  if (!(*store)->Merge("a", "b", why).ok()) std::abort();
  if (!(*store)->Merge("b", "c", why).ok()) std::abort();
  if (!(*store)->Flush().ok()) std::abort();
  const double start = NowSeconds();
  auto erased = (*store)->Erase("c", "bench");
  const double seconds = NowSeconds() - start;
  if (!erased.ok() || erased->customers != 3) std::abort();
  std::printf(
      "{\"op\":\"erase_group\",\"customers\":3,\"erased\":%lld,"
      "\"seconds\":%.4f}\n",
      static_cast<long long>(erased->events), seconds);
}

// Microseconds per call of `read` over customers c0..c999.
template <typename Read>
double MicrosPerRead(int reads, const Read& read) {
  const double start = NowSeconds();
  for (int i = 0; i < reads; ++i) {
    if (!read("c" + std::to_string(i % 1000)).ok()) std::abort();
  }
  return (NowSeconds() - start) / reads * 1e6;
}

void ReadCost(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::uint64_t next_id = 1;
  {
    auto store = ckm::Store::Open(dir);
    if (!store.ok()) std::abort();
    std::vector<ckm::Event> attrs;
    for (int c = 0; c < 1000; ++c) {
      const std::string id = "c" + std::to_string(c);
      Record(**store, id, 5, next_id);
      ckm::Event e;
      e.id = next_id++;
      e.customer = ckm::CustomerRef::Id(id);
      e.ts_ms = 1'600'000'000'000;
      e.body = ckm::Attribute("personal.first_name", "Ann");
      attrs.push_back(e);
      e.id = next_id++;
      e.body = ckm::Identity{ckm::IdentityType::kEmail, id + "@example.org"};
      attrs.push_back(e);
    }
    if (!(*store)->Record(attrs).ok()) std::abort();
  }
  ckm::AccessPolicy policy;
  policy.roles["analyst"] = {ckm::DataPart::kPurchaseLines};
  policy.roles["auditor"] = {
      ckm::DataPart::kIdentities,   ckm::DataPart::kPersonal,
      ckm::DataPart::kDemographic,  ckm::DataPart::kPsychographic,
      ckm::DataPart::kCustom,       ckm::DataPart::kInteractionText,
      ckm::DataPart::kPurchaseLines};
  const struct {
    const char* name;
    bool with_policy;
    const char* role;
    bool audit;
  } cases[] = {{"no_policy", false, "", false},
               {"policy_nothing_withheld", true, "auditor", false},
               {"policy_redacting", true, "analyst", false},
               {"no_policy_audit", false, "", true}};
  for (const auto& c : cases) {
    ckm::StoreOptions options;
    if (c.with_policy) options.access_policy = policy;
    options.access_audit = c.audit;
    auto store = ckm::Store::Open(dir, options);
    if (!store.ok()) std::abort();
    const ckm::ReadOptions read{"", c.role};
    const ckm::Store& st = **store;
    const double get = MicrosPerRead(200'000, [&](const std::string& id) {
      return st.Get(id, read).status();
    });
    ckm::HistoryQuery all;
    all.limit = 0;
    const double history = MicrosPerRead(50'000, [&](const std::string& id) {
      return st.History(id, all, read).status();
    });
    const double breakdown = MicrosPerRead(50'000, [&](const std::string& id) {
      return st.Breakdown(id, ckm::Dimension::kProduct, read).status();
    });
    for (const auto& [op, us] :
         {std::pair{"get", get}, std::pair{"history", history},
          std::pair{"breakdown", breakdown}}) {
      std::printf("{\"op\":\"%s\",\"case\":\"%s\",\"us_per_read\":%.2f}\n", op,
                  c.name, us);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp/ckm-privacy-bench";
  if (argc <= 2 || std::string(argv[2]) != "reads") {
    EraseCost(dir);
    EraseGroupCost(dir);
  }
  ReadCost(dir);
  std::filesystem::remove_all(dir);
  return 0;
}
