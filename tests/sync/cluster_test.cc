// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A three-server JetStream cluster, streams with three replicas, loses one
// server (kill -9) mid-run: terminals and the node carry on with the other
// two, and head office ends with every event once.

#include <nats/nats.h>

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

// The name of the server leading the event stream ("s0", "s1", "s2").
std::string StreamLeader(const SyncOptions& o) {
  natsConnection* nc = nullptr;
  std::string leader;
  if (natsConnection_ConnectTo(&nc, o.nats_url.c_str()) != NATS_OK)
    return leader;
  jsCtx* js = nullptr;
  jsStreamInfo* info = nullptr;
  if (natsConnection_JetStream(&js, nc, nullptr) == NATS_OK &&
      js_GetStreamInfo(&info, js, o.stream.c_str(), nullptr, nullptr) ==
          NATS_OK &&
      info->Cluster != nullptr && info->Cluster->Leader != nullptr) {
    leader = info->Cluster->Leader;
  }
  if (info != nullptr) jsStreamInfo_Destroy(info);
  if (js != nullptr) jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return leader;
}

TEST_CASE("A three-server cluster losing one server loses no event") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  const std::vector<int> ports = {ckm_test::FreePort(), ckm_test::FreePort(),
                                  ckm_test::FreePort()};
  const std::vector<int> routes = {ckm_test::FreePort(), ckm_test::FreePort(),
                                   ckm_test::FreePort()};
  std::string route_list, url_list;
  for (int i = 0; i < 3; ++i) {
    route_list += (i ? "," : "") + std::string("nats://127.0.0.1:") +
                  std::to_string(routes[i]);
    url_list += (i ? "," : "") + std::string("nats://127.0.0.1:") +
                std::to_string(ports[i]);
  }
  std::vector<std::unique_ptr<NatsServer>> servers;
  for (int i = 0; i < 3; ++i) {
    const std::string sub = dir.sub("server-" + std::to_string(i));
    std::filesystem::create_directories(sub);
    servers.push_back(std::make_unique<NatsServer>(
        sub,
        std::vector<std::string>{
            "--server_name", "s" + std::to_string(i), "--cluster_name", "ckm",
            "--cluster", "nats://127.0.0.1:" + std::to_string(routes[i]),
            "--routes", route_list},
        ports[i]));
  }
  SyncOptions options = ckm_test::TestSyncOptions(url_list);
  options.replicas = 3;

  const std::vector<Event> events = ckm_test::EventGen(41, 30).Events(900);
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  REQUIRE_OK(reference->Record(events));
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  auto head_office = ckm_test::OpenTestStore(dir.sub("node"), false);
  auto agent = SyncAgent::Start(*terminal, options);
  REQUIRE_OK(agent);
  auto node = PartitionNode::Start(*head_office, {0, 1, 2, 3}, options);
  REQUIRE_OK(node);

  REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(0, 300)));
  // The cluster forms, elects leaders and takes the first third.
  const bool first =
      Eventually([&] { return ckm_test::OutboxDepth(*terminal) == 0; }, 60);
  INFO("agent: " << (*agent)->stats().last_error);
  REQUIRE(first);
  // The hardest server to lose: the event stream's leader.
  const std::string leader = StreamLeader(options);
  REQUIRE(leader.size() == 2);
  servers[leader[1] - '0']->Kill();
  REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(300, 300)));
  REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(600)));
  const bool drained = Eventually(
      [&] {
        return ckm_test::OutboxDepth(*terminal) == 0 &&
               ckm_test::Drained(options, events.size());
      },
      60);
  INFO("agent: " << (*agent)->stats().last_error);
  INFO("node: " << (*node)->stats().last_error);
  REQUIRE(drained);
  (*agent)->Stop();
  (*node)->Stop();
  CHECK((*node)->stats().recorded == events.size());
  ckm_test::RequireSameProfiles(*reference, {head_office.get()},
                                {{0, 1, 2, 3}});
}

}  // namespace
}  // namespace ckm
