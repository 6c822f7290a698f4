// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Adding a partition node as docs/sync.md describes: stop the node, copy
// its store, start the old and the new node with half the partitions each.
// Nothing is lost or counted twice across the hand-over.

#include <filesystem>

#include "catch2/catch.hpp"
#include "event_gen.h"
#include "sync/nats_server.h"
#include "sync/sync_fixture.h"

namespace ckm {
namespace {

using ckm_test::Eventually;
using ckm_test::NatsServer;
using ckm_test::TempDir;

TEST_CASE("Partitions move to a new node with a copy of the store") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const std::vector<Event> events = ckm_test::EventGen(61, 40).Events(1600);
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  REQUIRE_OK(reference->Record(events));
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(0, 800)));
  REQUIRE_OK(DrainOutbox(*terminal, options));

  const std::string old_dir = dir.sub("node-old"),
                    new_dir = dir.sub("node-new");
  {
    auto store = ckm_test::OpenTestStore(old_dir, false);
    auto node = PartitionNode::Start(*store, {0, 1, 2, 3}, options);
    REQUIRE_OK(node);
    REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));
    // 1. Stop the node. 2. Copy its store.
  }
  std::filesystem::copy(old_dir, new_dir,
                        std::filesystem::copy_options::recursive);
  // Terminals go on meanwhile.
  REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(800)));
  REQUIRE_OK(DrainOutbox(*terminal, options));
  // 3. The old node keeps 0-1, the new one takes 2-3.
  const std::vector<std::vector<int>> served = {{0, 1}, {2, 3}};
  auto old_store = ckm_test::OpenTestStore(old_dir, false);
  auto new_store = ckm_test::OpenTestStore(new_dir, false);
  auto old_node = PartitionNode::Start(*old_store, served[0], options);
  auto new_node = PartitionNode::Start(*new_store, served[1], options);
  REQUIRE_OK(old_node);
  REQUIRE_OK(new_node);
  REQUIRE(
      Eventually([&] { return ckm_test::Drained(options, events.size()); }));
  (*old_node)->Stop();
  (*new_node)->Stop();
  CHECK((*old_node)->stats().already_recorded +
            (*new_node)->stats().already_recorded ==
        0);
  ckm_test::RequireServedProfiles(*reference,
                                  {old_store.get(), new_store.get()}, served);
}

}  // namespace
}  // namespace ckm
