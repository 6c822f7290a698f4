// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Merged groups cross partitions (docs/sync.md, "Merges across
// partitions"): four head-office nodes, one partition each, and two tills
// that do not all know of each other's merges. A group built of customers
// of two partitions, merged into a customer of a third, takes its members'
// histories and links along, and its later events, on every till; a later
// merge into it, an unmerge of the group or of a member, a merge again and
// an erasure all end with each node serving, byte for byte, the profiles
// of a reference store that made the same events and changes. A node
// killed mid-forward loses and doubles nothing.

#include <nats/nats.h>
#include <signal.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "codec/change_codec.h"
#include "sync/nats_server.h"
#include "sync/sync_fixture.h"
#include "tools/cli_runner.h"

namespace ckm {
namespace {

using ckm_test::Eventually;
using ckm_test::NatsServer;
using ckm_test::TempDir;

// The first id "<name>-<k>" of `partition`.
std::string IdIn(int partition, const std::string& name) {
  for (int k = 0;; ++k) {
    const std::string id = name + "-" + std::to_string(k);
    if (PartitionOf(id, ckm_test::kTestPartitions) == partition) return id;
  }
}

// S's partition is the group's; A and D share one, B and C have their own.
struct Cast {
  std::string s = IdIn(0, "s"), a = IdIn(1, "a"), d = IdIn(1, "d"),
              b = IdIn(2, "b"), c = IdIn(3, "c");
};

IdentityChangeOptions Why(std::string reason) {
  IdentityChangeOptions o;
  o.actor = "crm";
  o.reason = std::move(reason);
  return o;
}

// `n` sales to `customer` with event ids from `first`: purchases of a few
// products in a few stores, and loyalty, so that merged profiles count
// distinct products across members.
std::vector<Event> Sales(const std::string& customer, std::uint64_t first,
                         int n) {
  std::vector<Event> out;
  for (std::uint64_t id = first; id < first + n; ++id) {
    const std::int64_t ts = 1'700'000'000'000 + static_cast<std::int64_t>(id);
    if (id % 3 == 2) {
      out.push_back({id, CustomerRef::Id(customer), ts, "pos",
                     Loyalty::Earn(static_cast<std::int64_t>(id % 50 + 1))});
      continue;
    }
    Purchase order("o-" + customer + "-" + std::to_string(id), "GBP",
                   Channel::kInStore, "store-" + std::to_string(id % 3));
    order.lines = {{"sku-" + std::to_string(id % 7),
                    "cat-" + std::to_string(id % 3),
                    static_cast<std::int64_t>(1 + id % 2),
                    static_cast<std::int64_t>(1'000'000 * (1 + id % 5))}};
    out.push_back({id, CustomerRef::Id(customer), ts, "pos", order});
  }
  return out;
}

// Sales() dated a minute from now: after any erasure made before, so that
// they start the customer anew.
std::vector<Event> SalesAfterNow(const std::string& customer,
                                 std::uint64_t first, int n) {
  std::vector<Event> out = Sales(customer, first, n);
  const std::int64_t now = absl::ToUnixMillis(absl::Now());
  for (Event& e : out) e.ts_ms = now + 60'000 + static_cast<std::int64_t>(e.id);
  return out;
}

std::uint64_t DeadLetters(const SyncOptions& o) {
  absl::StatusOr<SyncStatus> status = ReadSyncStatus(o);
  REQUIRE_OK(status);
  std::uint64_t dead = 0;
  for (const PartitionStatus& p : status->per_partition) dead += p.dead_letters;
  return dead;
}

std::uint64_t MessagesOn(const SyncOptions& o, int partition) {
  absl::StatusOr<SyncStatus> status = ReadSyncStatus(o);
  if (!status.ok()) return 0;
  for (const PartitionStatus& p : status->per_partition)
    if (p.partition == partition) return p.messages;
  return 0;
}

std::string SurvivorOf(const Store& store, const std::string& id) {
  absl::StatusOr<CustomerIdentities> who = store.Identities(id);
  return who.ok() ? who->survivor : who.status().ToString();
}

// Publishes again the last message on partition `partition`'s subject, with
// a message id of its own: the change comes back as after a node was
// killed before it acknowledged it. Each node's marks of the merges and
// unmerges it handled are purged first, and the change is marked begun at
// `partition` (as the version before, noting nothing), as if the node was
// killed before it wrote its handled mark.
void HandleAgain(const SyncOptions& o, int partition) {
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, o.nats_url.c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  const std::string handled = o.subject_prefix + ".forwards.h.>";
  jsOptions purge;
  jsOptions_Init(&purge);
  purge.Stream.Purge.Subject = handled.c_str();
  REQUIRE(js_PurgeStream(js, (o.stream + "_FORWARDS").c_str(), &purge,
                         nullptr) == NATS_OK);
  const std::string subject =
      o.subject_prefix + ".events." + std::to_string(partition);
  natsMsg* last = nullptr;
  REQUIRE(js_GetLastMsg(&last, js, o.stream.c_str(), subject.c_str(), nullptr,
                        nullptr) == NATS_OK);
  absl::StatusOr<OutboxChange> change = codec::DecodeChange(
      std::string_view(natsMsg_GetData(last), natsMsg_GetDataLength(last)));
  REQUIRE_OK(change);
  const std::string begun =
      absl::StrCat(o.subject_prefix, ".forwards.b.", partition, ".",
                   absl::BytesToHexString(change->id));
  REQUIRE(js_Publish(nullptr, js, begun.c_str(), "1", 1, nullptr, nullptr) ==
          NATS_OK);
  natsMsg* again = nullptr;
  REQUIRE(natsMsg_Create(&again, subject.c_str(), nullptr,
                         natsMsg_GetData(last),
                         natsMsg_GetDataLength(last)) == NATS_OK);
  REQUIRE(natsMsgHeader_Set(again, "Nats-Msg-Id", "handled-again") == NATS_OK);
  REQUIRE(js_PublishMsg(nullptr, js, again, nullptr, nullptr) == NATS_OK);
  natsMsg_Destroy(again);
  natsMsg_Destroy(last);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

// Rewrites partition `partition`'s forward of `customer` to `target` as the
// version before wrote it: one subject per customer, holding the target.
void ForwardAsBefore(const SyncOptions& o, int partition,
                     const std::string& customer, int target) {
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, o.nats_url.c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  const std::string hex = absl::BytesToHexString(customer);
  const std::string single =
      o.subject_prefix + ".forwards.f." + std::to_string(partition) + "." + hex;
  const std::string now = single + "." + std::to_string(target);
  jsOptions purge;
  jsOptions_Init(&purge);
  purge.Stream.Purge.Subject = now.c_str();
  REQUIRE(js_PurgeStream(js, (o.stream + "_FORWARDS").c_str(), &purge,
                         nullptr) == NATS_OK);
  const std::string value = std::to_string(target);
  REQUIRE(js_Publish(nullptr, js, single.c_str(), value.data(),
                     static_cast<int>(value.size()), nullptr,
                     nullptr) == NATS_OK);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

// Takes the next message of head office's consumer of `partition` and
// leaves it unacknowledged: as a node killed after it was delivered, it
// comes back only after the ack wait.
void DeliverAndDrop(const SyncOptions& o, int partition) {
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, o.nats_url.c_str()) == NATS_OK);
  const std::string next = "$JS.API.CONSUMER.MSG.NEXT." + o.stream + "." +
                           o.subject_prefix + "-p" + std::to_string(partition);
  natsMsg* got = nullptr;
  REQUIRE(natsConnection_RequestString(&got, nc, next.c_str(), "{\"batch\":1}",
                                       5000) == NATS_OK);
  CHECK(natsMsg_GetDataLength(got) > 0);
  natsMsg_Destroy(got);
  natsConnection_Destroy(nc);
}

// A server, two tills, a reference store and one node per partition, each
// with its own store (a node may also run as `ckm node`: Replace()).
class Deployment {
 public:
  // `policy`: the nodes' stores have an access policy and audit their
  // reads, and the deployment reads them as `read`.
  explicit Deployment(std::optional<AccessPolicy> policy = std::nullopt,
                      ReadOptions read = {})
      : server_(dir_.path()),
        options(ckm_test::TestSyncOptions(server_.url())),
        read_(std::move(read)) {
    till = ckm_test::OpenTestStore(dir_.sub("till"), true);
    other_till = ckm_test::OpenTestStore(dir_.sub("other-till"), true);
    reference = ckm_test::OpenTestStore(dir_.sub("reference"), false);
    StoreOptions node_options;
    node_options.durability = Durability::kBuffered;
    node_options.access_policy = std::move(policy);
    node_options.access_audit = node_options.access_policy.has_value();
    for (int p = 0; p < options.partitions; ++p) {
      auto store =
          Store::Open(dir_.sub("node" + std::to_string(p)), node_options);
      REQUIRE_OK(store);
      stores.push_back(*std::move(store));
      served.push_back({p});
      nodes.emplace_back();
      Start(p);
    }
  }
  ~Deployment() { StopAll(); }

