// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Read-only and follower opens (StoreOptions::access): they read, refuse
// every write, and change no file of the store; a follower catches up with
// a writer and then sees every event the writer acknowledged. Opens leave
// no write-ahead logs behind (issue 11, items 8 and 9).

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "storage/store_internal.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::FilesOf;

int LogFiles(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    n += e.path().extension() == ".log";
  return n;
}

// A store with events of every kind, and customers whose breakdowns were
// held in memory when the writer "crashed": their pending markers remain,
// which a read-write open would settle (a write).
void MakeStore(const std::string& dir, const std::vector<Event>& events) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
  REQUIRE_OK(store);
  REQUIRE_OK((*store)->Record(events));
  internal::AbandonBreakdownsBuffer(**store);
}

TEST_CASE("Read-only and follower stores read, refuse writes, change nothing") {
  ckm_test::TempDir tmp;
  const std::string dir = tmp.sub("store");
  const std::vector<Event> events = ckm_test::EventGen(11, 4).Events(200);
  MakeStore(dir, events);
  const auto before = FilesOf(dir);
  const Access access = GENERATE(Access::kReadOnly, Access::kFollower);
  INFO("access " << static_cast<int>(access));
  StoreOptions options;
  options.access = access;
  {
    absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(dir, options);
    REQUIRE_OK(opened);
    Store& store = **opened;
    REQUIRE_OK(store.Get("cust-1"));
    REQUIRE_OK(store.Breakdown("cust-1", Dimension::kProduct));
    absl::StatusOr<StoreReport> verified = store.VerifyAll();
    REQUIRE_OK(verified);
    CHECK(verified->ok());
    CHECK(absl::IsFailedPrecondition(store.Record(events.front()).status()));
    CHECK(absl::IsFailedPrecondition(store.Rebuild("cust-1").status()));
    CHECK(absl::IsFailedPrecondition(store.RebuildAll().status()));
    CHECK(absl::IsFailedPrecondition(store.Flush()));
    if (access == Access::kFollower) {
      CHECK_OK(store.CatchUp());
    } else {
      CHECK(absl::IsFailedPrecondition(store.CatchUp()));
    }
  }  // closing writes nothing either: the pending markers stay
  CHECK(FilesOf(dir) == before);
}

TEST_CASE("A read-only open needs a store and never creates one") {
  ckm_test::TempDir tmp;
  StoreOptions options;
  options.access = Access::kReadOnly;
  absl::StatusOr<std::unique_ptr<Store>> opened =
      Store::Open(tmp.sub("none"), options);
  CHECK(absl::IsNotFound(opened.status()));
  CHECK_FALSE(std::filesystem::exists(tmp.sub("none")));
}

TEST_CASE("A follower's own directory is outside the store and left empty") {
  ckm_test::TempDir tmp;
  const std::string dir = tmp.sub("store");
  MakeStore(dir, ckm_test::EventGen(12, 2).Events(20));
  StoreOptions options;
  options.access = Access::kFollower;
  options.follower_dir = dir + "/follower";
  CHECK(absl::IsInvalidArgument(Store::Open(dir, options).status()));
  options.follower_dir = dir;
  CHECK(absl::IsInvalidArgument(Store::Open(dir, options).status()));
  options.follower_dir = tmp.sub("follower");
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(dir, options);
    REQUIRE_OK(opened);
    REQUIRE_OK((*opened)->Get("cust-0"));
  }
  CHECK(FilesOf(tmp.sub("follower")).empty());
}

TEST_CASE("A follower sees every acknowledged event after CatchUp") {
  ckm_test::TempDir tmp;
  const std::string dir = tmp.sub("store");
  const std::vector<Event> events = ckm_test::EventGen(13, 6).Events(1200);
  StoreOptions writer_options;
  writer_options.durability = Durability::kBuffered;
  writer_options.write_buffer_bytes = 64 << 10;  // flushes while it follows
  absl::StatusOr<std::unique_ptr<Store>> writer =
      Store::Open(dir, writer_options);
  REQUIRE_OK(writer);
  REQUIRE_OK((*writer)->Record(events.front()));
  StoreOptions options;
  options.access = Access::kFollower;
  absl::StatusOr<std::unique_ptr<Store>> follower = Store::Open(dir, options);
  REQUIRE_OK(follower);

  constexpr std::size_t kBatch = 20;
  std::atomic<std::size_t> acked{1};
  std::atomic<int> write_errors{0};
  std::thread writing([&] {
    for (std::size_t i = 1; i < events.size(); i += kBatch) {
      const std::size_t n = std::min(kBatch, events.size() - i);
      if (!(*writer)->Record(absl::MakeConstSpan(&events[i], n)).ok()) {
        ++write_errors;
        return;
      }
      acked = i + n;
    }
  });
  // Each round: what was acknowledged before CatchUp began must be visible.
  auto check = [&](std::size_t known) {
    REQUIRE_OK((*follower)->CatchUp());
    std::map<std::string, std::int64_t> expected;
    for (std::size_t i = 0; i < known; ++i) ++expected[events[i].customer.id];
    for (const auto& [customer, count] : expected) {
      absl::StatusOr<Profile> p = (*follower)->Get(customer);
      REQUIRE_OK(p);
      CHECK(p->event_count() >= count);
    }
  };
  int rounds = 0;
  while (acked.load() < events.size() && write_errors.load() == 0) {
    check(acked.load());
    ++rounds;
  }
  writing.join();
  REQUIRE(write_errors.load() == 0);
  check(events.size());
  absl::StatusOr<StoreReport> verified = (*follower)->VerifyAll();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
  CHECK(rounds > 0);
}

TEST_CASE("Opening a store again and again leaves no write-ahead logs") {
  ckm_test::TempDir tmp;
  const std::string dir = tmp.sub("store");
  MakeStore(dir, ckm_test::EventGen(14, 2).Events(20));
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(dir);
    REQUIRE_OK(opened);
    REQUIRE_OK((*opened)->Get("cust-0"));
  }
  CHECK(LogFiles(dir) <= 1);
  const auto before = FilesOf(dir);
  for (Access access : {Access::kReadOnly, Access::kFollower}) {
    StoreOptions options;
    options.access = access;
    for (int i = 0; i < 10; ++i) REQUIRE_OK(Store::Open(dir, options));
  }
  CHECK(FilesOf(dir) == before);
}

}  // namespace
}  // namespace ckm
