// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Identity resolution: normalisation, blocked values, unlink and relink,
// merge and unmerge with their rules (docs/identity.md).

#include "ckm/identity.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "identity_rules.h"
#include "rocksdb/db.h"
#include "storage/keys.h"
#include "storage/store_internal.h"
#include "test_util.h"

namespace ckm {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;

std::unique_ptr<Store> OpenStore(const std::string& path,
                                 StoreOptions options = {}) {
  options.durability = Durability::kBuffered;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
  REQUIRE_OK(store);
  return *std::move(store);
}

Event LinkEvent(std::uint64_t id, const std::string& customer,
                IdentityType type, const std::string& value) {
  Event e;
  e.id = id;
  e.customer = CustomerRef::Id(customer);
  e.ts_ms = kT0 + static_cast<std::int64_t>(id);
  e.body = Identity{type, value};
  return e;
}

Event Buy(std::uint64_t id, CustomerRef who, const std::string& sku,
          std::int64_t ts_ms = 0) {
  Event e;
  e.id = id;
  e.customer = std::move(who);
  e.ts_ms = ts_ms != 0 ? ts_ms : kT0 + static_cast<std::int64_t>(id) * 1000;
  Purchase p;
  p.currency = "GBP";
  p.store = "store-" + sku;
  p.lines.push_back({sku, "cat", 1, 2'500'000});
  e.body = p;
  return e;
}

Event Visit(std::uint64_t id, CustomerRef who) {
  Event e;
  e.id = id;
  e.customer = std::move(who);
  e.ts_ms = kT0 + static_cast<std::int64_t>(id) * 1000;
  Interaction i;
  i.kind = InteractionKind::kVisit;
  i.rating = static_cast<int>(id % 11);
  e.body = i;
  return e;
}

std::string ProfileBytes(const Store& store, const std::string& id) {
  absl::StatusOr<Profile> p = store.Get(id);
  REQUIRE_OK(p);
  return std::string(p->bytes());
}

void RecordAll(Store& store, const std::vector<Event>& events) {
  absl::StatusOr<RecordResult> r = store.Record(events);
  REQUIRE_OK(r);
}

TEST_CASE("NormalizeIdentity follows the documented rules") {
  struct Case {
    IdentityType type;
    std::string in;
    std::string country;
    std::string out;  // empty: InvalidArgument
  };
  const Case cases[] = {
      {IdentityType::kEmail, "  Sam@Example.COM\t", "", "sam@example.com"},
      {IdentityType::kEmail, "sam@example.com", "", "sam@example.com"},
      {IdentityType::kEmail, "Zoë@Example.com", "", "zoë@example.com"},
      {IdentityType::kEmail, " \t ", "", ""},
      {IdentityType::kPhone, "+44 20 7946 0018", "", "+442079460018"},
      {IdentityType::kPhone, "0044 (20) 7946-0018", "", "+442079460018"},
      {IdentityType::kPhone, "020 7946 0018", "44", "+442079460018"},
      {IdentityType::kPhone, "020 7946 0018", "", "02079460018"},
      {IdentityType::kPhone, "(555) 123.4567", "1", "+15551234567"},
      {IdentityType::kPhone, "06 1234 5678", "39", "+390612345678"},
      {IdentityType::kPhone, "+44 20 7946 0018 ext 2", "", ""},
      {IdentityType::kPhone, "+1234567890123456", "", ""},  // 16 digits
      {IdentityType::kPhone, "7", "", ""},
      {IdentityType::kPhone, "", "44", ""},
      {IdentityType::kLoyaltyCard, " Card-7 ", "44", " Card-7 "},
      {IdentityType::kExternalId, "CRM/Abc", "", "CRM/Abc"},
  };
  for (const Case& c : cases) {
    INFO(c.in << " with country code " << c.country);
    absl::StatusOr<std::string> got =
        NormalizeIdentity(c.type, c.in, c.country);
    if (c.out.empty()) {
      CHECK(absl::IsInvalidArgument(got.status()));
    } else {
      REQUIRE_OK(got);
      CHECK(*got == c.out);
      // Normalising twice changes nothing.
      CHECK(NormalizeIdentity(c.type, *got, c.country).value() == *got);
    }
  }
}

TEST_CASE("Blocked patterns match globs, ignoring ASCII case") {
  CHECK(GlobMatch("*@mailinator.com", "x@Mailinator.COM"));
  CHECK(GlobMatch("a?c", "abc"));
  CHECK(GlobMatch("*", ""));
  CHECK(GlobMatch("*a*b*", "xxaxxbxx"));
  CHECK_FALSE(GlobMatch("*@mailinator.com", "x@mailinator.co"));
  CHECK_FALSE(GlobMatch("a?c", "ac"));
}

TEST_CASE(
    "Identities resolve by their normalised form, and history keeps the text") {
  ckm_test::TempDir dir;
  StoreOptions options;
  options.identity.default_country_code = "44";
  auto store = OpenStore(dir.path(), options);
  RecordAll(*store,
            {LinkEvent(1, "ann", IdentityType::kEmail, "  Ann@Example.COM "),
             LinkEvent(2, "ann", IdentityType::kPhone, "07700 900123")});
  CHECK(store->Resolve(IdentityType::kEmail, "ann@example.com").value() ==
        "ann");
  CHECK(store->Resolve(IdentityType::kPhone, "+44 7700 900 123").value() ==
        "ann");
  RecordAll(
      *store,
      {Buy(3, CustomerRef::ByIdentity(IdentityType::kEmail, "ANN@example.com"),
           "sku-1")});
  CHECK(store->Get("ann")->purchases().orders == 1);

  // The same address in another case is the same identity.
  absl::StatusOr<RecordResult> r = store->Record(
      LinkEvent(4, "bob", IdentityType::kEmail, "ann@EXAMPLE.com"));
  REQUIRE(absl::IsInvalidArgument(r.status()));
  CHECK_THAT(std::string(r.status().message()),
             Catch::Matchers::StartsWith("events[0].identity.value:") &&
                 Catch::Matchers::Contains("already linked to customer"));
  CHECK(absl::IsNotFound(store->Get("bob").status()));

  HistoryQuery changes;
  changes.kind = EventKind::kIdentity;
  absl::StatusOr<Events> history = store->History("ann", changes);
  REQUIRE_OK(history);
  std::vector<std::string> texts;
  for (const Event& e : *history)
    texts.push_back(std::get<Identity>(e.body).value);
  std::sort(texts.begin(), texts.end());
  CHECK(texts ==
        std::vector<std::string>{"  Ann@Example.COM ", "07700 900123"});
}

TEST_CASE(
    "Blocked and malformed identity values are refused, writing nothing") {
  ckm_test::TempDir dir;
  StoreOptions options;
  options.identity.blocked_patterns = {"*@mailinator.com"};
  auto store = OpenStore(dir.path(), options);
  const std::pair<Event, std::string> bad[] = {
      {LinkEvent(1, "ann", IdentityType::kEmail, " Test@Example.com"),
       "events[0].identity.value: email:test@example.com is a blocked"},
      {LinkEvent(2, "ann", IdentityType::kEmail, "null"),
       "events[0].identity.value: email:null is a blocked"},
      {LinkEvent(3, "ann", IdentityType::kEmail, "x@MAILINATOR.com"),
       "events[0].identity.value: email:x@mailinator.com is a blocked"},
      {LinkEvent(4, "ann", IdentityType::kPhone, "call me"),
       "events[0].identity.value: not a phone number"},
      {Buy(5, CustomerRef::ByIdentity(IdentityType::kEmail, "anonymous"), "s"),
       "events[0].customer: email:anonymous is a blocked"},
  };
  for (const auto& [event, message] : bad) {
    INFO(message);
    absl::StatusOr<RecordResult> r = store->Record(event);
    REQUIRE(absl::IsInvalidArgument(r.status()));
    CHECK_THAT(std::string(r.status().message()),
               Catch::Matchers::StartsWith(message));
  }
  CHECK(absl::IsNotFound(store->Get("ann").status()));
  CHECK(absl::IsInvalidArgument(
      store->Resolve(IdentityType::kEmail, "NULL").status()));

  StoreOptions wrong;
  wrong.identity.default_country_code = "+44";
  CHECK(absl::IsInvalidArgument(Store::Open(dir.sub("x"), wrong).status()));
  CHECK_FALSE(std::filesystem::exists(dir.sub("x")));
}

TEST_CASE("An unlinked identity names nobody until it is linked again") {
  ckm_test::TempDir dir;
  auto store = OpenStore(dir.path());
  const CustomerRef by_email =
      CustomerRef::ByIdentity(IdentityType::kEmail, "pat@shop.test");
  RecordAll(*store, {LinkEvent(1, "ann", IdentityType::kEmail, "pat@shop.test"),
                     Buy(2, by_email, "sku-1")});
  IdentityChangeOptions why;
  why.actor = "agent-7";
  why.reason = "typo at the till";
  REQUIRE_OK(store->Unlink(IdentityType::kEmail, " PAT@shop.test", why));

  CHECK(absl::IsNotFound(
      store->Resolve(IdentityType::kEmail, "pat@shop.test").status()));
  absl::StatusOr<RecordResult> r = store->Record(Buy(3, by_email, "sku-2"));
  CHECK(absl::IsInvalidArgument(r.status()));
  CHECK(absl::IsNotFound(store->Unlink(IdentityType::kEmail, "pat@shop.test")));

  absl::StatusOr<CustomerIdentities> ann = store->Identities("ann");
  REQUIRE_OK(ann);
  CHECK(ann->identities.empty());
  REQUIRE(ann->changes.size() == 1);
  CHECK(ann->changes[0].kind == IdentityChange::Kind::kUnlinked);
  CHECK(ann->changes[0].actor == "agent-7");
  CHECK(ann->changes[0].reason == "typo at the till");
  CHECK(ann->changes[0].identity_value == "pat@shop.test");

  // Relinked to someone else: later events follow it, earlier ones stay.
  RecordAll(*store, {LinkEvent(4, "bob", IdentityType::kEmail, "pat@shop.test"),
                     Buy(5, by_email, "sku-3")});
  CHECK(store->Resolve(IdentityType::kEmail, "pat@shop.test").value() == "bob");
  CHECK(store->Get("ann")->purchases().orders == 1);
  CHECK(store->Get("bob")->purchases().orders == 1);
  CHECK(store->Identities("bob")->identities.size() == 1);
  CHECK(store->Verify("ann")->ok());
  CHECK(store->Verify("bob")->ok());
}

// Ann's and Bob's events, with distinct ids, Ann's linking an email.
std::vector<Event> AnnAndBob() {
  const CustomerRef ann = CustomerRef::Id("ann");
  const CustomerRef bob = CustomerRef::Id("bob");
  return {LinkEvent(1, "ann", IdentityType::kEmail, "ann@shop.test"),
          Buy(2, ann, "sku-1"),
          Buy(3, ann, "sku-2"),
          Visit(4, ann),
          Buy(5, bob, "sku-2"),
          Buy(6, bob, "sku-3"),
          Visit(7, bob)};
}

TEST_CASE("A merge folds the absorbed customer into the survivor") {
  ckm_test::TempDir dir;
  auto store = OpenStore(dir.sub("merged"));
  auto one = OpenStore(dir.sub("one"));  // everything recorded as Bob's
  std::vector<Event> events = AnnAndBob();
  RecordAll(*store, events);
  IdentityChangeOptions why;
  why.actor = "crm-dedup";
  why.reason = "same card holder";
  why.ts_ms = kT0;
  REQUIRE_OK(store->Merge("bob", "ann", why));
  // After the merge, by Ann's id and by her email.
  const std::vector<Event> later = {
      Buy(8, CustomerRef::Id("ann"), "sku-4"),
      Buy(9, CustomerRef::ByIdentity(IdentityType::kEmail, "ann@shop.test"),
          "sku-1")};
  RecordAll(*store, later);
  events.insert(events.end(), later.begin(), later.end());
  for (Event& e : events) e.customer = CustomerRef::Id("bob");
  RecordAll(*one, events);

  CHECK(ProfileBytes(*store, "bob") == ProfileBytes(*one, "bob"));
  CHECK(ProfileBytes(*store, "ann") == ProfileBytes(*one, "bob"));
  CHECK(store->Get("bob")->purchases().distinct_products == 4);
  CHECK(store->Resolve(IdentityType::kEmail, "ann@shop.test").value() == "bob");
  CHECK(store->Timeline("bob", {}, 0)->size() == events.size());
  CHECK(store->History("ann")->size() == events.size());
  for (Dimension d : {Dimension::kProduct, Dimension::kStore}) {
    absl::StatusOr<std::vector<BreakdownEntry>> got =
        store->Breakdown("bob", d);
    absl::StatusOr<std::vector<BreakdownEntry>> want = one->Breakdown("bob", d);
    REQUIRE_OK(got);
    REQUIRE_OK(want);
    REQUIRE(got->size() == want->size());
    for (std::size_t k = 0; k < got->size(); ++k) {
      CHECK((*got)[k].key == (*want)[k].key);
      CHECK((*got)[k].orders == (*want)[k].orders);
    }
  }
  CHECK(store->Verify("bob")->ok());
  CHECK(store->Verify("ann")->ok());
  absl::StatusOr<StoreReport> all = store->VerifyAll();
  REQUIRE_OK(all);
  CHECK(all->customers == 1);
  CHECK(all->damaged == 0);

  absl::StatusOr<CustomerIdentities> bob = store->Identities("bob");
  REQUIRE_OK(bob);
  CHECK(bob->survivor == "bob");
  CHECK(bob->aliases == std::vector<std::string>{"ann"});
  REQUIRE(bob->identities.size() == 1);
  REQUIRE(bob->changes.size() == 1);
  CHECK(bob->changes[0].kind == IdentityChange::Kind::kMerged);
  CHECK(bob->changes[0].other == "ann");
  CHECK(bob->changes[0].actor == "crm-dedup");
  CHECK(bob->changes[0].reason == "same card holder");
  CHECK(bob->changes[0].ts_ms == kT0);
  absl::StatusOr<CustomerIdentities> ann = store->Identities("ann");
  REQUIRE_OK(ann);
  CHECK(ann->survivor == "bob");
  REQUIRE(ann->changes.size() == 1);
  CHECK(ann->changes[0].kind == IdentityChange::Kind::kMergedInto);

  // It all holds after reopening, and Rebuild changes nothing.
  const std::string before = ProfileBytes(*store, "bob");
  store.reset();
  store = OpenStore(dir.sub("merged"));
  CHECK(ProfileBytes(*store, "ann") == before);
  absl::StatusOr<StoreReport> rebuilt = store->RebuildAll();
  REQUIRE_OK(rebuilt);
  CHECK(rebuilt->damaged == 0);
  REQUIRE_OK(store->Rebuild("ann"));
  CHECK(ProfileBytes(*store, "bob") == before);
}

TEST_CASE("Retries of events recorded before a merge are recognised after it") {
  ckm_test::TempDir dir;
  auto store = OpenStore(dir.path());
  const std::vector<Event> events = AnnAndBob();
  RecordAll(*store, events);
  REQUIRE_OK(store->Merge("bob", "ann"));
  const std::string merged = ProfileBytes(*store, "bob");
  absl::StatusOr<RecordResult> again = store->Record(events);
  REQUIRE_OK(again);
  CHECK(again->recorded == 0);
  CHECK(again->already_recorded == events.size());
  CHECK(ProfileBytes(*store, "bob") == merged);

  // Bob and Ann may each have an event of the same kind, time and id: two
  // customers' events, both kept by the merge.
  Event ann_twin = Buy(50, CustomerRef::Id("ann"), "sku-9", kT0);
  Event bob_twin = ann_twin;
  bob_twin.customer = CustomerRef::Id("bob");
  RecordAll(*store, {ann_twin, bob_twin});
  CHECK(store->Get("bob")->purchases().orders == 6);
  CHECK(store->Verify("bob")->ok());
}

TEST_CASE(
    "Merging a merged pair again changes nothing, and other repeats are "
    "refused") {
  ckm_test::TempDir dir;
  auto store = OpenStore(dir.path());
  RecordAll(*store, AnnAndBob());
  RecordAll(*store, {Visit(20, CustomerRef::Id("cy"))});
  REQUIRE_OK(store->Merge("bob", "ann"));
  const std::string merged = ProfileBytes(*store, "bob");
  REQUIRE_OK(store->Merge("bob", "ann"));
  CHECK(ProfileBytes(*store, "bob") == merged);
  CHECK(store->Identities("bob")->changes.size() == 1);

  absl::Status reverse = store->Merge("ann", "bob");
  CHECK(absl::IsFailedPrecondition(reverse));
  absl::Status twice = store->Merge("cy", "ann");
  CHECK(absl::IsFailedPrecondition(twice));
  CHECK_THAT(std::string(twice.message()),
             Catch::Matchers::Contains("already merged into \"bob\""));
  CHECK(absl::IsInvalidArgument(store->Merge("bob", "bob")));
  CHECK(absl::IsNotFound(store->Merge("bob", "nobody")));
  CHECK(absl::IsNotFound(store->Merge("nobody", "bob")));
  IdentityChangeOptions long_reason;
  long_reason.reason = std::string(2000, 'x');
  CHECK(absl::IsInvalidArgument(store->Merge("cy", "bob", long_reason)));
  CHECK(absl::IsFailedPrecondition(store->Unmerge("cy", "bob")));
  CHECK(absl::IsFailedPrecondition(store->Unmerge("ann", "bob")));
  CHECK(ProfileBytes(*store, "bob") == merged);
  CHECK(store->Identities("cy")->changes.empty());
}

TEST_CASE("Unmerge gives each customer exactly the events that named it") {
  ckm_test::TempDir dir;
  auto store = OpenStore(dir.sub("s"));
  auto alone = OpenStore(dir.sub("alone"));  // the same events, never merged
  const std::vector<Event> before = AnnAndBob();
  const std::vector<Event> during = {
      Buy(10, CustomerRef::Id("ann"), "sku-5"),
      Buy(11, CustomerRef::ByIdentity(IdentityType::kEmail, "ann@shop.test"),
          "sku-2"),
      LinkEvent(12, "bob", IdentityType::kPhone, "+44 20 7946 0018"),
      Buy(13, CustomerRef::Id("bob"), "sku-1")};
  RecordAll(*store, before);
  REQUIRE_OK(store->Merge("bob", "ann"));
  RecordAll(*store, during);
  REQUIRE_OK(store->Unmerge("bob", "ann"));
  RecordAll(*alone, before);
  RecordAll(*alone, during);
  for (const char* c : {"ann", "bob"}) {
    INFO(c);
    CHECK(ProfileBytes(*store, c) == ProfileBytes(*alone, c));
    CHECK(store->History(c)->size() == alone->History(c)->size());
    CHECK(store->Verify(c)->ok());
  }
  CHECK(store->Resolve(IdentityType::kEmail, "ann@shop.test").value() == "ann");
  CHECK(store->Identities("bob")->aliases.empty());
  CHECK(store->Identities("ann")->changes.size() == 2);

  // Later events land where they belong, and it survives a reopen and
  // a rebuild.
  RecordAll(*store, {Buy(14, CustomerRef::Id("ann"), "sku-6")});
  RecordAll(*alone, {Buy(14, CustomerRef::Id("ann"), "sku-6")});
  store.reset();
  store = OpenStore(dir.sub("s"));
  REQUIRE_OK(store->RebuildAll());
  for (const char* c : {"ann", "bob"})
    CHECK(ProfileBytes(*store, c) == ProfileBytes(*alone, c));
}

TEST_CASE("A chain of merges, and unmerging a link in the middle") {
  ckm_test::TempDir dir;
  auto store = OpenStore(dir.sub("s"));
  auto ref = OpenStore(dir.sub("ref"));
  std::vector<Event> events = AnnAndBob();
  events.push_back(Visit(30, CustomerRef::Id("cy")));
  events.push_back(Buy(31, CustomerRef::Id("cy"), "sku-7"));
  RecordAll(*store, events);
  RecordAll(*ref, events);
  REQUIRE_OK(store->Merge("bob", "ann"));
  REQUIRE_OK(store->Merge("cy", "bob"));
  CHECK(store->Get("ann")->purchases().orders == 5);
  CHECK(store->Resolve(IdentityType::kEmail, "ann@shop.test").value() == "cy");
  CHECK(store->Identities("cy")->aliases ==
        std::vector<std::string>{"ann", "bob"});
  CHECK(store->Verify("cy")->ok());
  RecordAll(*store, {Buy(32, CustomerRef::Id("ann"), "sku-8")});
  RecordAll(*ref, {Buy(32, CustomerRef::Id("ann"), "sku-8")});

  // Splitting Bob off Cy takes Ann, merged into Bob, with him.
  REQUIRE_OK(store->Unmerge("cy", "bob"));
  CHECK(store->Resolve(IdentityType::kEmail, "ann@shop.test").value() == "bob");
  CHECK(ProfileBytes(*store, "cy") == ProfileBytes(*ref, "cy"));
  CHECK(store->Get("bob")->purchases().orders == 5);
  REQUIRE_OK(store->Unmerge("bob", "ann"));
  for (const char* c : {"ann", "bob", "cy"})
    CHECK(ProfileBytes(*store, c) == ProfileBytes(*ref, c));
}

TEST_CASE("A merge past max_merged_customers is refused, writing nothing") {
  ckm_test::TempDir dir;
  StoreOptions options;
  options.identity.max_merged_customers = 1;
  auto store = OpenStore(dir.path(), options);
  RecordAll(*store, AnnAndBob());
  RecordAll(*store, {Visit(30, CustomerRef::Id("cy"))});
  REQUIRE_OK(store->Merge("bob", "ann"));
  const std::string bob = ProfileBytes(*store, "bob");
  const std::string cy = ProfileBytes(*store, "cy");
  absl::Status refused = store->Merge("bob", "cy");
  REQUIRE(absl::IsFailedPrecondition(refused));
  CHECK_THAT(std::string(refused.message()),
             Catch::Matchers::Contains("max_merged_customers"));
  CHECK(ProfileBytes(*store, "bob") == bob);
  CHECK(ProfileBytes(*store, "cy") == cy);
  CHECK(store->Identities("cy")->changes.empty());
}

TEST_CASE("A merge past max_identities_per_type is refused, writing nothing") {
  ckm_test::TempDir dir;
  StoreOptions options;
  options.identity.max_identities_per_type = 1;
  auto store = OpenStore(dir.path(), options);
  RecordAll(*store, AnnAndBob());
  RecordAll(*store,
            {LinkEvent(40, "bob", IdentityType::kEmail, "bob@shop.test"),
             LinkEvent(41, "cy", IdentityType::kPhone, "+44 20 7946 0018")});
  absl::Status refused = store->Merge("bob", "ann");
  REQUIRE(absl::IsFailedPrecondition(refused));
  CHECK_THAT(std::string(refused.message()),
             Catch::Matchers::Contains("max_identities_per_type") &&
                 Catch::Matchers::Contains("email"));
  CHECK(store->Resolve(IdentityType::kEmail, "ann@shop.test").value() == "ann");
  CHECK(store->Identities("ann")->changes.empty());
  // One email and one phone are within the rule.
  REQUIRE_OK(store->Merge("cy", "ann"));
}

TEST_CASE("Linking an owned identity of an automatic type merges the two") {
  ckm_test::TempDir dir;
  StoreOptions options;
  options.identity.auto_merge_types = {IdentityType::kLoyaltyCard};
  options.identity.max_merged_customers = 1;
  auto store = OpenStore(dir.path(), options);
  RecordAll(*store, AnnAndBob());
  RecordAll(*store, {LinkEvent(20, "ann", IdentityType::kLoyaltyCard, "card-9"),
                     Visit(21, CustomerRef::Id("cy"))});
  // Bob shows Ann's card: Bob is merged into Ann, and his event recorded.
  absl::StatusOr<RecordResult> r =
      store->Record({LinkEvent(22, "bob", IdentityType::kLoyaltyCard, "card-9"),
                     Buy(23, CustomerRef::Id("bob"), "sku-8")});
  REQUIRE_OK(r);
  CHECK(r->recorded == 2);
  CHECK(store->Resolve(IdentityType::kLoyaltyCard, "card-9").value() == "ann");
  absl::StatusOr<CustomerIdentities> ann = store->Identities("ann");
  REQUIRE_OK(ann);
  CHECK(ann->aliases == std::vector<std::string>{"bob"});
  REQUIRE(ann->changes.size() == 1);
  CHECK(ann->changes[0].actor == "ckm");
  CHECK_THAT(ann->changes[0].reason,
             Catch::Matchers::StartsWith(
                 "automatic: loyalty_card:card-9 linked by event 22"));
  CHECK(store->Get("bob")->purchases().orders == 5);
  CHECK(store->Verify("ann")->ok());

  // Emails are not automatic; a refused merge writes nothing; a customer
  // never seen cannot be merged.
  absl::StatusOr<RecordResult> email =
      store->Record(LinkEvent(24, "cy", IdentityType::kEmail, "ann@shop.test"));
  CHECK(absl::IsInvalidArgument(email.status()));
  absl::StatusOr<RecordResult> refused =
      store->Record(LinkEvent(25, "cy", IdentityType::kLoyaltyCard, "card-9"));
  REQUIRE(absl::IsFailedPrecondition(refused.status()));
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Matchers::Contains("max_merged_customers"));
  CHECK(store->Get("cy")->event_count() == 1);
  absl::StatusOr<RecordResult> stranger = store->Record(
      LinkEvent(26, "new-5", IdentityType::kLoyaltyCard, "card-9"));
  CHECK(absl::IsInvalidArgument(stranger.status()));
  CHECK(absl::IsNotFound(store->Get("new-5").status()));
}

