// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Poison messages: each lands in the dead-letter stream with its reason,
// and the partition keeps flowing.

#include <nats/nats.h>

#include <cstring>
#include <sstream>
#include <string>

#include "catch2/catch.hpp"
#include "codec/event_codec.h"
#include "event_gen.h"
#include "sync/nats_server.h"
#include "sync/sync_fixture.h"
#include "tools/cli_runner.h"

namespace ckm {
namespace {

using ckm_test::Eventually;
using ckm_test::NatsServer;
using ckm_test::TempDir;

// Publishes `data` to `subject` of the stream, as a broken terminal would.
void PublishRaw(const SyncOptions& o, const std::string& subject,
                const std::string& data) {
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, o.nats_url.c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  jsPubAck* ack = nullptr;
  CHECK(js_Publish(&ack, js, subject.c_str(), data.data(),
                   static_cast<int>(data.size()), nullptr, nullptr) == NATS_OK);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

// The reason a dead letter of partition `p` carries (the last one).
std::string LastReason(const SyncOptions& o, int p) {
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, o.nats_url.c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  natsMsg* msg = nullptr;
  const std::string stream = o.stream + "_DEAD";
  const std::string subject = "ckm.dead." + std::to_string(p);
  std::string reason;
  if (js_GetLastMsg(&msg, js, stream.c_str(), subject.c_str(), nullptr,
                    nullptr) == NATS_OK) {
    const char* value = nullptr;
    if (natsMsgHeader_Get(msg, "Ckm-Reason", &value) == NATS_OK) reason = value;
    natsMsg_Destroy(msg);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return reason;
}

// The lag of follower "till-1" over every partition, as ReadSyncStatus
// shows it; -1 unless it follows each of the four partitions.
std::int64_t FollowerLag(const SyncOptions& o) {
  absl::StatusOr<SyncStatus> status = ReadSyncStatus(o);
  if (!status.ok() || status->per_partition.size() != 4) return -1;
  std::int64_t lag = 0;
  for (const PartitionStatus& p : status->per_partition) {
    if (p.followers.size() != 1 || p.followers[0].follower != "till-1")
      return -1;
    lag += static_cast<std::int64_t>(p.followers[0].lag);
  }
  return lag;
}

TEST_CASE("A poison message goes to the dead letters and the partition flows") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const std::vector<Event> events = ckm_test::EventGen(31, 20).Events(400);
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  auto head_office = ckm_test::OpenTestStore(dir.sub("node"), false);
  auto node = PartitionNode::Start(*head_office, {0, 1, 2, 3}, options);
  REQUIRE_OK(node);
  // A till following every partition, until it goes away halfway.
  auto till = ckm_test::OpenTestStore(dir.sub("till"), false);
  NodeOptions follow;
  follow.follower = "till-1";
  auto follower = PartitionNode::Start(*till, {0, 1, 2, 3}, options, follow);
  REQUIRE_OK(follower);

  REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(0, 200)));
  REQUIRE_OK(DrainOutbox(*terminal, options));
  REQUIRE(Eventually([&] { return FollowerLag(options) == 0; }));
  (*follower)->Stop();
  // Bytes that are no event, and a valid event on another customer's
  // partition, both on partition 1, in the middle of the stream.
  PublishRaw(options, "ckm.events.1", "not an event");
  Event stray = events[0];
  stray.customer = CustomerRef::Id("stray");
  int other = (PartitionOf("stray", ckm_test::kTestPartitions) + 1) %
              ckm_test::kTestPartitions;
  PublishRaw(options, "ckm.events." + std::to_string(other),
             EncodeEvent(stray, "stray"));
  REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(200)));
  REQUIRE_OK(DrainOutbox(*terminal, options));
  REQUIRE_OK(reference->Record(events));

  REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));
  (*node)->Stop();
  CHECK((*node)->stats().dead_letters == 2);
  CHECK((*node)->stats().recorded == events.size());
  absl::StatusOr<SyncStatus> status = ReadSyncStatus(options);
  REQUIRE_OK(status);
  std::uint64_t dead = 0;
  for (const PartitionStatus& p : status->per_partition) dead += p.dead_letters;
  CHECK(dead == 2);
  // Whatever came after the till went away: 200 events and 2 poison ones.
  CHECK(FollowerLag(options) == 202);
  CHECK(status->per_partition[1].dead_letters >= (other == 1 ? 2u : 1u));
  CHECK(LastReason(options, other).find("customer belongs to partition") !=
        std::string::npos);
  if (other != 1)
    CHECK(LastReason(options, 1).find("undecodable") != std::string::npos);
  ckm_test::RequireSameProfiles(*reference, {head_office.get()},
                                {{0, 1, 2, 3}});

  // The same from the command line: a line per partition (partition,
  // messages, lag, dead letters, consumer), one per follower and partition
  // (follower, partition, lag), and the terminal's outbox.
  const ckm_test::SplitResult cli = ckm_test::CkmSplit(
      dir, "sync status --nats " + options.nats_url +
               " --partition-count 4 --db " + dir.sub("terminal"));
  INFO(cli.out << cli.err);
  REQUIRE(cli.exit_code == 0);
  std::istringstream lines(cli.out);
  std::string line;
  std::getline(lines, line);  // the header
  std::uint64_t cli_dead = 0;
  int partitions = 0;
  while (std::getline(lines, line) && line.rfind("outbox", 0) != 0 &&
         line.rfind("follower", 0) != 0) {
    std::istringstream fields(line);
    std::uint64_t p = 0, messages = 0, lag = 0, dead_letters = 0;
    fields >> p >> messages >> lag >> dead_letters;
    CHECK(lag == 0);
    cli_dead += dead_letters;
    ++partitions;
  }
  CHECK(partitions == 4);
  CHECK(cli_dead == 2);
  REQUIRE(line == "follower\tpartition\tlag");
  std::uint64_t cli_follower_lag = 0;
  int followed = 0;
  while (std::getline(lines, line) && line.rfind("outbox", 0) != 0) {
    std::istringstream fields(line);
    std::string name;
    int p = -1;
    std::uint64_t lag = 0;
    fields >> name >> p >> lag;
    CHECK(name == "till-1");
    CHECK(p == followed);
    cli_follower_lag += lag;
    ++followed;
  }
  CHECK(followed == 4);
  CHECK(cli_follower_lag == 202);
  CHECK(line == "outbox\t0");
}

