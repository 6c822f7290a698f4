// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The outbox (StoreOptions::outbox): every new event queued in the batch
// that records it, duplicates not, in order; removal; sequences that only
// grow; a store that has an outbox keeps it.

#include "ckm/outbox.h"

#include <memory>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::EventGen;
using ckm_test::TempDir;

std::unique_ptr<Store> OpenStore(const std::string& path,
                                 StoreOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
  REQUIRE_OK(store);
  return *std::move(store);
}

StoreOptions WithOutbox() {
  StoreOptions options;
  options.outbox = true;
  options.durability = Durability::kBuffered;
  return options;
}

std::vector<std::uint64_t> Sequences(const std::vector<OutboxEntry>& entries) {
  std::vector<std::uint64_t> out;
  for (const OutboxEntry& e : entries) out.push_back(e.sequence);
  return out;
}

TEST_CASE("The outbox queues each new event once, in the order recorded") {
  TempDir dir = TempDir::InMemory();
  auto store = OpenStore(dir.path(), WithOutbox());
  const std::vector<Event> events = EventGen(1, 4).Events(20);
  // The batch holds event 3 twice; the second Record is a retry.
  std::vector<Event> first(events.begin(), events.begin() + 10);
  first.push_back(events[3]);
  auto recorded = store->Record(first);
  REQUIRE_OK(recorded);
  REQUIRE(recorded->recorded == 10);
  REQUIRE_OK(store->Record(absl::MakeConstSpan(events).subspan(5, 15)));
  auto depth = store->OutboxDepth();
  REQUIRE_OK(depth);
  CHECK(*depth == 20);
  auto entries = store->ReadOutbox(0);
  REQUIRE_OK(entries);
  REQUIRE(entries->size() == 20);
  for (std::size_t i = 0; i < entries->size(); ++i) {
    CHECK((*entries)[i].sequence == i + 1);
    CHECK((*entries)[i].event == events[i]);
    CHECK(!(*entries)[i].payload.empty());
  }
  auto oldest = store->ReadOutbox(4);
  REQUIRE_OK(oldest);
  CHECK(Sequences(*oldest) == std::vector<std::uint64_t>{1, 2, 3, 4});
}

TEST_CASE("A batch refused writes nothing to the outbox") {
  TempDir dir = TempDir::InMemory();
  auto store = OpenStore(dir.path(), WithOutbox());
  std::vector<Event> batch = EventGen(2, 3).Events(3);
  batch[1].id = 0;  // invalid: ids are non-zero
  REQUIRE(absl::IsInvalidArgument(store->Record(batch).status()));
  auto depth = store->OutboxDepth();
  REQUIRE_OK(depth);
  CHECK(*depth == 0);
}

TEST_CASE("An event named by identity is queued under the customer's id") {
  TempDir dir = TempDir::InMemory();
  auto store = OpenStore(dir.path(), WithOutbox());
  const auto ann = CustomerRef::Id("ann");
  const auto by_email =
      CustomerRef::ByIdentity(IdentityType::kEmail, "ann@example.org");
  const std::vector<Event> batch = {
      {1, ann, 1000, "web", Identity{IdentityType::kEmail, "ann@example.org"}},
      {2, by_email, 2000, "pos", Loyalty::Earn(10)}};
  REQUIRE_OK(store->Record(batch));
  auto entries = store->ReadOutbox(0);
  REQUIRE_OK(entries);
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[1].event.customer == ann);
  CHECK((*entries)[1].event.id == 2);
}

TEST_CASE("Removed entries are gone and sequences keep growing") {
  TempDir dir = TempDir::InMemory();
  const std::vector<Event> events = EventGen(3, 5).Events(12);
  {
    auto store = OpenStore(dir.path(), WithOutbox());
    REQUIRE_OK(store->Record(absl::MakeConstSpan(events).subspan(0, 6)));
    const std::vector<std::uint64_t> acked = {1, 3, 4, 99};
    REQUIRE_OK(store->RemoveFromOutbox(acked));
    auto left = store->ReadOutbox(0);
    REQUIRE_OK(left);
    CHECK(Sequences(*left) == std::vector<std::uint64_t>{2, 5, 6});
    const std::vector<std::uint64_t> rest = {2, 5, 6};
    REQUIRE_OK(store->RemoveFromOutbox(rest));
  }
  // Reopened without the option: the store has an outbox, so it queues.
  auto store = OpenStore(dir.path());
  auto depth = store->OutboxDepth();
  REQUIRE_OK(depth);
  CHECK(*depth == 0);
  REQUIRE_OK(store->Record(absl::MakeConstSpan(events).subspan(6, 6)));
  auto entries = store->ReadOutbox(0);
  REQUIRE_OK(entries);
  REQUIRE(entries->size() == 6);
  // Above every sequence given out before, although the outbox was empty.
  CHECK(entries->front().sequence == 100);
}

TEST_CASE("A store without an outbox has none, and followers read one") {
  TempDir plain = TempDir::InMemory();
  {
    auto store = OpenStore(plain.path());
    REQUIRE_OK(store->Record(EventGen(4, 2).Events(3)));
    auto depth = store->OutboxDepth();
    REQUIRE_OK(depth);
    CHECK(*depth == 0);
    auto entries = store->ReadOutbox(0);
    REQUIRE_OK(entries);
    CHECK(entries->empty());
  }
  // An existing store gains an outbox on a read-write open that asks.
  auto store = OpenStore(plain.path(), WithOutbox());
  REQUIRE_OK(store->Record(EventGen(5, 2).Events(2)));
  StoreOptions follow;
  follow.access = Access::kFollower;
  auto follower = OpenStore(plain.path(), follow);
  auto depth = follower->OutboxDepth();
  REQUIRE_OK(depth);
  CHECK(*depth == 2);
  const std::vector<std::uint64_t> one = {1};
  CHECK(absl::IsFailedPrecondition(follower->RemoveFromOutbox(one)));
}

TEST_CASE("Events that came from head office are recorded, not queued") {
  TempDir dir = TempDir::InMemory();
  auto store = OpenStore(dir.path(), WithOutbox());
  const std::vector<Event> events = EventGen(6, 3).Events(6);
  RecordOptions from_head_office;
  from_head_office.outbox = false;
  auto recorded = store->Record(events, from_head_office);
  REQUIRE_OK(recorded);
  CHECK(recorded->recorded == 6);
  auto depth = store->OutboxDepth();
  REQUIRE_OK(depth);
  CHECK(*depth == 0);
}

TEST_CASE("Erasing a customer removes its queued events from the outbox") {
  TempDir dir = TempDir::InMemory();
  auto store = OpenStore(dir.path(), WithOutbox());
  const std::vector<Event> batch = {
      {1, CustomerRef::Id("ann"), 1000, "pos", Loyalty::Earn(10)},
      {2, CustomerRef::Id("bob"), 1000, "pos", Loyalty::Earn(20)},
      {3, CustomerRef::Id("ann"), 2000, "pos", Loyalty::Earn(30)}};
  REQUIRE_OK(store->Record(batch));
  REQUIRE_OK(store->Erase("ann", "request 1"));
  auto entries = store->ReadOutbox(0);
  REQUIRE_OK(entries);
  // Bob's event stays; the erasure itself is queued for head office.
  REQUIRE(entries->size() == 2);
  CHECK(entries->front().event.customer == CustomerRef::Id("bob"));
  REQUIRE(entries->back().change.has_value());
  CHECK(entries->back().change->kind == OutboxChange::Kind::kErase);
}

}  // namespace
}  // namespace ckm
