// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The duplicate check's memory (engine/latest_events.h): what it may call
// certainly new, and that with it a store still records each event exactly
// once, late, repeated or retried.

#include "engine/latest_events.h"

#include <random>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::TempDir;
using engine::LatestEvents;

TEST_CASE("Only names above a tracked customer's latest are certainly new") {
  LatestEvents latest(2);
  const LatestEvents::Name at{1'000, 7, 0};
  CHECK_FALSE(latest.CertainlyNew(1, {5'000, 1, 0}));  // not tracked
  latest.Track(1, at);
  CHECK_FALSE(latest.CertainlyNew(1, at));
  CHECK_FALSE(latest.CertainlyNew(1, {999, 99, 5}));
  CHECK_FALSE(latest.CertainlyNew(1, {1'000, 6, 5}));
  CHECK(latest.CertainlyNew(1, {1'000, 7, 1}));  // the kind breaks the tie
  CHECK(latest.CertainlyNew(1, {1'000, 8, 0}));
  CHECK(latest.CertainlyNew(1, {1'001, 0, 0}));
  latest.Raise(1, {2'000, 1, 0});
  CHECK_FALSE(latest.CertainlyNew(1, {1'500, 1, 0}));
  latest.Raise(1, {1'200, 1, 0});  // never lowers
  CHECK_FALSE(latest.CertainlyNew(1, {1'500, 1, 0}));
  latest.Raise(2, {1, 1, 0});  // raising an untracked customer tracks nothing
  CHECK_FALSE(latest.CertainlyNew(2, {9'999, 1, 0}));
  latest.Forget(1);
  CHECK_FALSE(latest.CertainlyNew(1, {9'999, 1, 0}));
  latest.Track(3, at);
  latest.Track(4, at);
  latest.Track(5, at);  // over capacity: not tracked
  CHECK(latest.CertainlyNew(4, {9'999, 1, 0}));
  CHECK_FALSE(latest.CertainlyNew(5, {9'999, 1, 0}));
}

TEST_CASE(
    "Customers numbered by this process still count every event once: late, "
    "repeated and mixed with new ones") {
  for (int c = 0; c < 20; ++c) {
    const std::uint64_t seed = 51000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 3);
    std::vector<Event> events = gen.Events(120);
    std::mt19937_64 rng(seed);
    TempDir dir;
    auto store = Store::Open(dir.path());
    REQUIRE_OK(store);
    std::size_t recorded = 0;
    // Batches drawn from everything so far: repeats, late events, new ones.
    std::size_t next = 0;
    while (next < events.size()) {
      std::vector<Event> batch;
      const std::size_t fresh = 1 + rng() % 10;
      for (std::size_t k = 0; k < fresh && next < events.size(); ++k)
        batch.push_back(events[next++]);
      for (std::size_t k = rng() % 5; k > 0; --k)
        batch.push_back(events[rng() % next]);
      std::shuffle(batch.begin(), batch.end(), rng);
      absl::StatusOr<RecordResult> result = (*store)->Record(batch);
      REQUIRE_OK(result);
      recorded += result->recorded;
    }
    CHECK(recorded == events.size());
    absl::StatusOr<StoreReport> report = (*store)->VerifyAll();
    REQUIRE_OK(report);
    CHECK(report->ok());
    // The same events again, in one batch: none is new.
    absl::StatusOr<RecordResult> again = (*store)->Record(events);
    REQUIRE_OK(again);
    CHECK(again->recorded == 0);
  }
}

}  // namespace
}  // namespace ckm
