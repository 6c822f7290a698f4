// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Durability: open with options, bulk-load without a write-ahead log and
// Flush(), override the durability of one call, close and reopen.
#include <iostream>
#include <string>
#include <vector>

#include "ckm/store.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp/ckm-durability";
  const std::int64_t t = 1'768'471'200'000;  // 2026-01-15T10:00:00Z
  int failures = 0;

  // [snippet:open_options]
  ckm::StoreOptions options;
  options.durability = ckm::Durability::kBuffered;     // default: kSync
  options.block_cache_bytes = std::size_t{256} << 20;  // default: 64 MiB
  absl::StatusOr<std::unique_ptr<ckm::Store>> store =
      ckm::Store::Open(dir, options);
  if (!store.ok()) return Fail(store.status());
  // [end]

  // [snippet:second_open]
  // Only one Store may have a directory open at a time.
  auto second = ckm::Store::Open(dir);
  if (absl::IsUnavailable(second.status())) {
    std::cout << "second open: " << second.status() << "\n";
  }
  // [end]
  if (!absl::IsUnavailable(second.status())) {
    std::cerr << "unexpected: second Open() gave " << second.status() << "\n";
    ++failures;
  }

  // [snippet:bulk_load]
  // A bulk load that can be repeated from its source: no write-ahead log,
  // then one Flush() makes all of it durable.
  std::vector<ckm::Event> imported;
  for (int i = 0; i < 1000; ++i) {
    ckm::Purchase order{"imp-" + std::to_string(i), "EUR"};
    order.lines = {{"sku-" + std::to_string(i % 37), "", 1, 2'500'000}};
    imported.push_back({static_cast<std::uint64_t>(i + 1),
                        ckm::CustomerRef::Id("c-" + std::to_string(i % 10)),
                        t + i * 60'000, "import-2026-01", order});
  }
  ckm::RecordOptions bulk;
  bulk.durability = ckm::Durability::kNone;
  auto loaded = (*store)->Record(imported, bulk);
  if (!loaded.ok()) return Fail(loaded.status());
  absl::Status flushed = (*store)->Flush();
  if (!flushed.ok()) return Fail(flushed);
  // [end]

  // [snippet:follower]
  ckm::StoreOptions follower_options;
  follower_options.access = ckm::Access::kFollower;
  absl::StatusOr<std::unique_ptr<ckm::Store>> follower =
      ckm::Store::Open(dir, follower_options);  // while a writer has it open
  if (!follower.ok()) return Fail(follower.status());
  // ... later: see everything the writer had acknowledged by now
  if (absl::Status s = (*follower)->CatchUp(); !s.ok()) return Fail(s);
  // [end]
  if (!(*follower)->Get("c-7").ok()) {
    std::cerr << "unexpected: the follower does not see c-7\n";
    ++failures;
  }

  // [snippet:sync_override]
  // This store buffers, but a refund must survive a power cut.
  ckm::Purchase refund{"imp-7-refund", "EUR"};
  refund.total_micros = -2'500'000;  // no lines: the total is required
  ckm::RecordOptions sync;
  sync.durability = ckm::Durability::kSync;
  auto refunded = (*store)->Record(ckm::Event{5001, ckm::CustomerRef::Id("c-7"),
                                              t + 86'400'000, "crm", refund},
                                   sync);
  if (!refunded.ok()) return Fail(refunded.status());
  // [end]

  // [snippet:reopen]
  store->reset();                 // destroying the Store closes it
  store = ckm::Store::Open(dir);  // checks format version and merge operator
  if (!store.ok()) return Fail(store.status());
  // [end]
  auto profile = (*store)->Get("c-7");
  if (!profile.ok()) return Fail(profile.status());
  std::cout << "c-7: " << profile->event_count() << " events, "
            << profile->purchases().orders << " orders, "
            << profile->purchases().returns << " returns\n";
  if (profile->event_count() != 101) {
    std::cerr << "unexpected: c-7 should have 101 events\n";
    ++failures;
  }
  return failures == 0 ? 0 : 1;
}
