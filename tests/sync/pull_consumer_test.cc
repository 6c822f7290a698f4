// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The pull consumer: never more than a batch at once, however many
// messages came early or late, and each message once until acknowledged.
// libnats 3.4's own Fetch wrote past its array when more than half a batch
// was waiting as it began (pull_consumer.h).

#include "sync/pull_consumer.h"

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "catch2/catch.hpp"
#include "sync/names.h"
#include "sync/nats_server.h"
#include "sync/sync_fixture.h"

namespace ckm::sync {
namespace {

using ckm_test::NatsServer;
using ckm_test::TempDir;

// Publishes messages "0" to "n-1" to partition 0's subject.
void PublishNumbers(Connection& c, const SyncOptions& o, int n) {
  const std::string subject = EventSubject(o, 0);
  for (int i = 0; i < n; ++i) {
    const std::string body = std::to_string(i);
    jsPubAck* ack = nullptr;
    REQUIRE(js_Publish(&ack, c.js(), subject.c_str(), body.data(),
                       static_cast<int>(body.size()), nullptr,
                       nullptr) == NATS_OK);
    jsPubAck_Destroy(ack);
  }
}

// Closes the connection when it goes, before the consumer declared ahead of
// it: a subscription is destroyed only on a closed connection, even when a
// REQUIRE fails (Connection::Close).
struct CloseFirst {
  Connection& connection;
  ~CloseFirst() { connection.Close(); }
};

// Fetches until `want` distinct messages came (or a fetch brings nothing),
// acknowledging each; checks that no fetch brings more than `batch`.
std::set<std::string> FetchAll(PullConsumer& consumer, int batch,
                               std::size_t want) {
  std::set<std::string> seen;
  while (seen.size() < want) {
    absl::StatusOr<std::vector<MsgPtr>> got = consumer.Fetch(batch, 500);
    REQUIRE_OK(got);
    CHECK(got->size() <= static_cast<std::size_t>(batch));
    if (got->empty()) break;
    for (const MsgPtr& msg : *got) {
      CHECK(seen.insert(std::string(Payload(msg.get()))).second);
      consumer.Ack(msg.get());
    }
  }
  return seen;
}

TEST_CASE("A fetch brings at most a batch, however many came early") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions o = ckm_test::TestSyncOptions(server.url());
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(o);
  REQUIRE_OK(c);
  REQUIRE_OK(EnsureStreams(**c, o));
  PublishNumbers(**c, o, 300);
  auto consumer =
      PullConsumer::Open(**c, o, EventSubject(o, 0), ConsumerName(o, 0));
  REQUIRE_OK(consumer);
  CloseFirst close_first{**c};

  // 200 delivered before any fetch: more than three batches of 64, the
  // case that overran libnats' Fetch.
  REQUIRE_OK((*consumer)->Request(200, 1000));
  const std::set<std::string> seen = FetchAll(**consumer, 64, 300);
  CHECK(seen.size() == 300);
  // All acknowledged: nothing more comes.
  absl::StatusOr<std::vector<MsgPtr>> more = (*consumer)->Fetch(64, 200);
  REQUIRE_OK(more);
  CHECK(more->empty());
}

TEST_CASE("An earlier request's end does not end a later fetch") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions o = ckm_test::TestSyncOptions(server.url());
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(o);
  REQUIRE_OK(c);
  REQUIRE_OK(EnsureStreams(**c, o));
  auto consumer =
      PullConsumer::Open(**c, o, EventSubject(o, 0), ConsumerName(o, 0));
  REQUIRE_OK(consumer);
  CloseFirst close_first{**c};
  // Nothing in the stream: this request ends, empty, while the fetch
  // below waits; the message published meanwhile is the fetch's.
  REQUIRE_OK((*consumer)->Request(1, 50));
  absl::StatusOr<std::unique_ptr<Connection>> publisher = Connection::Open(o);
  REQUIRE_OK(publisher);
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    PublishNumbers(**publisher, o, 1);
  });
  absl::StatusOr<std::vector<MsgPtr>> got = (*consumer)->Fetch(1, 5000);
  later.join();
  REQUIRE_OK(got);
  REQUIRE(got->size() == 1);
  CHECK(Payload((*got)[0].get()) == "0");
}

TEST_CASE("A message not acknowledged comes again, and a NAK brings it back") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions o = ckm_test::TestSyncOptions(server.url());
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(o);
  REQUIRE_OK(c);
  REQUIRE_OK(EnsureStreams(**c, o));
  PublishNumbers(**c, o, 3);
  auto consumer =
      PullConsumer::Open(**c, o, EventSubject(o, 0), ConsumerName(o, 0));
  REQUIRE_OK(consumer);
  CloseFirst close_first{**c};
  absl::StatusOr<std::vector<MsgPtr>> first = (*consumer)->Fetch(3, 1000);
  REQUIRE_OK(first);
  REQUIRE(first->size() == 3);
  (*consumer)->Ack((*first)[0].get());
  (*consumer)->Nak((*first)[1].get(), 0);
  // "2" is neither: it comes again after the ack wait (1 s in tests).
  std::set<std::string> again;
  for (int i = 0; i < 40 && again.size() < 2; ++i) {
    absl::StatusOr<std::vector<MsgPtr>> got = (*consumer)->Fetch(3, 100);
    REQUIRE_OK(got);
    for (const MsgPtr& msg : *got) {
      again.insert(std::string(Payload(msg.get())));
      (*consumer)->Ack(msg.get());
    }
  }
  CHECK(again == std::set<std::string>{"1", "2"});
}

TEST_CASE("A consumer opened again goes on where it left off") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions o = ckm_test::TestSyncOptions(server.url());
  {
    absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(o);
    REQUIRE_OK(c);
    REQUIRE_OK(EnsureStreams(**c, o));
    PublishNumbers(**c, o, 10);
    auto consumer =
        PullConsumer::Open(**c, o, EventSubject(o, 0), ConsumerName(o, 0));
    REQUIRE_OK(consumer);
    CloseFirst close_first{**c};
    CHECK(FetchAll(**consumer, 4, 8).size() == 8);  // "0" to "7"
    REQUIRE(natsConnection_FlushTimeout((*c)->nc(), 1000) == NATS_OK);
  }
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(o);
  REQUIRE_OK(c);
  auto again =
      PullConsumer::Open(**c, o, EventSubject(o, 0), ConsumerName(o, 0));
  REQUIRE_OK(again);
  CloseFirst close_first{**c};
  CHECK(FetchAll(**again, 4, 10) == std::set<std::string>{"8", "9"});
}

TEST_CASE("A consumer of that name with other settings is refused") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions o = ckm_test::TestSyncOptions(server.url());
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(o);
  REQUIRE_OK(c);
  REQUIRE_OK(EnsureStreams(**c, o));
  auto first =
      PullConsumer::Open(**c, o, EventSubject(o, 1), ConsumerName(o, 0));
  REQUIRE_OK(first);
  CloseFirst close_first{**c};
  auto second =
      PullConsumer::Open(**c, o, EventSubject(o, 0), ConsumerName(o, 0));
  CHECK(absl::IsFailedPrecondition(second.status()));
  CHECK(second.status().message().find("not on " + EventSubject(o, 0)) !=
        std::string::npos);
}

}  // namespace
}  // namespace ckm::sync
