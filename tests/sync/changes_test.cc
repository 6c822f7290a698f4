// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Merges, unmerges, unlinks and erasures travel (docs/sync.md): made at a
// terminal, they reach head office and a following terminal, whose
// profiles then equal a reference store that made them directly, byte for
// byte; a change published again, or by a publisher killed before its
// PubAck, is applied once; a change ahead of its events waits for them;
// a change that cannot be applied is a dead letter and the partition
// flows on.

#include <nats/nats.h>
#include <signal.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "catch2/catch.hpp"
#include "codec/change_codec.h"
#include "event_gen.h"
#include "sync/names.h"
#include "sync/nats_server.h"
#include "sync/sync_fixture.h"
#include "tools/cli_runner.h"

namespace ckm {
namespace {

using ckm_test::Eventually;
using ckm_test::NatsServer;
using ckm_test::TempDir;

constexpr int kCustomers = 20;  // EventGen's cust-0 .. cust-19

// EventGen's customers by partition.
std::map<int, std::vector<std::string>> ByPartition() {
  std::map<int, std::vector<std::string>> out;
  for (int c = 0; c < kCustomers; ++c) {
    const std::string id = "cust-" + std::to_string(c);
    out[PartitionOf(id, ckm_test::kTestPartitions)].push_back(id);
  }
  return out;
}

// Three customers of one partition: a survivor and two to merge into it.
std::vector<std::string> Trio() {
  for (const auto& [p, ids] : ByPartition())
    if (ids.size() >= 3) return {ids[0], ids[1], ids[2]};
  FAIL("no partition holds three customers");
  return {};
}

// Customers of two partitions other than Trio()'s: one of the first, and
// two of the second (a customer there and one to merge into it).
struct Far {
  std::string here, there, beside_there;
};
Far Across() {
  const std::string trio = Trio().front();
  const int taken = PartitionOf(trio, ckm_test::kTestPartitions);
  std::vector<std::vector<std::string>> others;
  for (const auto& [p, ids] : ByPartition())
    if (p != taken) others.push_back(ids);
  std::sort(others.begin(), others.end(),
            [](const auto& a, const auto& b) { return a.size() < b.size(); });
  REQUIRE(others.size() >= 2);
  REQUIRE(others.back().size() >= 2);
  return {others.front()[0], others.back()[0], others.back()[1]};
}

IdentityChangeOptions Why(std::string reason) {
  IdentityChangeOptions o;
  o.actor = "crm";
  o.reason = std::move(reason);
  return o;
}

// An email for every customer first, so that each is known from the
// start, then sales.
std::vector<Event> Sales(std::uint64_t seed, int n) {
  std::vector<Event> events;
  for (int c = 0; c < kCustomers; ++c) {
    events.push_back({9000 + static_cast<std::uint64_t>(c),
                      CustomerRef::Id("cust-" + std::to_string(c)),
                      1'600'000'000'000, "web",
                      Identity{IdentityType::kEmail,
                               "c" + std::to_string(c) + "@example.org"}});
  }
  for (Event& e : ckm_test::EventGen(seed, kCustomers).Events(n))
    events.push_back(std::move(e));
  return events;
}

// The same changes, made on `store`: two merges into one survivor, an
// unmerge and an unlink.
void MakeChanges(Store& store) {
  const std::vector<std::string> t = Trio();
  REQUIRE_OK(store.Merge(t[0], t[1], Why("same card")));
  REQUIRE_OK(store.Merge(t[0], t[2], Why("same phone")));
  REQUIRE_OK(store.Unmerge(t[0], t[2], Why("two people")));
  REQUIRE_OK(
      store.Unlink(IdentityType::kEmail, "c5@example.org", Why("mistyped")));
}
constexpr std::uint64_t kChangesMade = 5;  // with the erasure after them

// Once JetStream has the streams (a node or agent makes them).
void AwaitStreams(const SyncOptions& o) {
  absl::Status last;
  const bool ready = Eventually([&] {
    last = ReadSyncStatus(o).status();
    return last.ok();
  });
  INFO(last.message());
  REQUIRE(ready);
}

// Publishes `data` to `subject`, as a broken or replaying publisher would;
// with `msg_id` empty, JetStream's duplicate window cannot drop it.
void PublishRaw(const SyncOptions& o, const std::string& subject,
                const std::string& data, const std::string& msg_id = "") {
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, o.nats_url.c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  jsPubOptions pub;
  jsPubOptions_Init(&pub);
  if (!msg_id.empty()) pub.MsgId = msg_id.c_str();
  jsPubAck* ack = nullptr;
  CHECK(js_Publish(&ack, js, subject.c_str(), data.data(),
                   static_cast<int>(data.size()), &pub, nullptr) == NATS_OK);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

// Publishes an outbox entry by hand, to each of its partitions.
void PublishEntry(const SyncOptions& o, const OutboxEntry& e,
                  bool with_id = true) {
  if (!e.change) {
    const int p = PartitionOf(e.event.customer.id, o.partitions);
    PublishRaw(o, sync::EventSubject(o, p), e.payload,
               with_id ? EventMessageId(e.event) : "");
    return;
  }
  for (int p : sync::ChangePartitions(*e.change, o.partitions)) {
    PublishRaw(o, sync::EventSubject(o, p), e.payload,
               with_id ? sync::ChangeMessageId(*e.change, p) : "");
  }
}

std::uint64_t DeadLetters(const SyncOptions& o) {
  absl::StatusOr<SyncStatus> status = ReadSyncStatus(o);
  REQUIRE_OK(status);
  std::uint64_t dead = 0;
  for (const PartitionStatus& p : status->per_partition) dead += p.dead_letters;
  return dead;
}

bool AnyHas(const std::vector<std::string>& texts, const std::string& part) {
  return std::any_of(texts.begin(), texts.end(), [&](const std::string& t) {
    return t.find(part) != std::string::npos;
  });
}

std::string SurvivorOf(const Store& store, const std::string& id) {
  absl::StatusOr<CustomerIdentities> who = store.Identities(id);
  REQUIRE_OK(who);
  return who->survivor;
}

TEST_CASE("Changes made at a terminal reach head office and a follower") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const std::vector<Event> events = Sales(51, 600);
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  auto follower = ckm_test::OpenTestStore(dir.sub("follower"), true);
  auto head_office = ckm_test::OpenTestStore(dir.sub("node"), false);
  auto node = PartitionNode::Start(*head_office, {0, 1, 2, 3}, options);
  REQUIRE_OK(node);
  NodeOptions follow;
  follow.follower = "till-2";
  auto following =
      PartitionNode::Start(*follower, {0, 1, 2, 3}, options, follow);
  REQUIRE_OK(following);
  const auto converged = [&] {
    return ckm_test::Drained(options) && ckm_test::ProfilesById(*follower) ==
                                             ckm_test::ProfilesById(*reference);
  };

  // The two tills sell to the same customers; the follower's own sales
  // come back to it, recorded already.
  const auto half = absl::MakeConstSpan(events).subspan(0, 350);
  REQUIRE_OK(terminal->Record(half));
  REQUIRE_OK(follower->Record(absl::MakeConstSpan(events).subspan(250)));
  REQUIRE_OK(reference->Record(events));
  REQUIRE_OK(DrainOutbox(*terminal, options));
  REQUIRE_OK(DrainOutbox(*follower, options));
  REQUIRE(Eventually(converged));

  MakeChanges(*terminal);
  MakeChanges(*reference);
  auto drained = DrainOutbox(*terminal, options);
  REQUIRE_OK(drained);
  CHECK(drained->published == kChangesMade - 1);
  // Then the merged pair is erased.
  const std::vector<std::string> t = Trio();
  REQUIRE_OK(terminal->Erase(t[1], "request 12"));
  REQUIRE_OK(reference->Erase(t[1], "request 12"));
  drained = DrainOutbox(*terminal, options);
  REQUIRE_OK(drained);
  CHECK(drained->published == 1);
  REQUIRE(Eventually(converged));
  (*node)->Stop();
  (*following)->Stop();

  ckm_test::RequireSameProfiles(*reference, {head_office.get()},
                                {{0, 1, 2, 3}});
  // Each change once; and the erasure sent on from the erased customers'
  // own partitions to every other, for copies elsewhere (how many of those
  // find something left depends on which partition's worker came first).
  for (const PartitionNode* n : {node->get(), following->get()}) {
    CHECK(n->stats().changes_applied >= kChangesMade);
    CHECK(n->stats().changes_applied <= kChangesMade + 2 * 3);
    CHECK(n->stats().dead_letters == 0);
  }
  CHECK(DeadLetters(options) == 0);
  for (const Store* s : {head_office.get(), follower.get()}) {
    CHECK(SurvivorOf(*s, t[2]) == t[2]);
    CHECK(absl::IsNotFound(
        s->Resolve(IdentityType::kEmail, "c5@example.org").status()));
    CHECK(absl::IsNotFound(s->Get(t[0]).status()));
    CHECK(absl::IsNotFound(s->Get(t[1]).status()));
    auto erasures = s->Erasures();
    REQUIRE_OK(erasures);
    CHECK(erasures->size() == 2);  // the merged pair
  }
  // What the follower applied did not go back into its outbox.
  CHECK(ckm_test::OutboxDepth(*follower) == 0);
}

TEST_CASE("A change published again after the window is applied once") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const std::vector<Event> events = Sales(52, 200);
  const std::vector<std::string> t = Trio();
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  auto head_office = ckm_test::OpenTestStore(dir.sub("node"), false);
  auto node = PartitionNode::Start(*head_office, {0, 1, 2, 3}, options);
  REQUIRE_OK(node);
  for (Store* s : {reference.get(), terminal.get()}) {
    REQUIRE_OK(s->Record(events));
    REQUIRE_OK(s->Merge(t[0], t[1], Why("same card")));
    REQUIRE_OK(s->Unmerge(t[0], t[1], Why("two people")));
  }
  auto queued = terminal->ReadOutbox(0);
  REQUIRE_OK(queued);
  REQUIRE_OK(DrainOutbox(*terminal, options));
  REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));
  // The merge again, after its unmerge, as a publisher would send it once
  // the duplicate window has passed (a removal lost in a power cut): the
  // node must not merge the two again.
  const std::uint64_t before = ckm_test::StreamMessages(options);
  for (const OutboxEntry& e : *queued)
    if (e.change) PublishEntry(options, e, /*with_id=*/false);
  REQUIRE(Eventually([&] { return ckm_test::Drained(options, before + 2); }));
  (*node)->Stop();
  CHECK((*node)->stats().changes_applied == 2);
  CHECK((*node)->stats().changes_already_applied == 2);
  CHECK(SurvivorOf(*head_office, t[1]) == t[1]);
  ckm_test::RequireSameProfiles(*reference, {head_office.get()},
                                {{0, 1, 2, 3}});
}

