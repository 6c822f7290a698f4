// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Changes in the outbox (docs/sync.md): Merge, Unmerge, Unlink and Erase on
// a store with an outbox queue a change in the batch that makes it, a
// change that changes nothing or is refused queues nothing, and
// ApplyChange makes a queued change on another store exactly once.

#include <memory>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/outbox.h"
#include "ckm/store.h"
#include "event_gen.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::TempDir;
using Kind = OutboxChange::Kind;

std::unique_ptr<Store> OpenStore(const std::string& path, bool outbox) {
  StoreOptions options;
  options.outbox = outbox;
  options.durability = Durability::kBuffered;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
  REQUIRE_OK(store);
  return *std::move(store);
}

std::vector<OutboxEntry> Outbox(const Store& store) {
  auto entries = store.ReadOutbox(0);
  REQUIRE_OK(entries);
  return *std::move(entries);
}

std::vector<OutboxChange> Changes(const Store& store) {
  std::vector<OutboxChange> out;
  for (const OutboxEntry& e : Outbox(store))
    if (e.change) out.push_back(*e.change);
  return out;
}

IdentityChangeOptions Why(std::string reason) {
  IdentityChangeOptions o;
  o.actor = "crm";
  o.reason = std::move(reason);
  return o;
}

// Ann, Bob and Cy with a few events each; Ann's email.
const std::vector<Event>& People() {
  static const std::vector<Event> events = [] {
    std::vector<Event> out = {
        {1, CustomerRef::Id("ann"), 1000, "web",
         Identity{IdentityType::kEmail, "Ann@Example.org"}},
        {2, CustomerRef::Id("bob"), 1000, "pos", Loyalty::Earn(20)},
        {3, CustomerRef::Id("cy"), 1000, "pos", Loyalty::Earn(5)}};
    for (Event e : ckm_test::EventGen(17, 3).Events(30)) {
      e.customer = CustomerRef::Id(e.customer.id == "cust-0"   ? "ann"
                                   : e.customer.id == "cust-1" ? "bob"
                                                               : "cy");
      out.push_back(e);
    }
    return out;
  }();
  return events;
}

// Everything a terminal's outbox holds, applied to `store` in order: events
// recorded, changes applied.
void Replay(const std::vector<OutboxEntry>& entries, Store& store) {
  RecordOptions from_elsewhere;
  from_elsewhere.outbox = false;
  for (const OutboxEntry& e : entries) {
    if (e.change) {
      auto applied = store.ApplyChange(*e.change);
      REQUIRE_OK(applied);
      CHECK(*applied);
    } else {
      REQUIRE_OK(store.Record(e.event, from_elsewhere));
    }
  }
}

TEST_CASE("Merges, unmerges, unlinks and erasures are queued as changes") {
  TempDir dir = TempDir::InMemory();
  auto terminal = OpenStore(dir.sub("terminal"), true);
  REQUIRE_OK(terminal->Record(People()));
  std::size_t kept = 0;  // queued events that are not Cy's
  for (const OutboxEntry& e : Outbox(*terminal))
    kept += e.event.customer.id != "cy";
  REQUIRE_OK(terminal->Merge("ann", "bob", Why("same card")));
  REQUIRE_OK(terminal->Unmerge("ann", "bob", Why("not the same")));
  REQUIRE_OK(terminal->Merge("ann", "bob", Why("same after all")));
  REQUIRE_OK(
      terminal->Unlink(IdentityType::kEmail, " ANN@example.org", Why("typo")));
  REQUIRE_OK(terminal->Erase("cy", "request 7"));

  const std::vector<OutboxChange> changes = Changes(*terminal);
  // Erasing Cy took Cy's queued events out of the outbox.
  REQUIRE(Outbox(*terminal).size() == kept + changes.size());
  REQUIRE(changes.size() == 5);
  CHECK(changes[0].kind == Kind::kMerge);
  CHECK(changes[0].customer == "ann");
  CHECK(changes[0].other == "bob");
  CHECK(changes[0].actor == "crm");
  CHECK(changes[0].reason == "same card");
  CHECK(changes[1].kind == Kind::kUnmerge);
  CHECK(changes[2].kind == Kind::kMerge);
  CHECK(changes[3].kind == Kind::kUnlink);
  CHECK(changes[3].customer == "ann");
  CHECK(changes[3].identity_value == "ann@example.org");
  CHECK(changes[4].kind == Kind::kErase);
  CHECK(changes[4].erased == std::vector<std::string>{"cy"});
  for (std::size_t i = 0; i < changes.size(); ++i) {
    CHECK(changes[i].id.size() == 16);
    for (std::size_t j = 0; j < i; ++j) CHECK(changes[i].id != changes[j].id);
  }
  // The change record and the queued change carry the same time.
  auto ids = terminal->Identities("bob");
  REQUIRE_OK(ids);
  CHECK(ids->changes.front().ts_ms == changes[0].ts_ms);
}

