// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Where an event goes: partitions stable across builds, message ids that
// name an event's identity and nothing else, and --partitions.

#include "catch2/catch.hpp"
#include "ckm/sync.h"
#include "test_util.h"

namespace ckm {
namespace {

TEST_CASE("PartitionOf is FNV-1a of the id, modulo the count") {
  // FNV-1a 64 of "" is its offset basis, of "a" 0xaf63dc4c8601ec8c: values
  // any other implementation can check itself against.
  CHECK(PartitionOf("", 1000) ==
        static_cast<int>(14695981039346656037ull % 1000));
  CHECK(PartitionOf("a", 1000) ==
        static_cast<int>(0xaf63dc4c8601ec8cull % 1000));
  CHECK(PartitionOf("c-1001", 1) == 0);
  std::vector<int> seen(16);
  for (int i = 0; i < 1600; ++i)
    ++seen[PartitionOf("customer-" + std::to_string(i), 16)];
  for (int n : seen) CHECK(n > 50);  // spread over every partition
}

TEST_CASE("EventMessageId names the event's identity, not its body") {
  Event e{7, CustomerRef::Id("ann"), 1000, "pos-1", Loyalty::Earn(5)};
  const std::string id = EventMessageId(e);
  CHECK(id.size() == 64);
  Event same = e;
  same.source = "pos-2";
  same.body = Loyalty::Earn(6);
  CHECK(EventMessageId(same) == id);
  Event other_time = e, other_id = e, other_kind = e, other_customer = e;
  other_time.ts_ms = 1001;
  other_id.id = 8;
  other_kind.body = Consent{"marketing.email", true};
  other_customer.customer = CustomerRef::Id("bob");
  for (const Event& o : {other_time, other_id, other_kind, other_customer})
    CHECK(EventMessageId(o) != id);
}

TEST_CASE("ParsePartitions reads N, N-M and lists of them") {
  auto p = ParsePartitions("0-3", 16);
  REQUIRE_OK(p);
  CHECK(*p == std::vector<int>{0, 1, 2, 3});
  p = ParsePartitions("5,7-8", 16);
  REQUIRE_OK(p);
  CHECK(*p == std::vector<int>{5, 7, 8});
  for (const char* bad : {"", "x", "3-1", "0-16", "-1", "1-"}) {
    INFO(bad);
    CHECK(absl::IsInvalidArgument(ParsePartitions(bad, 16).status()));
  }
}

TEST_CASE("Agents and nodes refuse options that cannot work") {
  ckm_test::TempDir dir = ckm_test::TempDir::InMemory();
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  SyncOptions bad;
  bad.partitions = 0;
  CHECK(absl::IsInvalidArgument(SyncAgent::Start(**store, bad).status()));
  SyncOptions four;
  four.partitions = 4;
  CHECK(absl::IsInvalidArgument(
      PartitionNode::Start(**store, {4}, four).status()));
}

}  // namespace
}  // namespace ckm