TEST_CASE("kill -9 of a publisher of changes loses and doubles nothing") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const std::vector<Event> events = Sales(53, 1500);
  const std::vector<std::string> t = Trio();
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  const std::string terminal_db = dir.sub("terminal");
  std::uint64_t changes = 0;
  {
    // Sales in chunks, with a merge or an unmerge after each.
    auto terminal = ckm_test::OpenTestStore(terminal_db, true);
    for (std::size_t chunk = 0; chunk * 100 < events.size(); ++chunk) {
      const auto part = absl::MakeConstSpan(events).subspan(chunk * 100, 100);
      const std::string& other = t[1 + chunk / 2 % 2];
      for (Store* s : {reference.get(), terminal.get()}) {
        REQUIRE_OK(s->Record(part));
        REQUIRE_OK(chunk % 2 == 0 ? s->Merge(t[0], other, Why("merge"))
                                  : s->Unmerge(t[0], other, Why("unmerge")));
      }
      ++changes;
    }
  }
  const std::vector<std::string> deployment = {CKM_CLI,
                                               "sync",
                                               "--db",
                                               terminal_db,
                                               "--nats",
                                               options.nats_url,
                                               "--partition-count",
                                               "4",
                                               "--batch",
                                               "16"};
  const std::string log = dir.sub("sync.log");
  ckm_test::Child agent(deployment, log);
  REQUIRE(Eventually([&] { return ckm_test::StreamMessages(options) >= 300; }));
  agent.Kill(SIGKILL);
  std::vector<std::string> once = deployment;
  once.push_back("--once");
  agent = ckm_test::Child(once, log);
  REQUIRE(agent.Wait() == 0);
  INFO(ckm_test::Slurp(log));
  // Entries published before the kill went again; the window kept one.
  CHECK(ckm_test::StreamMessages(options) == events.size() + changes);

  auto head_office = ckm_test::OpenTestStore(dir.sub("node"), false);
  auto node = PartitionNode::Start(*head_office, {0, 1, 2, 3}, options);
  REQUIRE_OK(node);
  REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));
  (*node)->Stop();
  CHECK((*node)->stats().changes_applied == changes);
  CHECK((*node)->stats().dead_letters == 0);
  ckm_test::RequireSameProfiles(*reference, {head_office.get()},
                                {{0, 1, 2, 3}});
}