TEST_CASE("Merges on a read-only store are refused") {
  ckm_test::TempDir dir;
  {
    auto store = OpenStore(dir.path());
    RecordAll(*store, AnnAndBob());
  }
  StoreOptions read_only;
  read_only.access = Access::kReadOnly;
  auto store = OpenStore(dir.path(), read_only);
  CHECK(absl::IsFailedPrecondition(store->Merge("bob", "ann")));
  CHECK(absl::IsFailedPrecondition(store->Unmerge("bob", "ann")));
  CHECK(absl::IsFailedPrecondition(
      store->Unlink(IdentityType::kEmail, "ann@shop.test")));
  CHECK(store->Identities("ann")->identities.size() == 1);
}

TEST_CASE("Identity keys stored unnormalised are normalised on open") {
  ckm_test::TempDir dir;
  {
    auto store = OpenStore(dir.path());
    RecordAll(*store,
              {LinkEvent(1, "ann", IdentityType::kEmail, "ann@shop.test"),
               LinkEvent(2, "bob", IdentityType::kEmail, "bob@shop.test")});
    // As an older build wrote them: the text as given.
    rocksdb::DB* db = internal::Db(*store);
    rocksdb::ColumnFamilyHandle* ids =
        internal::Cf(*store, keys::kIdentitiesCf);
    const std::string ann = internal::CustomerKey(*store, "ann").value();
    const std::string bob = internal::CustomerKey(*store, "bob").value();
    rocksdb::WriteOptions sync;
    sync.sync = true;
    REQUIRE(db->Put(sync, ids,
                    keys::IdentityKey(IdentityType::kEmail, " Cy@Shop.TEST"),
                    bob)
                .ok());
    // Bob's address in another case, linked to Ann: one of them loses it.
    REQUIRE(db->Put(sync, ids,
                    keys::IdentityKey(IdentityType::kEmail, "BOB@shop.test"),
                    ann)
                .ok());
    REQUIRE(db->Delete(sync, "ckm.identity_rules").ok());
  }
  auto store = OpenStore(dir.path());
  CHECK(store->Resolve(IdentityType::kEmail, "cy@shop.test").value() == "bob");
  CHECK(store->Resolve(IdentityType::kEmail, "Bob@Shop.test").value() == "bob");
  CHECK(store->Resolve(IdentityType::kEmail, "ann@shop.test").value() == "ann");
  std::string value;
  CHECK(internal::Db(*store)
            ->Get(rocksdb::ReadOptions(),
                  internal::Cf(*store, keys::kIdentitiesCf),
                  keys::IdentityKey(IdentityType::kEmail, "BOB@shop.test"),
                  &value)
            .IsNotFound());
  absl::StatusOr<CustomerIdentities> ann = store->Identities("ann");
  REQUIRE_OK(ann);
  REQUIRE(ann->changes.size() == 1);
  CHECK(ann->changes[0].kind == IdentityChange::Kind::kUnlinked);
  CHECK_THAT(
      ann->changes[0].reason,
      Catch::Matchers::StartsWith("identity normalisation: BOB@shop.test"));
  CHECK(store->Identities("bob")->changes.empty());
}

}  // namespace
}  // namespace ckm