  void Start(int p) {
    auto node = PartitionNode::Start(*stores[p], served[p], options);
    REQUIRE_OK(node);
    nodes[p] = *std::move(node);
  }
  void StopAll() {
    for (auto& n : nodes)
      if (n != nullptr) n->Stop();
  }
  std::string Dir(const std::string& name) { return dir_.sub(name); }

  // Records `events` on the till and on the reference.
  void Sell(Store& on, const std::vector<Event>& events) {
    REQUIRE_OK(on.Record(events));
    REQUIRE_OK(reference->Record(events));
  }
  // Merges, unmerges or erases at `till` and on the reference.
  void Merge(const std::string& survivor, const std::string& absorbed,
             const std::string& reason) {
    for (Store* s : {till.get(), reference.get()})
      REQUIRE_OK(s->Merge(survivor, absorbed, Why(reason)));
  }
  void Unmerge(const std::string& survivor, const std::string& absorbed,
               const std::string& reason) {
    for (Store* s : {till.get(), reference.get()})
      REQUIRE_OK(s->Unmerge(survivor, absorbed, Why(reason)));
  }
  void Erase(const std::string& customer, const std::string& reason) {
    for (Store* s : {till.get(), reference.get()})
      REQUIRE_OK(s->Erase(customer, reason).status());
  }
  // No node holds any of `ids` (erased, copies included).
  void RequireGone(const std::vector<std::string>& ids) const {
    for (const std::string& id : ids) {
      INFO(id);
      for (std::size_t p = 0; p < stores.size(); ++p) {
        INFO("node " << p);
        CHECK(absl::IsNotFound(stores[p]->Get(id).status()));
      }
    }
  }
  // Each till publishes its outbox; then every node serves the reference's
  // profile of each customer of its partition.
  void Sync() {
    REQUIRE_OK(DrainOutbox(*till, options));
    REQUIRE_OK(DrainOutbox(*other_till, options));
    const bool synced =
        Eventually([&] { return ckm_test::Drained(options) && Same(); });
    INFO("drained: " << ckm_test::Drained(options)
                     << "; customers served otherwise: " << Differing());
    REQUIRE(synced);
  }
  bool Same() const { return Differing().empty(); }
  // The customers whose node does not serve the reference's profile.
  std::string Differing() const {
    std::string out;
    for (const auto& [id, bytes] : ckm_test::ProfilesById(*reference)) {
      const Store* node = stores[PartitionOf(id, options.partitions)].get();
      absl::StatusOr<Profile> got = node->Get(id, read_);
      if (!got.ok() || got->bytes() != bytes) out += id + " ";
    }
    return out;
  }
  std::vector<const Store*> Nodes() const {
    std::vector<const Store*> out;
    for (const auto& s : stores) out.push_back(s.get());
    return out;
  }
  void RequireServed(std::uint64_t dead_letters = 0) {
    StopAll();
    ckm_test::RequireServedProfiles(*reference, Nodes(), served);
    CHECK(DeadLetters(options) == dead_letters);
  }

