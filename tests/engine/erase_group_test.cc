// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Erase of merged customers: erasing any customer of a merged group, survivor
// or absorbed, erases the whole group (every customer's history, identities,
// directory entries, merge links and identity changes, and the entries of
// other customers' change logs that name them), down to the bytes of the
// files, and leaves every other customer as it was.

#include <random>
#include <set>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/identity.h"
#include "ckm/store.h"
#include "engine/erase_util.h"
#include "event_gen.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::EventGen;
using ckm_test::ProfilesById;
using ckm_test::TempDir;
using erase_test::Email;
using erase_test::FilesHolding;
using erase_test::Id;
using erase_test::MakeEvents;

// A phone number as an event gives it, and as its identity key holds it.
std::string PhoneAsGiven(int c) {
  return "+44 7700 900 " + std::to_string(100 + c);
}
std::string PhoneNormalised(int c) {
  return "+447700900" + std::to_string(100 + c);
}

// MakeEvents, and each customer's phone number, given with spaces.
std::vector<Event> EventsWithPhones(EventGen& gen, int customers, int n) {
  std::vector<Event> events = MakeEvents(gen, customers, n);
  for (int c = 0; c < customers; ++c) {
    Event link;
    link.id = 950'000 + c;
    link.customer = CustomerRef::Id(Id(c));
    link.ts_ms = 1'500'000'000'500 + c;
    link.body = Identity{IdentityType::kPhone, PhoneAsGiven(c)};
    events.push_back(link);
  }
  return events;
}

bool NamesAny(const std::vector<IdentityChange>& changes,
              const std::set<std::string>& ids) {
  for (const IdentityChange& c : changes) {
    if (ids.count(c.other) > 0) return true;
  }
  return false;
}

