// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What the sync tests share: deployment options for a test server, stores,
// waiting for the stream to drain, and the comparison of head office's
// profiles with a reference store that recorded every event directly.

#ifndef CKM_TESTS_SYNC_SYNC_FIXTURE_H_
#define CKM_TESTS_SYNC_SYNC_FIXTURE_H_

#include <nats/nats.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "ckm/sync.h"
#include "test_util.h"

namespace ckm_test {

inline constexpr int kTestPartitions = 4;

// Short waits: a test server on this machine answers at once or is down.
inline ckm::SyncOptions TestSyncOptions(const std::string& url) {
  ckm::SyncOptions o;
  o.nats_url = url;
  o.partitions = kTestPartitions;
  o.timeout_ms = 1000;
  o.retry_ms = 50;
  o.poll_ms = 50;
  o.batch = 64;
  o.ack_wait_ms = 1000;  // a killed node's messages come back soon
  return o;
}

inline std::unique_ptr<ckm::Store> OpenTestStore(const std::string& path,
                                                 bool outbox) {
  ckm::StoreOptions options;
  options.outbox = outbox;
  options.durability = ckm::Durability::kBuffered;
  auto store = ckm::Store::Open(path, options);
  REQUIRE_OK(store);
  return *std::move(store);
}

// A till's store at `path` (with an outbox) that recorded `events` and
// published them all.
inline std::unique_ptr<ckm::Store> PublishedTerminal(
    const std::string& path, const std::vector<ckm::Event>& events,
    const ckm::SyncOptions& options) {
  auto terminal = OpenTestStore(path, true);
  REQUIRE_OK(terminal->Record(events));
  REQUIRE_OK(ckm::DrainOutbox(*terminal, options));
  return terminal;
}

inline std::uint64_t OutboxDepth(const ckm::Store& store) {
  auto depth = store.OutboxDepth();
  REQUIRE_OK(depth);
  return *depth;
}

// True once every partition has a consumer that has acknowledged every
// message, and the stream holds `messages` in all (0: any number).
inline bool Drained(const ckm::SyncOptions& o, std::uint64_t messages = 0) {
  absl::StatusOr<ckm::SyncStatus> status = ckm::ReadSyncStatus(o);
  if (!status.ok()) return false;
  std::uint64_t total = 0;
  for (const ckm::PartitionStatus& p : status->per_partition) {
    if (!p.has_consumer || p.lag > 0) return false;
    total += p.messages;
  }
  return messages == 0 || total == messages;
}

inline std::uint64_t StreamMessages(const ckm::SyncOptions& o) {
  absl::StatusOr<ckm::SyncStatus> status = ckm::ReadSyncStatus(o);
  if (!status.ok()) return 0;
  std::uint64_t total = 0;
  for (const ckm::PartitionStatus& p : status->per_partition)
    total += p.messages;
  return total;
}

// Head office (`nodes`, each serving the partitions `served[i]`) holds
// exactly the reference's profiles, byte for byte, each on the node of its
// partition and nowhere else: nothing lost, nothing counted twice.
inline void RequireSameProfiles(const ckm::Store& reference,
                                const std::vector<const ckm::Store*>& nodes,
                                const std::vector<std::vector<int>>& served) {
  const std::map<std::string, std::string> want =
      ckm_test::ProfilesById(reference);
  REQUIRE(!want.empty());
  std::size_t held = 0;
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    const std::map<std::string, std::string> got =
        ckm_test::ProfilesById(*nodes[n]);
    held += got.size();
    for (const auto& [customer, bytes] : got) {
      INFO("customer " << customer << " on node " << n);
      const int p = ckm::PartitionOf(customer, kTestPartitions);
      CHECK(std::find(served[n].begin(), served[n].end(), p) !=
            served[n].end());
      REQUIRE(want.count(customer) == 1);
      CHECK(bytes == want.at(customer));
    }
  }
  CHECK(held == want.size());
}

// Every reference customer's profile, byte for byte, on the node serving
// its partition; what else the nodes hold (customers of partitions they
// gave away) is not looked at.
inline void RequireServedProfiles(const ckm::Store& reference,
                                  const std::vector<const ckm::Store*>& nodes,
                                  const std::vector<std::vector<int>>& served) {
  const std::map<std::string, std::string> want =
      ckm_test::ProfilesById(reference);
  REQUIRE(!want.empty());
  for (const auto& [customer, bytes] : want) {
    INFO("customer " << customer);
    const int p = ckm::PartitionOf(customer, kTestPartitions);
    std::size_t n = 0;
    while (n < served.size() &&
           std::find(served[n].begin(), served[n].end(), p) == served[n].end())
      ++n;
    REQUIRE(n < nodes.size());
    absl::StatusOr<ckm::Profile> got = nodes[n]->Get(customer);
    REQUIRE_OK(got);
    CHECK(got->bytes() == bytes);
  }
}

// The reasons of every dead letter, in the order they were kept.
// Each dead letter's reason (header Ckm-Reason) and payload, in order.
struct DeadLetter {
  std::string reason;
  std::string body;
};
inline std::vector<DeadLetter> ReadDeadLetters(const ckm::SyncOptions& o) {
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, o.nats_url.c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  const std::string stream = o.stream + "_DEAD";
  std::vector<DeadLetter> letters;
  natsMsg* msg = nullptr;
  for (std::uint64_t seq = 1;
       js_GetMsg(&msg, js, stream.c_str(), seq, nullptr, nullptr) == NATS_OK;
       ++seq) {
    DeadLetter letter;
    const char* value = nullptr;
    if (natsMsgHeader_Get(msg, "Ckm-Reason", &value) == NATS_OK)
      letter.reason = value;
    if (natsMsg_GetDataLength(msg) > 0)
      letter.body.assign(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    letters.push_back(std::move(letter));
    natsMsg_Destroy(msg);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return letters;
}

inline std::vector<std::string> DeadLetterReasons(const ckm::SyncOptions& o) {
  std::vector<std::string> reasons;
  for (const DeadLetter& letter : ReadDeadLetters(o))
    reasons.push_back(letter.reason);
  return reasons;
}

}  // namespace ckm_test

#endif  // CKM_TESTS_SYNC_SYNC_FIXTURE_H_