 private:
  TempDir dir_ = TempDir::InMemory();
  NatsServer server_;

 public:
  const SyncOptions options;

 private:
  const ReadOptions read_;

 public:
  std::unique_ptr<Store> till, other_till, reference;
  std::vector<std::unique_ptr<Store>> stores;
  std::vector<std::vector<int>> served;
  std::vector<std::unique_ptr<PartitionNode>> nodes;
};

// Case 1: A and D (A's partition) and B (another) are a group at A's node;
// A is merged into S (a third partition); the other till, which heard of
// no merge, sells to every member before and after, and merges C (a fourth
// partition) into A, which reaches A's node and travels on.
void BuildGroupAcross(Deployment& d, const Cast& x) {
  for (const std::string* id : {&x.s, &x.a, &x.d, &x.b, &x.c}) {
    d.Sell(*d.till, Sales(*id, 1000, 40));
    d.Sell(*d.other_till, Sales(*id, 1500, 5));
  }
  d.Merge(x.a, x.b, "same card");
  d.Merge(x.a, x.d, "same phone");
  d.Sync();
  d.Sell(*d.other_till, Sales(x.b, 2000, 20));
  d.Sell(*d.other_till, Sales(x.d, 2000, 20));
  d.Merge(x.s, x.a, "same household");
  d.Sell(*d.other_till, Sales(x.b, 3000, 20));
  d.Sell(*d.till, Sales(x.a, 3000, 20));
  REQUIRE_OK(DrainOutbox(*d.till, d.options));  // the merge before C's
  for (Store* s : {d.other_till.get(), d.reference.get()})
    REQUIRE_OK(s->Merge(x.a, x.c, Why("same address")));
  d.Sell(*d.other_till, Sales(x.c, 4000, 20));
  d.Sell(*d.till, Sales(x.d, 4000, 20));
  d.Sync();
}

TEST_CASE("A group of two partitions merged into a third travels whole") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  BuildGroupAcross(d, x);
  d.Sell(*d.other_till, Sales(x.b, 5000, 10));
  d.Sell(*d.other_till, Sales(x.c, 5000, 10));
  d.Sync();
  d.RequireServed();
  // The group's node holds the group's links, not only its events.
  const Store& group = *d.stores[0];
  for (const std::string* id : {&x.a, &x.b, &x.c, &x.d})
    CHECK(SurvivorOf(group, *id) == x.s);
  absl::StatusOr<CustomerIdentities> a = group.Identities(x.a);
  REQUIRE_OK(a);
  CHECK(a->aliases.size() == 4);
  // A's node keeps its group (with C), unmerged from S.
  CHECK(SurvivorOf(*d.stores[1], x.c) == x.a);
  CHECK(SurvivorOf(*d.stores[1], x.a) == x.a);
}

// The forwards are ckm's own reads: a node whose store has an access
// policy (ckm node --policy) sends a group's history whole, and audits
// none of it. (Before, it read as role "": a policy without that role
// refused the forwarding read and the node retried it for ever; one with
// it would have forwarded what that role may see.)
TEST_CASE("A node with an access policy forwards a group whole") {
  SKIP_WITHOUT_NATS_SERVER();
  AccessPolicy policy;
  for (int p = 1; p < kDataPartEnd; ++p) {
    policy.roles["office"].insert(static_cast<DataPart>(p));
    // Role "" may read, less the lines: a forward read as it would
    // arrive redacted at S's node, and S's profile would differ.
    if (p != static_cast<int>(DataPart::kPurchaseLines))
      policy.roles[""].insert(static_cast<DataPart>(p));
  }
  ReadOptions office;
  office.role = "office";
  Deployment d(policy, office);
  const Cast x;
  BuildGroupAcross(d, x);  // synced: every node serves the reference's
  d.StopAll();
  for (std::size_t p = 0; p < d.stores.size(); ++p) {
    for (const std::string* id : {&x.s, &x.a, &x.d, &x.b, &x.c}) {
      absl::StatusOr<std::vector<AccessEntry>> log =
          d.stores[p]->AccessLog(*id);
      if (absl::IsNotFound(log.status())) continue;
      REQUIRE_OK(log);
      for (const AccessEntry& e : *log) CHECK(e.role == "office");
    }
  }
  CHECK(DeadLetters(d.options) == 0);
}

TEST_CASE("The group's root unmerged, changed and merged again converges") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  // A terminal following S's partition undoes the copied links as S's
  // node does, though it forwards nothing.
  std::unique_ptr<Store> follower =
      ckm_test::OpenTestStore(d.Dir("follower"), true);
  NodeOptions follow;
  follow.follower = "till-0";
  auto following = PartitionNode::Start(*follower, {0}, d.options, follow);
  REQUIRE_OK(following);
  const auto converged = [&] {
    return ckm_test::ProfilesById(*follower) ==
           ckm_test::ProfilesById(*d.stores[0]);
  };
  BuildGroupAcross(d, x);
  d.Unmerge(x.s, x.a, "two households");
  d.Sell(*d.other_till, Sales(x.b, 5000, 10));
  d.Sell(*d.till, Sales(x.s, 5000, 10));
  d.Sync();
  // S's node splits A's group off with all its members, and A's node,
  // which serves the group now, has every member's events.
  CHECK(SurvivorOf(*d.stores[1], x.b) == x.a);
  CHECK(SurvivorOf(*d.stores[0], x.s) == x.s);
  // S's node undid the links of its copy of A's group: no one would keep
  // them up to date.
  CHECK(SurvivorOf(*d.stores[0], x.b) == x.b);
  CHECK(Eventually(converged));
  CHECK(SurvivorOf(*follower, x.b) == x.b);
  // D leaves A's group while it is not merged into S; merged again, S's
  // node must not bring back the link it held for D before.
  d.Unmerge(x.a, x.d, "moved out");
  d.Merge(x.s, x.a, "one household after all");
  d.Sell(*d.other_till, Sales(x.d, 6000, 10));
  d.Sell(*d.other_till, Sales(x.c, 6000, 10));
  d.Sync();
  CHECK(Eventually(converged));
  (*following)->Stop();
  d.RequireServed();
  CHECK(SurvivorOf(*d.stores[0], x.c) == x.s);
  CHECK(SurvivorOf(*d.stores[0], x.d) == x.d);
  CHECK(SurvivorOf(*follower, x.c) == x.s);
  CHECK(SurvivorOf(*follower, x.d) == x.d);
}