// A node serving every partition, a till online and one offline, and one
// customer of theirs that head office knows and then erases.
class ErasedAtHeadOffice {
 public:
  explicit ErasedAtHeadOffice(const NodeOptions& node_options = {})
      : server_(dir_.path()),
        options(ckm_test::TestSyncOptions(server_.url())),
        head_office(ckm_test::OpenTestStore(dir_.sub("node"), false)),
        offline(ckm_test::OpenTestStore(dir_.sub("offline"), true)),
        online(ckm_test::OpenTestStore(dir_.sub("online"), true)) {
    auto started =
        PartitionNode::Start(*head_office, {0, 1, 2, 3}, options, node_options);
    REQUIRE_OK(started);
    node = *std::move(started);
  }
  // The online till sells `events` to the customer; head office has them.
  void Sell(absl::Span<const Event> events) {
    customer = events[0].customer.id;
    REQUIRE_OK(online->Record(events));
    REQUIRE_OK(DrainOutbox(*online, options));
    REQUIRE(Eventually([&] { return head_office->Get(customer).ok(); }));
  }
  // The online till erases the customer; head office has erased it.
  void Erase(const std::string& reason) {
    REQUIRE_OK(online->Erase(customer, reason).status());
    REQUIRE_OK(DrainOutbox(*online, options));
    REQUIRE(Eventually(
        [&] { return absl::IsNotFound(head_office->Get(customer).status()); }));
  }
  // The offline till comes back and publishes; the node then stops.
  void Reconnect() {
    REQUIRE_OK(DrainOutbox(*offline, options));
    REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));
    node->Stop();
  }

 private:
  TempDir dir_ = TempDir::InMemory();
  NatsServer server_;

 public:
  const SyncOptions options;
  std::unique_ptr<Store> head_office, offline, online;
  std::unique_ptr<PartitionNode> node;
  std::string customer;
};

// A till that sold to a customer offline publishes the sales after head
// office erased that customer: replays of erased data. The dead letters
// say so, and keep neither the sales nor whose they were.
TEST_CASE("A replay of an erased customer is a dead letter without its body") {
  SKIP_WITHOUT_NATS_SERVER();
  ErasedAtHeadOffice h;
  const std::vector<Event> events = ckm_test::EventGen(41, 1).Events(20);
  REQUIRE_OK(h.offline->Record(events));  // queued while offline
  h.Sell(absl::MakeConstSpan(events).subspan(0, 10));
  h.Erase("request 5");
  // The first ten are dropped by the duplicate window; the other ten reach
  // the node, which refuses them.
  h.Reconnect();
  CHECK(h.node->stats().dead_letters == 10);
  const std::vector<ckm_test::DeadLetter> letters =
      ckm_test::ReadDeadLetters(h.options);
  CHECK(letters.size() == 10);
  for (const ckm_test::DeadLetter& letter : letters) {
    CHECK(letter.body.empty());
    CHECK(letter.reason.find("erased customer") != std::string::npos);
    CHECK(letter.reason.find(h.customer) == std::string::npos);
  }
  CHECK(absl::IsNotFound(h.head_office->Get(h.customer).status()));
}

// A merge another till queued offline, naming a customer erased since, is
// a dead letter too: it must not keep the erased id either.
TEST_CASE("A change naming an erased customer is a dead letter with no id") {
  SKIP_WITHOUT_NATS_SERVER();
  NodeOptions quick;
  quick.change_deliveries = 3;
  ErasedAtHeadOffice h(quick);
  const std::vector<Event> events = ckm_test::EventGen(41, 1).Events(10);
  std::vector<Event> keeper = events;
  for (Event& e : keeper) e.customer = CustomerRef::Id("keeper-1");
  h.Sell(events);
  REQUIRE_OK(h.offline->Record(events));
  REQUIRE_OK(h.offline->Record(keeper));
  IdentityChangeOptions why;
  why.actor = "crm";
  why.reason = "same card";
  REQUIRE_OK(h.offline->Merge("keeper-1", h.customer, why));
  h.Erase("request 6");
  h.Reconnect();
  const std::vector<ckm_test::DeadLetter> letters =
      ckm_test::ReadDeadLetters(h.options);
  CHECK(letters.size() == 1);
  for (const ckm_test::DeadLetter& letter : letters) {
    INFO(letter.reason);
    CHECK(letter.reason.find(h.customer) == std::string::npos);
    CHECK(letter.body.empty());
    CHECK(letter.reason.find("erased") != std::string::npos);
  }
}

}  // namespace
}  // namespace ckm
