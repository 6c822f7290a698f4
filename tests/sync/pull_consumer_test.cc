// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The pull consumer: never more than a batch at once, however many
// messages came early or late, and each message once until acknowledged.
// libnats 3.4's own Fetch wrote past its array when more than half a batch
// was waiting as it began (pull_consumer.h).

#include "sync/pull_consumer.h"

#include <algorithm>
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

// Publishes messages "from" to "n-1" to partition 0's subject.
void PublishNumbers(Connection& c, const SyncOptions& o, int n, int from = 0) {
  const std::string subject = EventSubject(o, 0);
  for (int i = from; i < n; ++i) {
    const std::string body = std::to_string(i);
    jsPubAck* ack = nullptr;
    REQUIRE(js_Publish(&ack, c.js(), subject.c_str(), body.data(),
                       static_cast<int>(body.size()), nullptr,
                       nullptr) == NATS_OK);
    jsPubAck_Destroy(ack);
  }
}

// A test's own server, and connections to it with the streams made. A
// connection is closed before the consumers opened on it are destroyed,
// even when a REQUIRE fails (Connection::Close says why).
class Setup {
 public:
  Setup() : server_(dir_.path()), o(ckm_test::TestSyncOptions(server_.url())) {}

  // Partition 0's consumer on a new connection; `subject_of` is the
  // partition whose subject it reads.
  PullConsumer& Consumer(int subject_of = 0) {
    absl::StatusOr<PullConsumer*> c = TryConsumer(subject_of);
    REQUIRE_OK(c);
    return **c;
  }
  absl::StatusOr<PullConsumer*> TryConsumer(int subject_of = 0) {
    Link& link = NewLink();
    absl::StatusOr<std::unique_ptr<PullConsumer>> c = PullConsumer::Open(
        *link.connection, o, EventSubject(o, subject_of), ConsumerName(o, 0));
    if (!c.ok()) return c.status();
    link.consumer = *std::move(c);
    return link.consumer.get();
  }
  Connection& NewConnection() { return *NewLink().connection; }
  NatsServer& server() { return server_; }
  Connection& LastConnection() { return *links_.back()->connection; }
  // Closes every connection and destroys what is on them.
  void Close() { links_.clear(); }

 private:
  struct Link {
    std::unique_ptr<Connection> connection;
    std::unique_ptr<PullConsumer> consumer;
    ~Link() {
      if (connection != nullptr) connection->Close();  // before `consumer`
    }
  };
  Link& NewLink() {
    absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(o);
    REQUIRE_OK(c);
    REQUIRE_OK(EnsureStreams(**c, o));
    links_.push_back(std::make_unique<Link>());
    links_.back()->connection = *std::move(c);
    return *links_.back();
  }

  TempDir dir_ = TempDir::InMemory();
  NatsServer server_;

 public:
  const SyncOptions o;

 private:
  std::vector<std::unique_ptr<Link>> links_;
};

// Fetches until `want` distinct messages came (or three fetches in a row
// bring nothing), acknowledging each; checks that no fetch brings more
// than `batch`. One fetch may bring nothing while messages remain: the
// server ends a request at once ("408 Requests Pending") while an earlier
// one it has not yet struck off could take them.
std::set<std::string> FetchAll(PullConsumer& consumer, int batch,
                               std::size_t want) {
  std::set<std::string> seen;
  for (int empty = 0; seen.size() < want && empty < 3;) {
    absl::StatusOr<std::vector<MsgPtr>> got = consumer.Fetch(batch, 500);
    REQUIRE_OK(got);
    CHECK(got->size() <= static_cast<std::size_t>(batch));
    empty = got->empty() ? empty + 1 : 0;
    for (const MsgPtr& msg : *got) {
      CHECK(seen.insert(std::string(Payload(msg.get()))).second);
      consumer.Ack(msg.get());
    }
  }
  return seen;
}

TEST_CASE("A fetch brings at most a batch, however many came early") {
  SKIP_WITHOUT_NATS_SERVER();
  Setup setup;
  PublishNumbers(setup.NewConnection(), setup.o, 300);
  PullConsumer& consumer = setup.Consumer();

  // 200 delivered before any fetch: more than three batches of 64, the
  // case that overran libnats' Fetch.
  REQUIRE_OK(consumer.Request(200, 1000));
  const std::set<std::string> seen = FetchAll(consumer, 64, 300);
  CHECK(seen.size() == 300);
  // All acknowledged: nothing more comes.
  absl::StatusOr<std::vector<MsgPtr>> more = consumer.Fetch(64, 200);
  REQUIRE_OK(more);
  CHECK(more->empty());
}