TEST_CASE("A member unmerged, then a member erased, while merged across") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  BuildGroupAcross(d, x);
  // The till names the group's root; each node on B's way splits B off
  // its parent there.
  d.Unmerge(x.s, x.b, "not the same card");
  d.Sell(*d.other_till, Sales(x.b, 5000, 10));
  d.Sell(*d.other_till, Sales(x.d, 5000, 10));
  d.Sync();
  CHECK(SurvivorOf(*d.stores[0], x.b) == x.b);
  CHECK(SurvivorOf(*d.stores[1], x.b) == x.b);
  // An erasure of a member erases its whole group (docs/privacy.md): each
  // member's node erases what it holds; B, split off, stays.
  d.Erase(x.d, "request 7");
  d.Sell(*d.other_till, Sales(x.b, 6000, 10));
  d.Sync();
  d.RequireServed();
  d.RequireGone({x.s, x.a, x.c, x.d});
  CHECK(ckm_test::OutboxDepth(*d.till) == 0);
}

// Split off, B leaves copies of its events at A's node and at S's, where
// they are no one's any more; so does A's group at S's node when A is
// split off. Erased later, each must go from every node, though no node
// forwards them there any more.
TEST_CASE("An erasure reaches the copies a split-off customer left behind") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  BuildGroupAcross(d, x);
  d.Unmerge(x.s, x.b, "not the same card");
  d.Sync();
  for (int p : {0, 1}) CHECK(d.stores[p]->Get(x.b).ok());  // the copies
  d.Erase(x.b, "request 8");
  d.Sync();
  d.RequireGone({x.b});
  // A's group split off S: its copy at S's node goes with its erasure.
  d.Unmerge(x.s, x.a, "two households");
  d.Sync();
  CHECK(d.stores[0]->Get(x.a).ok());
  d.Erase(x.a, "request 9");
  d.Sell(*d.till, Sales(x.s, 7000, 10));
  d.Sync();
  d.RequireServed();
  d.RequireGone({x.a, x.b, x.c, x.d});
}