TEST_CASE("A queued change names the root of its customer's group") {
  TempDir dir = TempDir::InMemory();
  auto terminal = OpenStore(dir.sub("terminal"), true);
  REQUIRE_OK(terminal->Record(People()));
  REQUIRE_OK(terminal->Merge("ann", "bob", Why("same card")));
  // Into Bob, who is merged into Ann: applied where Ann's group is.
  REQUIRE_OK(terminal->Merge("bob", "cy", Why("household")));
  REQUIRE_OK(terminal->Unlink(IdentityType::kEmail, "ann@example.org"));
  const std::vector<OutboxChange> changes = Changes(*terminal);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].root.empty());
  CHECK(changes[1].customer == "bob");
  CHECK(changes[1].root == "ann");
  CHECK(changes[2].customer == "ann");
  CHECK(changes[2].root.empty());
}

TEST_CASE("A change that changes nothing or is refused queues nothing") {
  TempDir dir = TempDir::InMemory();
  auto terminal = OpenStore(dir.sub("terminal"), true);
  REQUIRE_OK(terminal->Record(People()));
  REQUIRE_OK(terminal->Merge("ann", "bob", Why("same card")));
  const std::vector<OutboxEntry> before = Outbox(*terminal);
  const auto unchanged = [&] {
    const std::vector<OutboxEntry> now = Outbox(*terminal);
    REQUIRE(now.size() == before.size());
    for (std::size_t i = 0; i < now.size(); ++i)
      CHECK(now[i].payload == before[i].payload);
  };
  // A retry: merged this way already.
  REQUIRE_OK(terminal->Merge("ann", "bob", Why("again")));
  unchanged();
  CHECK(absl::IsFailedPrecondition(terminal->Merge("bob", "ann")));
  CHECK(absl::IsFailedPrecondition(terminal->Merge("cy", "bob")));
  CHECK(absl::IsNotFound(terminal->Merge("ann", "nobody")));
  CHECK(absl::IsInvalidArgument(terminal->Merge("ann", "ann")));
  IdentityChangeOptions long_actor;
  long_actor.actor = std::string(129, 'a');
  CHECK(absl::IsInvalidArgument(terminal->Merge("ann", "cy", long_actor)));
  CHECK(absl::IsFailedPrecondition(terminal->Unmerge("cy", "bob")));
  CHECK(absl::IsNotFound(
      terminal->Unlink(IdentityType::kPhone, "+441234567890")));
  CHECK(absl::IsNotFound(terminal->Erase("nobody", "x").status()));
  CHECK(absl::IsInvalidArgument(
      terminal->Erase("cy", std::string(1025, 'r')).status()));
  unchanged();
  // Asked not to travel: made here, not queued.
  IdentityChangeOptions here = Why("local only");
  here.outbox = false;
  REQUIRE_OK(terminal->Unmerge("ann", "bob", here));
  unchanged();
  auto ids = terminal->Identities("bob");
  REQUIRE_OK(ids);
  CHECK(ids->survivor == "bob");
}

