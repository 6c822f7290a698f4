// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Three terminals, each offline for part of the run, record overlapping
// customers with retries, events out of order and the same event on two
// terminals; two partition nodes record the stream, and terminal 0 follows
// partitions 0 and 1. Once everything is back, head office's profiles are
// the fold of all events, byte for byte, and so are terminal 0's copies of
// the customers it follows.

#include <algorithm>
#include <random>

#include "catch2/catch.hpp"
#include "event_gen.h"
#include "sync/nats_server.h"
#include "sync/sync_fixture.h"

namespace ckm {
namespace {

using ckm_test::Eventually;
using ckm_test::NatsServer;
using ckm_test::TempDir;

constexpr int kTerminals = 3;

// Each terminal's share of `events`, in its own shuffled order: every event
// on one terminal, some also on a second one, and some recorded twice on
// the same terminal (a retry).
std::vector<std::vector<Event>> Share(const std::vector<Event>& events,
                                      std::mt19937_64& rng) {
  std::vector<std::vector<Event>> out(kTerminals);
  std::uniform_int_distribution<int> terminal(0, kTerminals - 1), pct(0, 99);
  for (const Event& e : events) {
    const int t = terminal(rng);
    out[t].push_back(e);
    if (pct(rng) < 15) out[(t + 1) % kTerminals].push_back(e);
    if (pct(rng) < 10) out[t].push_back(e);
  }
  for (std::vector<Event>& share : out)
    std::shuffle(share.begin(), share.end(), rng);
  return out;
}

// Records part `part` (0, 1, 2) of each terminal's share, in batches of 7.
void RecordPart(const std::vector<std::unique_ptr<Store>>& terminals,
                const std::vector<std::vector<Event>>& shares, int part) {
  for (int t = 0; t < kTerminals; ++t) {
    const std::vector<Event>& share = shares[t];
    const std::size_t from = share.size() * part / 3;
    const std::size_t to = share.size() * (part + 1) / 3;
    for (std::size_t i = from; i < to; i += 7) {
      const std::size_t n = std::min<std::size_t>(7, to - i);
      REQUIRE_OK(
          terminals[t]->Record(absl::MakeConstSpan(share).subspan(i, n)));
    }
  }
}

TEST_CASE("Terminals offline for part of the run converge at head office") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());

  std::mt19937_64 rng(15);
  const std::vector<Event> events = ckm_test::EventGen(15, 40).Events(900);
  const std::vector<std::vector<Event>> shares = Share(events, rng);
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  REQUIRE_OK(reference->Record(events));

  std::vector<std::unique_ptr<Store>> terminals;
  for (int t = 0; t < kTerminals; ++t) {
    terminals.push_back(ckm_test::OpenTestStore(
        dir.sub("terminal-" + std::to_string(t)), true));
  }
  const std::vector<std::vector<int>> served = {{0, 1}, {2, 3}};
  auto node_a = ckm_test::OpenTestStore(dir.sub("node-a"), false);
  auto node_b = ckm_test::OpenTestStore(dir.sub("node-b"), false);
  auto a = PartitionNode::Start(*node_a, served[0], options);
  auto b = PartitionNode::Start(*node_b, served[1], options);
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  NodeOptions follow;
  follow.follower = "terminal-0";
  auto follower =
      PartitionNode::Start(*terminals[0], served[0], options, follow);
  REQUIRE_OK(follower);

  // 1. Terminal 1's agent is not running: it is offline.
  std::vector<std::unique_ptr<SyncAgent>> agents(kTerminals);
  for (int t : {0, 2}) {
    auto agent = SyncAgent::Start(*terminals[t], options);
    REQUIRE_OK(agent);
    agents[t] = *std::move(agent);
  }
  RecordPart(terminals, shares, 0);
  const bool sent =
      Eventually([&] { return ckm_test::OutboxDepth(*terminals[0]) == 0; });
  INFO("terminal 0: " << agents[0]->stats().last_error);
  REQUIRE(sent);
  // 2. The server goes away: every terminal records offline.
  server.Stop();
  RecordPart(terminals, shares, 1);
  CHECK(ckm_test::OutboxDepth(*terminals[2]) > 0);
  // 3. The server is back, and so is terminal 1.
  server.Start();
  auto agent = SyncAgent::Start(*terminals[1], options);
  REQUIRE_OK(agent);
  agents[1] = *std::move(agent);
  RecordPart(terminals, shares, 2);

  const bool drained = Eventually([&] {
    for (const auto& t : terminals)
      if (ckm_test::OutboxDepth(*t) != 0) return false;
    return ckm_test::Drained(options);
  });
  for (int t = 0; t < kTerminals; ++t) {
    INFO("terminal " << t << ": " << agents[t]->stats().last_error);
  }
  INFO("node a: " << (*a)->stats().last_error);
  INFO("node b: " << (*b)->stats().last_error);
  REQUIRE(drained);
  // Terminal 0 holds every event of the partitions it follows.
  const auto followed = [&] {
    std::map<std::string, std::string> mine =
        ckm_test::ProfilesById(*terminals[0]);
    for (auto it = mine.begin(); it != mine.end();) {
      const int p = PartitionOf(it->first, ckm_test::kTestPartitions);
      it = p == 0 || p == 1 ? std::next(it) : mine.erase(it);
    }
    return mine;
  };
  const bool converged =
      Eventually([&] { return followed() == ckm_test::ProfilesById(*node_a); });
  INFO("follower: " << (*follower)->stats().last_error);
  CHECK(converged);
  // The status shows the follower on the partitions it follows, caught up.
  const auto follower_lags = [&] {
    std::vector<std::pair<int, FollowerLag>> lags;
    absl::StatusOr<SyncStatus> status = ReadSyncStatus(options);
    if (!status.ok()) return lags;
    for (const PartitionStatus& p : status->per_partition)
      for (const FollowerLag& f : p.followers) lags.push_back({p.partition, f});
    return lags;
  };
  CHECK(Eventually([&] {
    const auto lags = follower_lags();
    return lags.size() == 2 && lags[0].first == 0 && lags[1].first == 1 &&
           lags[0].second.follower == "terminal-0" &&
           lags[1].second.follower == "terminal-0" && lags[0].second.lag == 0 &&
           lags[1].second.lag == 0;
  }));
  (*follower)->Stop();
  // What it recorded from head office did not travel back.
  CHECK(ckm_test::OutboxDepth(*terminals[0]) == 0);
  for (auto& agent_t : agents) agent_t->Stop();
  (*a)->Stop();
  (*b)->Stop();
  // Each distinct event reached the stream once: retries and the copies
  // from a second terminal were dropped as duplicates.
  CHECK(ckm_test::StreamMessages(options) == events.size());
  CHECK((*a)->stats().recorded + (*b)->stats().recorded == events.size());
  CHECK((*a)->stats().dead_letters + (*b)->stats().dead_letters == 0);
  ckm_test::RequireSameProfiles(*reference, {node_a.get(), node_b.get()},
                                served);
}

}  // namespace
}  // namespace ckm