// B, split off S, left copies at A's node and S's. Erased while A's node
// lags, then back as a new customer (sales dated after the erasure) merged
// into S: S's node must not serve the old B's events meanwhile, nor erase
// S's group when A's node catches up. One store would keep S's group with
// the new B.
TEST_CASE("A late erasure of a copy spares a group formed since") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  BuildGroupAcross(d, x);
  d.Unmerge(x.s, x.b, "not the same card");
  d.Sync();            // copies of B at nodes 0 and 1
  d.nodes[1]->Stop();  // A's node lags behind
  d.Erase(x.b, "request 8");
  d.Sell(*d.till, SalesAfterNow(x.b, 8000, 10));
  d.Merge(x.s, x.b, "new card, same household");
  REQUIRE_OK(DrainOutbox(*d.till, d.options));
  REQUIRE(Eventually([&] { return SurvivorOf(*d.stores[0], x.b) == x.s; }));
  {  // S's node holds none of the old B's events in S's group
    HistoryQuery q;
    q.limit = 1000;
    absl::StatusOr<HistoryPage> page = d.stores[0]->ListHistory(x.s, q);
    REQUIRE_OK(page);
    int old_b = 0;
    for (const Event& e : page->events)
      if (e.customer.id == x.b && e.id < 8000) ++old_b;
    CHECK(old_b == 0);
  }
  d.Start(1);
  REQUIRE_OK(DrainOutbox(*d.till, d.options));
  Eventually([&] { return ckm_test::Drained(d.options) && d.Same(); });
  CHECK(d.Same());
  CHECK(d.stores[0]->Get(x.s).ok());
  CHECK(d.stores[1]->Get(x.a).ok());
  CHECK(d.stores[3]->Get(x.c).ok());
}