TEST_CASE("Changes applied elsewhere give the same profiles, once") {
  TempDir dir = TempDir::InMemory();
  auto terminal = OpenStore(dir.sub("terminal"), true);
  REQUIRE_OK(terminal->Record(People()));
  REQUIRE_OK(terminal->Merge("ann", "bob", Why("same card")));
  REQUIRE_OK(terminal->Merge("cy", "ann", Why("household")));
  REQUIRE_OK(terminal->Unmerge("cy", "ann", Why("not a household")));
  REQUIRE_OK(terminal->Unmerge("ann", "bob", Why("two people")));
  REQUIRE_OK(terminal->Merge("ann", "bob", Why("one person")));
  REQUIRE_OK(terminal->Unlink(IdentityType::kEmail, "ann@example.org"));
  const std::vector<OutboxEntry> entries = Outbox(*terminal);

  // Head office has an outbox too: what it applies is not queued again.
  auto head_office = OpenStore(dir.sub("head-office"), true);
  Replay(entries, *head_office);
  CHECK(ckm_test::ProfilesById(*head_office) ==
        ckm_test::ProfilesById(*terminal));
  CHECK(Outbox(*head_office).empty());
  auto resolved = head_office->Resolve(IdentityType::kEmail, "ann@example.org");
  CHECK(absl::IsNotFound(resolved.status()));
  // Every change again, in any order: each was applied already.
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (!it->change) continue;
    auto again = head_office->ApplyChange(*it->change);
    REQUIRE_OK(again);
    CHECK(!*again);
  }
  CHECK(ckm_test::ProfilesById(*head_office) ==
        ckm_test::ProfilesById(*terminal));
  // The terminal made them: applying them there changes nothing either.
  for (const OutboxChange& c : Changes(*terminal)) {
    auto again = terminal->ApplyChange(c);
    REQUIRE_OK(again);
    CHECK(!*again);
  }
}

TEST_CASE("An erasure travels with its merged group and leaves tombstones") {
  TempDir dir = TempDir::InMemory();
  auto terminal = OpenStore(dir.sub("terminal"), true);
  auto head_office = OpenStore(dir.sub("head-office"), false);
  REQUIRE_OK(terminal->Record(People()));
  REQUIRE_OK(terminal->Merge("ann", "bob", Why("same card")));
  // Published: head office has it, the terminal's outbox is empty.
  std::vector<std::uint64_t> published;
  for (const OutboxEntry& e : Outbox(*terminal))
    published.push_back(e.sequence);
  Replay(Outbox(*terminal), *head_office);
  REQUIRE_OK(terminal->RemoveFromOutbox(published));
  // Queued but not yet published: Dan's first event, a merge of Ann and
  // Dan, and the unmerge of Bob, who is not erased.
  const Event dan{99, CustomerRef::Id("dan"), 5000, "pos", Loyalty::Earn(1)};
  REQUIRE_OK(terminal->Record(dan));
  REQUIRE_OK(terminal->Merge("ann", "dan", Why("household")));
  REQUIRE_OK(terminal->Unmerge("ann", "bob", Why("two people")));
  REQUIRE_OK(terminal->Erase("dan", "request 9"));

  // Dan's event and the merge of Ann and Dan left with the erasure; the
  // unmerge stays, since Bob stays. The erasure names the whole group.
  const std::vector<OutboxEntry> entries = Outbox(*terminal);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].change->kind == Kind::kUnmerge);
  const OutboxChange erase = *entries[1].change;
  CHECK(erase.kind == Kind::kErase);
  CHECK(erase.customer == "dan");
  CHECK(erase.erased == std::vector<std::string>{"ann", "dan"});
  // Head office never heard of Dan: it erases Ann and leaves Dan a
  // tombstone all the same.
  Replay(entries, *head_office);
  for (const char* id : {"ann", "dan"})
    CHECK(absl::IsNotFound(head_office->Get(id).status()));
  CHECK(ckm_test::ProfilesById(*head_office) ==
        ckm_test::ProfilesById(*terminal));  // Bob's and Cy's
  auto erasures = head_office->Erasures();
  REQUIRE_OK(erasures);
  CHECK(erasures->size() == 1);
  // Dan's events dated up to the erasure, arriving late, are replays.
  CHECK(absl::IsFailedPrecondition(head_office->Record(dan).status()));
  auto again = head_office->ApplyChange(erase);
  REQUIRE_OK(again);
  CHECK(!*again);
}