TEST_CASE("Changes ahead of their events wait for them and converge") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const std::vector<Event> events = Sales(54, 300);
  const std::vector<std::string> t = Trio();
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  for (Store* s : {reference.get(), terminal.get()}) {
    REQUIRE_OK(s->Record(events));
    REQUIRE_OK(s->Merge(t[0], t[1], Why("same card")));
    REQUIRE_OK(s->Merge(t[0], t[2], Why("same phone")));
    REQUIRE_OK(s->Unmerge(t[0], t[2], Why("two people")));
    REQUIRE_OK(s->Unlink(IdentityType::kEmail, "c3@example.org"));
  }
  auto queued = terminal->ReadOutbox(0);
  REQUIRE_OK(queued);
  // The changes first, in their order, then the events in any order.
  std::vector<OutboxEntry> entries;
  for (const OutboxEntry& e : *queued)
    if (e.change) entries.push_back(e);
  const std::size_t changes = entries.size();
  std::vector<OutboxEntry> sales;
  for (const OutboxEntry& e : *queued)
    if (!e.change) sales.push_back(e);
  const std::uint64_t seed = 9;
  INFO("seed " << seed);
  std::shuffle(sales.begin(), sales.end(), std::mt19937_64(seed));
  entries.insert(entries.end(), sales.begin(), sales.end());

  auto head_office = ckm_test::OpenTestStore(dir.sub("node"), false);
  auto node = PartitionNode::Start(*head_office, {0, 1, 2, 3}, options);
  REQUIRE_OK(node);
  AwaitStreams(options);
  for (std::size_t i = 0; i < changes; ++i) PublishEntry(options, entries[i]);
  // The node has met the changes and let them wait before the events come.
  REQUIRE(Eventually([&] { return (*node)->stats().redeliveries > 0; }));
  for (std::size_t i = changes; i < entries.size(); ++i)
    PublishEntry(options, entries[i]);
  REQUIRE(
      Eventually([&] { return ckm_test::Drained(options, entries.size()); }));
  (*node)->Stop();
  CHECK((*node)->stats().changes_applied == changes);
  CHECK((*node)->stats().dead_letters == 0);
  CHECK(SurvivorOf(*head_office, t[1]) == t[0]);
  CHECK(SurvivorOf(*head_office, t[2]) == t[2]);
  ckm_test::RequireSameProfiles(*reference, {head_office.get()},
                                {{0, 1, 2, 3}});
}