// The subjects of <stream>_FORWARDS that name `customer` (in hex).
std::vector<std::string> ForwardsNaming(const SyncOptions& o,
                                        const std::string& customer) {
  const std::string hex = absl::BytesToHexString(customer);
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, o.nats_url.c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  jsOptions opts;
  jsOptions_Init(&opts);
  opts.Stream.Info.SubjectsFilter = ">";
  jsStreamInfo* info = nullptr;
  REQUIRE(js_GetStreamInfo(&info, js, (o.stream + "_FORWARDS").c_str(), &opts,
                           nullptr) == NATS_OK);
  std::vector<std::string> out;
  for (int i = 0;
       info->State.Subjects != nullptr && i < info->State.Subjects->Count;
       ++i) {
    const std::string subject = info->State.Subjects->List[i].Subject;
    if (subject.find(hex) != std::string::npos) out.push_back(subject);
  }
  jsStreamInfo_Destroy(info);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return out;
}

TEST_CASE("An erased customer leaves no subject in FORWARDS") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  BuildGroupAcross(d, x);
  d.Unmerge(x.s, x.b, "not the same card");
  d.Sync();
  d.Erase(x.b, "request 8");
  d.Sync();
  d.RequireServed();
  const std::vector<std::string> left = ForwardsNaming(d.options, x.b);
  CHECK(left == std::vector<std::string>{});
}

// A's node sends its erasure to S's partition though the till's went there
// too. Late (A's node lagging), it names M, a member of S's partition that
// sorts before A, which came back meanwhile as a new customer (sales dated
// after the erasure): the new M must stay.
TEST_CASE("A late second erasure spares a customer new since") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  const std::string m = IdIn(0, "0m");
  for (const std::string* id : {&x.s, &x.a, &m})
    d.Sell(*d.till, Sales(*id, 1000, 20));
  d.Merge(x.a, m, "same card");
  d.Sync();
  d.Merge(x.s, x.a, "same household");
  d.Sync();
  d.nodes[1]->Stop();  // A's node lags behind
  d.Erase(m, "request 10");
  d.Sell(*d.till, SalesAfterNow(m, 8000, 10));
  REQUIRE_OK(DrainOutbox(*d.till, d.options));
  REQUIRE(Eventually([&] { return d.stores[0]->Get(m).ok(); }));
  d.Start(1);
  Eventually([&] { return ckm_test::Drained(d.options) && d.Same(); });
  CHECK(d.stores[0]->Get(m).ok());
  CHECK(d.Same());
}

TEST_CASE("A customer merged across is not merged again at its own node") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  for (const std::string* id : {&x.s, &x.a, &x.d, &x.b}) {
    d.Sell(*d.till, Sales(*id, 1000, 20));
    d.Sell(*d.other_till, Sales(*id, 1500, 5));
  }
  d.Merge(x.s, x.a, "same household");
  REQUIRE_OK(DrainOutbox(*d.till, d.options));
  // The other till has not heard of it: it merges A into D, of A's own
  // partition, which one store would refuse (A is merged into S already),
  // and then B (another partition) into A, which joins S's group.
  REQUIRE_OK(d.other_till->Merge(x.d, x.a, Why("a guess")));
  for (Store* s : {d.other_till.get(), d.reference.get()})
    REQUIRE_OK(s->Merge(x.a, x.b, Why("same card")));
  d.Sell(*d.other_till, Sales(x.a, 3000, 10));
  d.Sync();
  d.RequireServed(1);
  CHECK(ckm_test::DeadLetterReasons(d.options) ==
        std::vector<std::string>{"customer \"" + x.a +
                                 "\" is merged into a group of partition 0 "
                                 "already; unmerge it first"});
  CHECK(SurvivorOf(*d.stores[0], x.b) == x.s);
  CHECK(SurvivorOf(*d.stores[1], x.a) == x.a);
}

TEST_CASE("A customer in two groups across keeps going to both") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  for (const std::string* id : {&x.s, &x.a, &x.d, &x.b})
    d.Sell(*d.till, Sales(*id, 1000, 20));
  // D goes to B's partition; then B's group, D with it, to A's; then A's
  // group to S's. D's node forwards D to both B's and S's partitions.
  d.Merge(x.b, x.d, "same phone");
  d.Sync();
  d.Merge(x.a, x.b, "same card");
  d.Sync();
  d.Merge(x.s, x.a, "same household");
  d.Sell(*d.other_till, Sales(x.d, 2000, 20));
  d.Sync();
  // B's group leaves A's: D's events still reach B's node, not S's.
  d.Unmerge(x.s, x.b, "not the same card");
  d.Sell(*d.other_till, Sales(x.d, 3000, 20));
  d.Sync();
  d.RequireServed();
  CHECK(d.stores[2]->History(x.b, HistoryQuery{})->size() ==
        d.reference->History(x.b, HistoryQuery{})->size());
  CHECK(SurvivorOf(*d.stores[2], x.d) == x.b);
  CHECK(SurvivorOf(*d.stores[0], x.d) == x.d);
}

