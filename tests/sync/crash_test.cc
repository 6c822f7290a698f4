// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// kill -9 mid-stream, of a partition node (`ckm node`) and of a terminal's
// publisher (`ckm sync`), then a restart: nothing lost, nothing counted
// twice, and no event twice in the stream.

#include <signal.h>

#include "catch2/catch.hpp"
#include "event_gen.h"
#include "sync/nats_server.h"
#include "sync/sync_fixture.h"
#include "tools/cli_runner.h"

namespace ckm {
namespace {

using ckm_test::Child;
using ckm_test::Eventually;
using ckm_test::NatsServer;
using ckm_test::TempDir;

std::vector<std::string> Deployment(const SyncOptions& o) {
  return {"--nats",
          o.nats_url,
          "--partition-count",
          std::to_string(o.partitions),
          "--batch",
          "16",
          "--ack-wait-ms",
          std::to_string(o.ack_wait_ms)};
}

Child StartCkm(std::vector<std::string> args, const SyncOptions& o,
               const std::string& log) {
  args.insert(args.begin(), CKM_CLI);
  for (const std::string& a : Deployment(o)) args.push_back(a);
  return Child(args, log);
}

// Messages the partition nodes have acknowledged, over all partitions.
std::uint64_t Acknowledged(const SyncOptions& o) {
  absl::StatusOr<SyncStatus> status = ReadSyncStatus(o);
  if (!status.ok()) return 0;
  std::uint64_t done = 0;
  for (const PartitionStatus& p : status->per_partition)
    done += p.has_consumer ? p.messages - p.lag : 0;
  return done;
}

TEST_CASE("kill -9 of a partition node mid-stream loses and doubles nothing") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  TempDir disk;  // the node's store syncs each batch: slow enough to catch
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const std::vector<Event> events = ckm_test::EventGen(21, 60).Events(3000);
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  REQUIRE_OK(reference->Record(events));
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(0, 1500)));
  REQUIRE_OK(DrainOutbox(*terminal, options));

  const std::string node_db = disk.sub("node");
  const std::string log = dir.sub("node.log");
  Child node =
      StartCkm({"node", "--partitions", "0-3", "--db", node_db}, options, log);
  REQUIRE(Eventually([&] { return Acknowledged(options) >= 100; }));
  node.Kill(SIGKILL);
  // The rest arrives while the node is down: it was killed mid-stream.
  REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(1500)));
  REQUIRE_OK(DrainOutbox(*terminal, options));
  CHECK(Acknowledged(options) < events.size());

  node =
      StartCkm({"node", "--partitions", "0-3", "--db", node_db}, options, log);
  const bool drained =
      Eventually([&] { return ckm_test::Drained(options, events.size()); });
  INFO(ckm_test::Slurp(log));
  REQUIRE(drained);
  REQUIRE(node.Kill(SIGTERM) == 0);
  auto head_office = ckm_test::OpenTestStore(node_db, false);
  ckm_test::RequireSameProfiles(*reference, {head_office.get()},
                                {{0, 1, 2, 3}});
}

TEST_CASE("kill -9 of a publisher mid-stream loses and doubles nothing") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const std::vector<Event> events = ckm_test::EventGen(22, 60).Events(4000);
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  REQUIRE_OK(reference->Record(events));
  const std::string terminal_db = dir.sub("terminal");
  {
    auto terminal = ckm_test::OpenTestStore(terminal_db, true);
    REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(0, 3000)));
  }
  const std::string log = dir.sub("sync.log");
  Child agent = StartCkm({"sync", "--db", terminal_db}, options, log);
  REQUIRE(Eventually([&] { return ckm_test::StreamMessages(options) >= 300; }));
  agent.Kill(SIGKILL);
  {
    // More sales while the agent is down: it was killed mid-stream.
    auto terminal = ckm_test::OpenTestStore(terminal_db, true);
    CHECK(ckm_test::OutboxDepth(*terminal) > 0);
    REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(3000)));
  }
  agent = StartCkm({"sync", "--once", "--db", terminal_db}, options, log);
  REQUIRE(agent.Wait() == 0);
  INFO(ckm_test::Slurp(log));
  // Entries published before the kill but not yet removed were published
  // again, and the duplicate window kept one copy of each.
  CHECK(ckm_test::StreamMessages(options) == events.size());
  {
    auto terminal = ckm_test::OpenTestStore(terminal_db, true);
    CHECK(ckm_test::OutboxDepth(*terminal) == 0);
  }
  auto head_office = ckm_test::OpenTestStore(dir.sub("node"), false);
  auto node = PartitionNode::Start(*head_office, {0, 1, 2, 3}, options);
  REQUIRE_OK(node);
  REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));
  (*node)->Stop();
  CHECK((*node)->stats().recorded == events.size());
  ckm_test::RequireSameProfiles(*reference, {head_office.get()},
                                {{0, 1, 2, 3}});
}

}  // namespace
}  // namespace ckm
