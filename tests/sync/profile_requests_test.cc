// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A terminal asks head office for a profile it does not hold: the node of
// the customer's partition answers, and the copy stays readable offline.

#include "catch2/catch.hpp"
#include "event_gen.h"
#include "sync/nats_server.h"
#include "sync/sync_fixture.h"

namespace ckm {
namespace {

using ckm_test::Eventually;
using ckm_test::NatsServer;
using ckm_test::TempDir;

TEST_CASE("A terminal fetches a profile from the node of its partition") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const std::vector<Event> events = ckm_test::EventGen(51, 8).Events(200);
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  REQUIRE_OK(terminal->Record(events));
  REQUIRE_OK(DrainOutbox(*terminal, options));
  // Two nodes, so that each request must find its partition's node.
  auto store_a = ckm_test::OpenTestStore(dir.sub("node-a"), false);
  auto store_b = ckm_test::OpenTestStore(dir.sub("node-b"), false);
  auto a = PartitionNode::Start(*store_a, {0, 1}, options);
  auto b = PartitionNode::Start(*store_b, {2, 3}, options);
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));

  const std::map<std::string, std::string> want =
      ckm_test::ProfilesById(*terminal);
  REQUIRE(want.size() == 8);
  std::vector<Profile> cached;
  for (const auto& [customer, bytes] : want) {
    INFO(customer);
    absl::StatusOr<Profile> fetched = FetchProfile(options, customer);
    REQUIRE_OK(fetched);
    CHECK(fetched->bytes() == bytes);
    cached.push_back(*std::move(fetched));
  }
  CHECK(absl::IsNotFound(FetchProfile(options, "nobody").status()));

  // Head office goes away; the copies stay readable.
  (*a)->Stop();
  (*b)->Stop();
  a->reset();
  b->reset();
  const absl::Status offline =
      FetchProfile(options, cached.front().customer_id()).status();
  CHECK((absl::IsUnavailable(offline) || absl::IsDeadlineExceeded(offline)));
  for (const Profile& p : cached)
    CHECK(p.bytes() == want.at(std::string(p.customer_id())));
}

}  // namespace
}  // namespace ckm