// D goes to B's partition for two reasons: it is in B's group, and in A's
// group (B's is in A's), merged into E of B's partition. A leaving E ends
// the second reason only: D's events must still reach B's node, whose
// group serves them once B leaves A.
TEST_CASE("A customer forwarded to one partition for two reasons keeps one") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  const std::string e = IdIn(2, "e");
  for (const std::string* id : {&x.a, &x.d, &x.b, &e})
    d.Sell(*d.till, Sales(*id, 1000, 20));
  d.Merge(x.b, x.d, "same phone");
  d.Sync();
  d.Merge(x.a, x.b, "same card");
  d.Sync();
  d.Merge(e, x.a, "same household");
  d.Sync();
  d.Unmerge(e, x.a, "two households");
  d.Sync();
  d.Sell(*d.other_till, Sales(x.d, 2000, 20));
  d.Sync();
  d.Unmerge(x.a, x.b, "not the same card");
  d.Sell(*d.other_till, Sales(x.d, 3000, 20));
  d.Sync();
  d.RequireServed();
  CHECK(SurvivorOf(*d.stores[2], x.d) == x.b);
}

TEST_CASE("A member erased by a till that never heard of the group's root") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  BuildGroupAcross(d, x);
  // The other till knows D as a customer of its own; A's node erases A's
  // group, and S's node, where A's group went, S's, as one store would.
  for (Store* s : {d.other_till.get(), d.reference.get()})
    REQUIRE_OK(s->Erase(x.d, "request 9").status());
  REQUIRE_OK(DrainOutbox(*d.other_till, d.options));
  REQUIRE(Eventually([&] {
    if (!ckm_test::Drained(d.options)) return false;
    for (const std::string* id : {&x.s, &x.a, &x.b, &x.c, &x.d})
      for (const auto& store : d.stores)
        if (!absl::IsNotFound(store->Get(*id).status())) return false;
    return true;
  }));
  d.Sell(*d.till, Sales(IdIn(0, "t"), 7000, 10));  // something to serve
  d.Sync();
  d.RequireServed();
}

TEST_CASE("An unmerge handled again after its last step does the same") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  BuildGroupAcross(d, x);
  d.Unmerge(x.s, x.a, "two households");
  d.Sync();
  // A node killed after it stopped forwarding A's group and before it
  // noted the unmerge handled gets it again: A is a root forwarded
  // nowhere then, which is no reason for a dead letter.
  HandleAgain(d.options, 1);
  d.Sell(*d.other_till, Sales(x.b, 5000, 10));
  d.Sync();
  CHECK(DeadLetters(d.options) == 0);
  CHECK(SurvivorOf(*d.stores[0], x.b) == x.b);
  CHECK(SurvivorOf(*d.stores[1], x.b) == x.a);
  // An erasure handled twice (after a kill) erases the same. (S's node
  // keeps the copies of the histories A's group brought: docs/sync.md,
  // "Not yet".)
  d.Erase(x.c, "request 11");
  REQUIRE_OK(DrainOutbox(*d.till, d.options));
  REQUIRE(Eventually([&] { return ckm_test::Drained(d.options); }));
  HandleAgain(d.options, 3);
  d.Sync();
  d.RequireServed();
  for (const std::string* id : {&x.a, &x.b, &x.c, &x.d}) {
    for (std::size_t p = 1; p < d.stores.size(); ++p) {
      INFO(*id << " on node " << p);
      CHECK(absl::IsNotFound(d.stores[p]->Get(*id).status()));
    }
  }
}

TEST_CASE("A forward written by the version before is carried on") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  for (const std::string* id : {&x.d, &x.b})
    d.Sell(*d.till, Sales(*id, 1000, 20));
  d.Merge(x.b, x.d, "same phone");
  d.Sync();
  // D's node starts again on a stream the version before wrote.
  d.nodes[1]->Stop();
  ForwardAsBefore(d.options, 1, x.d, 2);
  d.Start(1);
  d.Sell(*d.other_till, Sales(x.d, 2000, 20));
  d.Sync();
  d.Unmerge(x.b, x.d, "not the same phone");
  d.Sell(*d.other_till, Sales(x.d, 3000, 20));
  d.Sync();
  // Stopped, the forward is gone: a restart does not bring it back.
  d.nodes[1]->Stop();
  d.Start(1);
  d.Sell(*d.other_till, Sales(x.d, 4000, 20));
  d.Sync();
  d.RequireServed();
  CHECK(d.stores[2]->History(x.b, HistoryQuery{})->size() ==
        d.reference->History(x.b, HistoryQuery{})->size());
}