// A copy of an erasure that reaches a store late (sent on by another)
// must not erase a customer recorded anew after an erasure here at least
// as late; a later erasure still does.
TEST_CASE("An erasure arriving late leaves a customer recorded anew since") {
  TempDir dir = TempDir::InMemory();
  auto store = OpenStore(dir.sub("store"), false);
  REQUIRE_OK(store->Record(People()));
  REQUIRE_OK(store->Erase("bob", "request 1"));
  auto log = store->Erasures();
  REQUIRE_OK(log);
  REQUIRE(log->size() == 1);
  const std::int64_t cutoff = log->back().erased_ms;  // Bob's events: older
  const Event anew{500, CustomerRef::Id("bob"), cutoff + 86'400'000, "pos",
                   Loyalty::Earn(7)};
  REQUIRE_OK(store->Record(anew));
  const std::string bob(store->Get("bob")->bytes());

  OutboxChange late;
  late.kind = Kind::kErase;
  late.id = std::string(16, '\x01');
  late.ts_ms = cutoff - 1;
  late.reason = "request 1, sent on";
  late.customer = "bob";
  late.erased = {"bob"};
  auto applied = store->ApplyChange(late);
  REQUIRE_OK(applied);
  REQUIRE(store->Get("bob").ok());
  CHECK(store->Get("bob")->bytes() == bob);

  OutboxChange later = late;
  later.id = std::string(16, '\x02');
  later.ts_ms = anew.ts_ms + 1;
  later.reason = "request 2";
  REQUIRE_OK(store->ApplyChange(later));
  CHECK(absl::IsNotFound(store->Get("bob").status()));
}

TEST_CASE("A change that cannot be applied writes nothing") {
  TempDir dir = TempDir::InMemory();
  auto terminal = OpenStore(dir.sub("terminal"), true);
  auto head_office = OpenStore(dir.sub("head-office"), false);
  REQUIRE_OK(terminal->Record(People()));
  REQUIRE_OK(terminal->Merge("ann", "bob", Why("same card")));
  REQUIRE_OK(terminal->Unlink(IdentityType::kEmail, "ann@example.org"));
  const std::vector<OutboxChange> changes = Changes(*terminal);
  REQUIRE(changes.size() == 2);

  // Before the customers' events: NotFound, and nothing is marked applied.
  CHECK(absl::IsNotFound(head_office->ApplyChange(changes[0]).status()));
  CHECK(absl::IsNotFound(head_office->ApplyChange(changes[1]).status()));
  OutboxChange malformed = changes[0];
  malformed.id = "short";
  const absl::Status bad = head_office->ApplyChange(malformed).status();
  CHECK(absl::IsInvalidArgument(bad));
  CHECK(bad.message().find("change.id") != absl::string_view::npos);
  // Here the email leads to Bob: an unlink of Ann's is refused.
  REQUIRE_OK(head_office->Record(
      {Event{1, CustomerRef::Id("bob"), 1000, "web",
             Identity{IdentityType::kEmail, "ann@example.org"}}}));
  CHECK(absl::IsFailedPrecondition(
      head_office->ApplyChange(changes[1]).status()));
  REQUIRE_OK(head_office->Unlink(IdentityType::kEmail, "ann@example.org"));
  // Once the events are there, the merge applies.
  RecordOptions from_elsewhere;
  from_elsewhere.outbox = false;
  REQUIRE_OK(head_office->Record(People(), from_elsewhere));
  auto applied = head_office->ApplyChange(changes[0]);
  REQUIRE_OK(applied);
  CHECK(*applied);
  auto ids = head_office->Identities("bob");
  REQUIRE_OK(ids);
  CHECK(ids->survivor == "ann");
}

}  // namespace
}  // namespace ckm
