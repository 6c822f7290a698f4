// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Concurrency: one Store shared by many threads. Four writers record
// overlapping batches of the same customer's events while a reader reads the
// profile; every event is counted exactly once.
#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "ckm/store.h"

int main(int argc, char** argv) {
  auto opened = ckm::Store::Open(argc > 1 ? argv[1] : "/tmp/ckm-concurrency");
  if (!opened.ok()) {
    std::cerr << opened.status() << "\n";
    return 1;
  }
  const std::int64_t t = 1'768'471'200'000;  // 2026-01-15T10:00:00Z
  std::vector<ckm::Event> events;
  for (int i = 0; i < 100; ++i) {
    ckm::Purchase order{"o-" + std::to_string(i), "GBP"};
    order.lines = {{"tea-earl-grey", "tea", 1, 4'500'000}};
    events.push_back({static_cast<std::uint64_t>(i + 1),
                      ckm::CustomerRef::Id("c-5005"), t + i * 3'600'000,
                      "pos-07", order});
  }

  // [snippet:threads]
  ckm::Store& store = **opened;  // shared; no external locking needed
  std::atomic<std::size_t> recorded{0}, skipped{0}, errors{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      // Writer w records events [25w, 25w + 50): each event is in two batches.
      std::vector<ckm::Event> batch;
      for (int i = 25 * w; i < 25 * w + 50; ++i) {
        batch.push_back(events[i % 100]);
      }
      absl::StatusOr<ckm::RecordResult> result = store.Record(batch);
      if (!result.ok()) {
        ++errors;
        return;
      }
      recorded += result->recorded;
      skipped += result->already_recorded;
    });
  }
  std::thread reader([&] {
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<ckm::Profile> p = store.Get("c-5005");
      if (!p.ok() && !absl::IsNotFound(p.status())) ++errors;
    }
  });
  for (std::thread& writer : writers) writer.join();
  reader.join();
  // [end]

  auto profile = store.Get("c-5005");
  if (!profile.ok()) {
    std::cerr << profile.status() << "\n";
    return 1;
  }
  std::cout << "recorded " << recorded << ", already recorded " << skipped
            << ", errors " << errors << "; profile has "
            << profile->event_count() << " events, "
            << profile->purchases().orders << " orders\n";
  const bool once = recorded + skipped == 200 &&
                    profile->event_count() == 100 &&
                    profile->purchases().orders == 100;
  return errors == 0 && once ? 0 : 1;
}