TEST_CASE(
    "A change that cannot be applied is a dead letter, and the rest flows") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const std::vector<Event> events = Sales(55, 300);
  const std::vector<std::string> t = Trio();
  const Far far = Across();
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  auto other_till = ckm_test::OpenTestStore(dir.sub("other-till"), true);
  auto head_office = ckm_test::OpenTestStore(dir.sub("node"), false);
  NodeOptions impatient;
  impatient.change_deliveries = 3;
  auto node =
      PartitionNode::Start(*head_office, {0, 1, 2, 3}, options, impatient);
  REQUIRE_OK(node);

  const auto first = absl::MakeConstSpan(events).subspan(0, 150);
  REQUIRE_OK(reference->Record(events));
  REQUIRE_OK(reference->Merge(t[0], t[1], Why("same card")));
  REQUIRE_OK(reference->Merge(far.there, far.beside_there, Why("pair")));
  REQUIRE_OK(terminal->Record(first));
  REQUIRE_OK(terminal->Merge(t[0], t[1], Why("same card")));
  // Refused at head office: the other till merged t[1] into t[2], but
  // head office has t[1] merged into t[0] already. And, across
  // partitions, the other till merges into a customer of another
  // partition one that head office has merged into its neighbour: the
  // absorbed customer's partition refuses to forward it, as a store
  // refuses to merge a customer merged already.
  REQUIRE_OK(other_till->Record(first));
  REQUIRE_OK(other_till->Merge(t[2], t[1], Why("a guess")));
  REQUIRE_OK(terminal->Merge(far.there, far.beside_there, Why("pair")));
  REQUIRE_OK(other_till->Merge(far.here, far.beside_there, Why("across")));
  REQUIRE_OK(DrainOutbox(*terminal, options));
  REQUIRE_OK(DrainOutbox(*other_till, options));
  // A merge of customers head office will never hear of, and bytes that
  // claim to be a change and are not.
  const int p = PartitionOf("nobody", options.partitions);
  std::string no_one = "no-one";
  while (PartitionOf(no_one, options.partitions) != p) no_one += "+";
  std::string garbage = codec::EncodeChange([&] {
    OutboxChange c;
    c.id = std::string(16, 'x');
    c.customer = "nobody";
    c.other = no_one;
    return c;
  }());
  PublishRaw(options, sync::EventSubject(options, p), garbage);
  garbage.back() = '\x7f';  // an erased list of 127 ids it does not hold
  PublishRaw(options, sync::EventSubject(options, p), garbage);
  // The partitions keep flowing: the rest of the sales arrive.
  REQUIRE_OK(terminal->Record(absl::MakeConstSpan(events).subspan(150)));
  REQUIRE_OK(DrainOutbox(*terminal, options));

  REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));
  (*node)->Stop();
  // The refused merge, the merge of a customer merged already at its
  // partition's node, the unknown customers' merge after 3 deliveries,
  // the undecodable bytes.
  CHECK((*node)->stats().dead_letters == 4);
  CHECK(DeadLetters(options) == 4);
  const std::vector<std::string> reasons = ckm_test::DeadLetterReasons(options);
  std::string all;
  for (const std::string& r : reasons) all += r + "\n";
  INFO(all);
  CHECK(reasons.size() == 4);
  CHECK(AnyHas(reasons, "is already merged into"));
  CHECK(AnyHas(reasons, "at its partition's node; unmerge it first"));
  CHECK(AnyHas(reasons, "after 3 deliveries"));
  CHECK(AnyHas(reasons, "undecodable"));
  CHECK((*node)->stats().changes_applied == 2);
  CHECK(SurvivorOf(*head_office, t[1]) == t[0]);
  CHECK(SurvivorOf(*head_office, far.beside_there) == far.there);
  ckm_test::RequireSameProfiles(*reference, {head_office.get()},
                                {{0, 1, 2, 3}});
}