// A's node was handed the merge and stopped before it acknowledged it; the
// unmerge and a merge into C come after. Without their order kept, the
// server would send those two at once and the merge only after its ack
// wait: the unmerge would find nothing to undo (a dead letter), and the
// merge behind it would have to be passed over.
TEST_CASE("A merge left unacknowledged at a restart comes before its sequels") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  for (const std::string* id : {&x.s, &x.a, &x.c})
    d.Sell(*d.till, Sales(*id, 1000, 20));
  d.Sync();
  d.nodes[1]->Stop();
  d.Merge(x.s, x.a, "same household");
  REQUIRE_OK(DrainOutbox(*d.till, d.options));
  DeliverAndDrop(d.options, 1);
  d.Unmerge(x.s, x.a, "two households");
  d.Merge(x.c, x.a, "same card");
  REQUIRE_OK(DrainOutbox(*d.till, d.options));
  d.Start(1);
  d.Sell(*d.till, Sales(x.a, 2000, 10));
  d.Sync();
  d.RequireServed();
  CHECK(ckm_test::DeadLetterReasons(d.options).empty());
}

TEST_CASE("A node killed while it forwards a group loses and doubles nothing") {
  SKIP_WITHOUT_NATS_SERVER();
  Deployment d;
  const Cast x;
  // A's partition is served by `ckm node`, which the test can kill -9.
  d.nodes[1]->Stop();
  d.nodes[1].reset();
  const std::string db = d.Dir("node1-cli");
  const std::string log = d.Dir("node1.log");
  const std::vector<std::string> command = {
      CKM_CLI,
      "node",
      "--partitions",
      "1",
      "--db",
      db,
      "--nats",
      d.options.nats_url,
      "--partition-count",
      std::to_string(d.options.partitions),
      "--batch",
      "16",
      "--ack-wait-ms",
      std::to_string(d.options.ack_wait_ms)};
  d.stores[1].reset();
  ckm_test::Child node(command, log);
  // Long histories, so that the kill falls mid-forward.
  constexpr int kEach = 1500;
  for (const std::string* id : {&x.a, &x.d, &x.b})
    d.Sell(*d.till, Sales(*id, 1000, kEach));
  for (const std::string* id : {&x.s, &x.c})
    d.Sell(*d.till, Sales(*id, 1000, 20));
  d.Merge(x.a, x.b, "same card");
  d.Merge(x.a, x.d, "same phone");
  REQUIRE_OK(DrainOutbox(*d.till, d.options));
  REQUIRE(Eventually([&] { return ckm_test::Drained(d.options); }));
  d.Merge(x.s, x.a, "same household");
  REQUIRE_OK(DrainOutbox(*d.till, d.options));
  const std::uint64_t before = MessagesOn(d.options, 0);
  REQUIRE(Eventually([&] { return MessagesOn(d.options, 0) > before + 100; }));
  node.Kill(SIGKILL);
  // The group's history, its two links and the merge: not all there yet.
  CHECK(MessagesOn(d.options, 0) < before + 3 * kEach + 3);
  d.Sell(*d.other_till, Sales(x.b, 9000, 10));  // forwarded via A's node
  REQUIRE_OK(DrainOutbox(*d.other_till, d.options));
  // Sequels of the unfinished merge, published before the node is back:
  // they must wait for it.
  d.Unmerge(x.s, x.a, "two households");
  d.Merge(x.c, x.a, "same card again");
  REQUIRE_OK(DrainOutbox(*d.till, d.options));
  node = ckm_test::Child(command, log);
  const auto same = [&](int p, const std::string& id) {
    absl::StatusOr<Profile> got = d.stores[p]->Get(id);
    return got.ok() && got->bytes() == d.reference->Get(id)->bytes();
  };
  const bool drained = Eventually([&] {
    return ckm_test::Drained(d.options) && same(0, x.s) && same(3, x.c);
  });
  INFO(ckm_test::Slurp(log));
  REQUIRE(drained);
  REQUIRE(node.Kill(SIGTERM) == 0);
  d.stores[1] = ckm_test::OpenTestStore(db, false);
  d.RequireServed();
}

}  // namespace
}  // namespace ckm