TEST_CASE(
    "Erasing a merged customer erases its whole group, everywhere, and "
    "leaves everyone else as they were") {
  const std::uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  EventGen gen(seed, 6);
  TempDir dir;
  const int kCustomers = 24;
  const std::vector<Event> events = EventsWithPhones(gen, kCustomers, 2400);
  IdentityChangeOptions why;
  why.actor = "test";
  why.reason = "same person";
  // Erased: the chain 2 -> 1 -> 0 (through its middle), 4 -> 3 (through its
  // survivor), 5 and 6, which were once merged with 20 and 21 (kept).
  const std::set<int> erased = {0, 1, 2, 3, 4, 5, 6};
  std::set<std::string> erased_ids;
  for (int c : erased) erased_ids.insert(Id(c));
  std::map<std::string, std::string> before;
  {
    StoreOptions options;
    options.write_buffer_bytes = 64 << 10;  // several files and levels
    auto store = Store::Open(dir.sub("db"), options);
    REQUIRE_OK(store);
    for (std::size_t i = 0; i < events.size(); i += 100) {
      REQUIRE_OK((*store)->Record(absl::MakeConstSpan(events).subspan(i, 100),
                                  {Durability::kBuffered}));
    }
    REQUIRE_OK((*store)->Merge(Id(1), Id(2), why));
    REQUIRE_OK((*store)->Merge(Id(0), Id(1), why));
    REQUIRE_OK((*store)->Merge(Id(3), Id(4), why));
    REQUIRE_OK((*store)->Merge(Id(20), Id(5), why));
    REQUIRE_OK((*store)->Unmerge(Id(20), Id(5), why));
    REQUIRE_OK((*store)->Merge(Id(6), Id(21), why));
    REQUIRE_OK((*store)->Unmerge(Id(6), Id(21), why));
    before = ProfilesById(**store);
    for (int c : erased) before.erase(Id(c));

    const struct {
      int customer;
      std::int64_t customers;
    } erasures[] = {{1, 3}, {3, 2}, {5, 1}, {6, 1}};
    for (const auto& e : erasures) {
      absl::StatusOr<ErasureResult> r = (*store)->Erase(Id(e.customer), "req");
      REQUIRE_OK(r);
      CHECK(r->customers == e.customers);
      CHECK(r->identities == 2 * e.customers);  // an email and a phone each
    }
    for (int c : erased) {
      INFO(Id(c));
      CHECK(absl::IsNotFound((*store)->Get(Id(c)).status()));
      CHECK((*store)->History(Id(c))->empty());
      CHECK(absl::IsNotFound((*store)->Identities(Id(c)).status()));
      CHECK(absl::IsNotFound(
          (*store)->Resolve(IdentityType::kEmail, Email(c)).status()));
      CHECK(absl::IsNotFound(
          (*store)->Resolve(IdentityType::kPhone, PhoneAsGiven(c)).status()));
      CHECK(absl::IsNotFound((*store)->Erase(Id(c), "again").status()));
    }
    CHECK(ProfilesById(**store) == before);
    // The kept partners' change logs no longer name who was erased.
    for (int c : {20, 21}) {
      absl::StatusOr<CustomerIdentities> who = (*store)->Identities(Id(c));
      REQUIRE_OK(who);
      CHECK(!NamesAny(who->changes, erased_ids));
    }
    absl::StatusOr<StoreReport> report = (*store)->VerifyAll();
    REQUIRE_OK(report);
    CHECK(report->ok());
    CHECK(report->customers == kCustomers - static_cast<int>(erased.size()));
    absl::StatusOr<std::vector<ErasureEntry>> log = (*store)->Erasures();
    REQUIRE_OK(log);
    REQUIRE(log->size() == erased.size());
    CHECK((*log)[0].customers == 3);
    CHECK((*log)[3].customers == 2);
    CHECK((*log)[6].customers == 1);
  }
  // Closed: no file of the store holds an erased id, email or phone.
  for (int c : erased) {
    INFO(Id(c));
    for (const std::string& needle :
         {Id(c), Email(c), PhoneAsGiven(c), PhoneNormalised(c)}) {
      CHECK(FilesHolding(dir.sub("db"), needle) == std::vector<std::string>());
    }
  }
  // The search can fail: it finds what the kept customers hold. (Not
  // their normalised phone numbers: identity keys are prefix-compressed in
  // table files, so a key's bytes need not appear whole. That every
  // erased identity key is gone is checked by Resolve above, and below.)
  for (int c = 0; c < kCustomers; ++c) {
    if (erased.count(c) > 0) continue;
    INFO(Id(c));
    for (const std::string& needle : {Id(c), Email(c), PhoneAsGiven(c)})
      CHECK(!FilesHolding(dir.sub("db"), needle).empty());
  }

  auto store = Store::Open(dir.sub("db"));
  REQUIRE_OK(store);
  // Replays: refused, and nothing written.
  for (std::size_t i = 0; i < events.size(); i += 100) {
    const auto batch = absl::MakeConstSpan(events).subspan(i, 100);
    bool names_erased = false;
    for (const Event& e : batch) {
      for (int c : erased) {
        names_erased |=
            e.customer.id == Id(c) || e.customer.identity_value == Email(c);
      }
    }
    absl::StatusOr<RecordResult> r = (*store)->Record(batch);
    if (names_erased) {
      CHECK((absl::IsFailedPrecondition(r.status()) ||
             absl::IsInvalidArgument(r.status())));
    } else {
      REQUIRE_OK(r);
      CHECK(r->recorded == 0);
    }
  }
  CHECK(ProfilesById(**store) == before);
  for (int c : erased) {
    CHECK(absl::IsNotFound(
        (*store)->Resolve(IdentityType::kPhone, PhoneAsGiven(c)).status()));
  }
  // No merge link is left: a genuinely new event for an absorbed customer's
  // id starts a customer of its own.
  Event fresh;
  fresh.id = 1;
  fresh.customer = CustomerRef::Id(Id(2));
  fresh.ts_ms = 253'402'300'799'999;
  fresh.body = Consent{"marketing.email", false};
  REQUIRE_OK((*store)->Record(fresh));
  absl::StatusOr<CustomerIdentities> who = (*store)->Identities(Id(2));
  REQUIRE_OK(who);
  CHECK(who->survivor == Id(2));
  CHECK(who->aliases.empty());
  CHECK(who->changes.empty());
  CHECK((*store)->Get(Id(2))->event_count() == 1);
  CHECK((*store)->VerifyAll()->ok());
}

TEST_CASE("A failed Erase of a merged customer writes nothing") {
  TempDir dir;
  auto store = Store::Open(dir.sub("db"));
  REQUIRE_OK(store);
  EventGen gen(3);
  REQUIRE_OK((*store)->Record(MakeEvents(gen, 3, 60)));
  IdentityChangeOptions why;
  REQUIRE_OK((*store)->Merge(Id(0), Id(1), why));
  const auto before = ProfilesById(**store);
  for (int c : {0, 1}) {
    CHECK(absl::IsInvalidArgument(
        (*store)->Erase(Id(c), std::string(2000, 'x')).status()));
    CHECK(absl::IsInvalidArgument((*store)->Erase(Id(c), "\xff").status()));
  }
  CHECK(ProfilesById(**store) == before);
  CHECK((*store)->Erasures()->empty());
  CHECK((*store)->Identities(Id(1))->survivor == Id(0));
  CHECK((*store)->VerifyAll()->ok());
}

}  // namespace
}  // namespace ckm