TEST_CASE("An earlier request's end does not end a later fetch") {
  SKIP_WITHOUT_NATS_SERVER();
  Setup setup;
  PullConsumer& consumer = setup.Consumer();
  // Nothing in the stream: this request ends, empty, while the fetch
  // below waits; the message published meanwhile is the fetch's.
  REQUIRE_OK(consumer.Request(1, 50));
  Connection& publisher = setup.NewConnection();
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    PublishNumbers(publisher, setup.o, 1);
  });
  absl::StatusOr<std::vector<MsgPtr>> got = consumer.Fetch(1, 5000);
  later.join();
  REQUIRE_OK(got);
  REQUIRE(got->size() == 1);
  CHECK(Payload((*got)[0].get()) == "0");
}

TEST_CASE("A message not acknowledged comes again, and a NAK brings it back") {
  SKIP_WITHOUT_NATS_SERVER();
  Setup setup;
  PublishNumbers(setup.NewConnection(), setup.o, 3);
  PullConsumer& consumer = setup.Consumer();
  absl::StatusOr<std::vector<MsgPtr>> first = consumer.Fetch(3, 1000);
  REQUIRE_OK(first);
  REQUIRE(first->size() == 3);
  consumer.Ack((*first)[0].get());
  consumer.Nak((*first)[1].get(), 0);
  // "2" is neither: it comes again after the ack wait (1 s in tests).
  std::set<std::string> again;
  for (int i = 0; i < 40 && again.size() < 2; ++i) {
    absl::StatusOr<std::vector<MsgPtr>> got = consumer.Fetch(3, 100);
    REQUIRE_OK(got);
    for (const MsgPtr& msg : *got) {
      again.insert(std::string(Payload(msg.get())));
      consumer.Ack(msg.get());
    }
  }
  CHECK(again == std::set<std::string>{"1", "2"});
}

TEST_CASE("A consumer opened again goes on where it left off") {
  SKIP_WITHOUT_NATS_SERVER();
  Setup setup;
  PublishNumbers(setup.NewConnection(), setup.o, 10);
  PullConsumer& consumer = setup.Consumer();
  CHECK(FetchAll(consumer, 4, 8).size() == 8);  // "0" to "7"
  REQUIRE(natsConnection_FlushTimeout(setup.LastConnection().nc(), 1000) ==
          NATS_OK);
  setup.Close();
  PullConsumer& again = setup.Consumer();
  CHECK(FetchAll(again, 4, 10) == std::set<std::string>{"8", "9"});
}

// Fetches with `wait_ms` until `want` messages came or `tries` fetches
// were made, acknowledging each; the payloads in the order they came.
// `server_away`: a fetch may fail, the server being stopped.
std::vector<std::string> FetchInOrder(PullConsumer& consumer, std::size_t want,
                                      int tries, std::int64_t wait_ms = 100,
                                      bool server_away = false) {
  std::vector<std::string> order;
  for (int i = 0; i < tries && order.size() < want; ++i) {
    absl::StatusOr<std::vector<MsgPtr>> got = consumer.Fetch(2, wait_ms);
    if (!server_away) REQUIRE_OK(got);
    if (!got.ok()) continue;
    for (const MsgPtr& msg : *got) {
      order.emplace_back(Payload(msg.get()));
      consumer.Ack(msg.get());
    }
  }
  return order;
}

// `order` without its repeats: a message may come twice around a cut.
std::vector<std::string> Distinct(const std::vector<std::string>& order) {
  std::vector<std::string> distinct;
  for (const std::string& m : order)
    if (std::find(distinct.begin(), distinct.end(), m) == distinct.end())
      distinct.push_back(m);
  return distinct;
}

// Publishes "0" to "3"; a new consumer is handed them, acknowledges "0",
// asks for "`nak`" again after retry_ms (none if negative), as a change
// waiting for its events, and never answers the rest; flushed, so that the
// server has taken all of it in.
PullConsumer& LeaveUnanswered(Setup& setup, Connection& publisher, int nak) {
  PublishNumbers(publisher, setup.o, 4);
  PullConsumer& consumer = setup.Consumer();
  absl::StatusOr<std::vector<MsgPtr>> first = consumer.Fetch(4, 1000);
  REQUIRE_OK(first);
  REQUIRE(first->size() == 4);
  consumer.Ack((*first)[0].get());
  if (nak >= 0) consumer.Nak((*first)[nak].get(), setup.o.retry_ms);
  REQUIRE(natsConnection_FlushTimeout(setup.LastConnection().nc(), 1000) ==
          NATS_OK);
  return consumer;
}