// Sales of `customer` with ids from `first`, recorded on every store.
void SellTo(const std::string& customer, std::uint64_t first,
            const std::vector<Store*>& stores) {
  std::vector<Event> sales;
  for (std::uint64_t k = 0; k < 5; ++k) {
    sales.push_back({first + k, CustomerRef::Id(customer),
                     1'700'000'000'000 + static_cast<std::int64_t>(first + k),
                     "pos", Loyalty::Earn(static_cast<std::int64_t>(k + 1))});
  }
  for (Store* s : stores) REQUIRE_OK(s->Record(sales));
}

std::string Bytes(const Store& store, const std::string& customer) {
  absl::StatusOr<Profile> p = store.Get(customer);
  return p.ok() ? std::string(p->bytes()) : p.status().ToString();
}

TEST_CASE("A merge across partitions travels, and so do its sequels") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  const Far f = Across();
  const std::string& here = f.here;
  const std::string& there = f.there;
  // The terminal, a reference making the same changes, and one making none.
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  auto reference = ckm_test::OpenTestStore(dir.sub("reference"), false);
  auto unmerged = ckm_test::OpenTestStore(dir.sub("unmerged"), false);
  const std::vector<Store*> all = {terminal.get(), reference.get(),
                                   unmerged.get()};
  const std::vector<Store*> merging = {terminal.get(), reference.get()};
  std::vector<std::vector<int>> served(2);
  for (int p = 0; p < options.partitions; ++p)
    served[p == PartitionOf(here, options.partitions) ? 0 : 1].push_back(p);
  auto near = ckm_test::OpenTestStore(dir.sub("near"), false);
  auto far = ckm_test::OpenTestStore(dir.sub("far"), false);
  auto near_node = PartitionNode::Start(*near, served[0], options);
  REQUIRE_OK(near_node);
  auto far_node = PartitionNode::Start(*far, served[1], options);
  REQUIRE_OK(far_node);
  const auto synced = [&] {
    REQUIRE_OK(DrainOutbox(*terminal, options));
    REQUIRE(Eventually([&] {
      return ckm_test::Drained(options) &&
             Bytes(*near, here) == Bytes(*reference, here);
    }));
  };

  // The survivor's node gets the absorbed customer's history, and its
  // sales after the merge; the absorbed customer's node keeps it alone.
  for (Store* s : all) REQUIRE_OK(s->Record(Sales(56, 200)));
  for (Store* s : merging) REQUIRE_OK(s->Merge(here, there, Why("across")));
  SellTo(there, 7000, all);
  synced();
  CHECK(Bytes(*far, there) == Bytes(*unmerged, there));
  // A node started again carries on forwarding.
  (*far_node)->Stop();
  SellTo(there, 7100, all);
  far_node = PartitionNode::Start(*far, served[1], options);
  REQUIRE_OK(far_node);
  synced();
  // Unmerged: the absorbed customer's sales stay away from the survivor.
  for (Store* s : merging) REQUIRE_OK(s->Unmerge(here, there, Why("two")));
  SellTo(there, 7200, all);
  synced();
  CHECK(Bytes(*far, there) == Bytes(*reference, there));
  // Merged again: the whole history goes again, and is counted once.
  for (Store* s : merging) REQUIRE_OK(s->Merge(here, there, Why("one")));
  SellTo(there, 7300, all);
  synced();
  // Erased: each node erases its member; the group's is on the survivor's.
  for (Store* s : merging) REQUIRE_OK(s->Erase(there, "request 3").status());
  synced();
  CHECK(ckm_test::OutboxDepth(*terminal) == 0);
  (*near_node)->Stop();
  (*far_node)->Stop();
  CHECK(DeadLetters(options) == 0);
  // The merge, the unmerge, the merge again, the till's erasure, and the
  // one the absorbed customer's node sends after everything it forwarded.
  CHECK((*near_node)->stats().changes_applied == 5);
  CHECK(absl::IsNotFound(near->Get(here).status()));
  CHECK(absl::IsNotFound(far->Get(there).status()));
  ckm_test::RequireSameProfiles(*reference, {near.get(), far.get()}, served);
}

}  // namespace
}  // namespace ckm
