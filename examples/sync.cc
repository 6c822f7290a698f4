// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Sync (docs/sync.md): a terminal's store with an outbox, its sync agent,
// and a head-office partition node. Run without a server (as CI does) it
// shows a terminal selling offline; given a NATS URL with JetStream
// (`nats-server -js`) as its second argument it also syncs to head office.
#include "ckm/sync.h"

#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "ckm/store.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp/ckm-sync";
  const std::string url = argc > 2 ? argv[2] : "nats://127.0.0.1:1";
  const std::int64_t t = 1'768'471'200'000;  // 2026-01-15T10:00:00Z

  // [snippet:terminal]
  ckm::StoreOptions terminal_options;
  terminal_options.outbox = true;  // queue every new event for head office
  auto terminal = ckm::Store::Open(dir + "/terminal", terminal_options);
  if (!terminal.ok()) return Fail(terminal.status());

  ckm::SyncOptions sync;
  sync.nats_url = url;   // head office's NATS servers
  sync.partitions = 16;  // fixed for the deployment
  auto agent = ckm::SyncAgent::Start(**terminal, sync);
  if (!agent.ok()) return Fail(agent.status());
  // [end]

  // [snippet:offline]
  // Sales go on whether or not the server is reachable.
  ckm::Purchase order{"o-1", "GBP", ckm::Channel::kInStore, "leeds-01"};
  order.lines = {{"tea-earl-grey", "tea", 2, 4'500'000}};
  const std::vector<ckm::Event> sales = {
      {1, ckm::CustomerRef::Id("c-1001"), t, "pos-07", order},
      {2, ckm::CustomerRef::Id("c-1001"), t + 1, "pos-07",
       ckm::Loyalty::Earn(90)}};
  auto recorded = (*terminal)->Record(sales);
  if (!recorded.ok()) return Fail(recorded.status());
  auto depth = (*terminal)->OutboxDepth();
  if (!depth.ok()) return Fail(depth.status());
  std::cout << "outbox: " << *depth << " events waiting\n";
  // [end]

  // The web shop's record of the same person, merged at the till.
  const ckm::Event web{3, ckm::CustomerRef::Id("c-1002"), t + 2, "web",
                       ckm::Loyalty::Earn(10)};
  if (auto r = (*terminal)->Record(web); !r.ok()) return Fail(r.status());
  // [snippet:merge]
  ckm::IdentityChangeOptions why;
  why.actor = "till-07";
  why.reason = "same loyalty card";
  // Queued in the batch that merges: head office merges them as well.
  if (auto s = (*terminal)->Merge("c-1001", "c-1002", why); !s.ok())
    return Fail(s);
  // [end]

  if (argc <= 2) {
    // No server given: the agent keeps trying; the outbox keeps the events.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const ckm::SyncAgentStats stats = (*agent)->stats();
    std::cout << "agent: published " << stats.published
              << ", last error: " << stats.last_error << "\n";
    return stats.published == 0 ? 0 : 1;
  }

  // [snippet:node]
  auto head_office = ckm::Store::Open(dir + "/head-office");
  if (!head_office.ok()) return Fail(head_office.status());
  std::vector<int> partitions;
  for (int p = 0; p < sync.partitions; ++p) partitions.push_back(p);
  auto node = ckm::PartitionNode::Start(**head_office, partitions, sync);
  if (!node.ok()) return Fail(node.status());
  // [end]

  // [snippet:status]
  for (int i = 0; i < 100; ++i) {
    auto status = ckm::ReadSyncStatus(sync);
    std::uint64_t lag = 0;
    if (status.ok())
      for (const ckm::PartitionStatus& p : status->per_partition) lag += p.lag;
    auto waiting = (*terminal)->OutboxDepth();
    if (status.ok() && waiting.ok() && *waiting == 0 && lag == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // [end]
  // [snippet:fetch]
  // A customer this terminal may not hold: head office's copy, read there
  // for this role, kept as a Profile that stays readable offline.
  ckm::ReadOptions till;
  till.role = "till";
  absl::StatusOr<ckm::Profile> copy = ckm::FetchProfile(sync, "c-1001", till);
  if (!copy.ok()) return Fail(copy.status());
  std::cout << "fetched: " << copy->loyalty().balance() << " points\n";
  // [end]
  (*node)->Stop();
  (*agent)->Stop();
  auto profile = (*head_office)->Get("c-1001");
  if (!profile.ok()) return Fail(profile.status());
  std::cout << "head office: c-1001 has " << profile->loyalty().balance()
            << " points\n";
  return 0;
}