// LeaveUnanswered as by a node then killed; "4" and "5" are published
// after it, and the consumer is opened again.
PullConsumer& OpenedAfterKill(Setup& setup, int nak) {
  Connection& publisher = setup.NewConnection();
  LeaveUnanswered(setup, publisher, nak);
  PublishNumbers(publisher, setup.o, 6, 4);
  return setup.Consumer();
}

// A node killed mid-batch: "0" acknowledged, "1" asked for again soon, "2"
// and "3" never answered. Opened again, the consumer brings them back
// before "4" and "5", published since; the server alone would send "4" and
// "5" at once and "2" and "3" only after its ack wait.
TEST_CASE("What a consumer left unacknowledged comes back before newer ones") {
  SKIP_WITHOUT_NATS_SERVER();
  Setup setup;
  PullConsumer& again = OpenedAfterKill(setup, 1);
  CHECK(FetchInOrder(again, 5, 100) ==
        std::vector<std::string>{"1", "2", "3", "4", "5"});
  // Acknowledged, each once: nothing more comes.
  absl::StatusOr<std::vector<MsgPtr>> more = again.Fetch(6, 1500);
  REQUIRE_OK(more);
  CHECK(more->empty());
}

// Opened after a clean stop whose acknowledgements may still be on their
// way (no flush), a consumer brings what came since, in order.
TEST_CASE("A consumer opened after a clean stop goes on in order") {
  SKIP_WITHOUT_NATS_SERVER();
  Setup setup;
  Connection& publisher = setup.NewConnection();
  PublishNumbers(publisher, setup.o, 2);
  PullConsumer& stopped = setup.Consumer();
  CHECK(FetchAll(stopped, 2, 2).size() == 2);
  PublishNumbers(publisher, setup.o, 4, 2);
  PullConsumer& again = setup.Consumer();
  CHECK(FetchInOrder(again, 2, 100) == std::vector<std::string>{"2", "3"});
}

// The leftovers fall due in another order than the stream's: "2", NAKed
// with a short delay, before "1" and "3", never answered. They still come
// back in the stream's order, before what was published since.
TEST_CASE("Leftovers come back in the stream's order, not as they fall due") {
  SKIP_WITHOUT_NATS_SERVER();
  Setup setup;
  PullConsumer& again = OpenedAfterKill(setup, 2);
  CHECK(FetchInOrder(again, 5, 100) ==
        std::vector<std::string>{"1", "2", "3", "4", "5"});
}

// Messages a consumer was handed and never answered before a cut (as if
// lost on the wire) come back, once the server is back, only when due:
// the consumer arms its leftovers' rules again when libnats has
// reconnected, so they still come before what was published since.
TEST_CASE("Messages lost in a cut come back before newer ones") {
  SKIP_WITHOUT_NATS_SERVER();
  Setup setup;
  PullConsumer& consumer = LeaveUnanswered(setup, setup.NewConnection(), -1);
  setup.server().Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  setup.server().Start();
  PublishNumbers(setup.NewConnection(), setup.o, 6, 4);
  CHECK(FetchInOrder(consumer, 5, 200, 100, /*server_away=*/true) ==
        std::vector<std::string>{"1", "2", "3", "4", "5"});
}

// Cut off longer than the leftovers' rules would wait, a consumer still
// hands over nothing newer before the leftovers: nothing can come back
// while the server is away.
TEST_CASE("A long cut does not release newer messages before leftovers") {
  SKIP_WITHOUT_NATS_SERVER();
  Setup setup;
  PullConsumer& again = OpenedAfterKill(setup, -1);
  CHECK(FetchInOrder(again, 1, 3, 50).empty());  // keeps "4"
  setup.server().Stop();
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(setup.o.ack_wait_ms + 3000);
  std::vector<std::string> order;
  while (std::chrono::steady_clock::now() < end)
    for (const std::string& m : FetchInOrder(again, 1, 1, 50, true))
      order.push_back(m);
  CHECK(order.empty());
  setup.server().Start();
  for (const std::string& m : FetchInOrder(again, 5, 200, 100, true))
    order.push_back(m);
  CHECK(Distinct(order) == std::vector<std::string>{"1", "2", "3", "4", "5"});
}

TEST_CASE("A consumer of that name with other settings is refused") {
  SKIP_WITHOUT_NATS_SERVER();
  Setup setup;
  setup.Consumer(1);
  absl::StatusOr<PullConsumer*> second = setup.TryConsumer(0);
  CHECK(absl::IsFailedPrecondition(second.status()));
  CHECK(second.status().message().find("not on " + EventSubject(setup.o, 0)) !=
        std::string::npos);
}

}  // namespace
}  // namespace ckm::sync
