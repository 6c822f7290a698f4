// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Privacy: Export (everything on one customer, recordable again), Erase
// (gone everywhere, down to the bytes of the files, and no replay brings the
// customer back) and reads checked against an access policy.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "catch2/catch.hpp"
#include "ckm/event_json.h"
#include "ckm/identity.h"
#include "ckm/store.h"
#include "codec/json_reader.h"
#include "engine/erase_util.h"
#include "event_gen.h"
#include "sha256.h"
#include "storage/keys.h"
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

TEST_CASE("SHA-256 gives the standard's test vectors") {
  CHECK(Sha256Hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(Sha256Hex(std::string(1'000'000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE(
    "Export holds every event, and recording it into a new store "
    "gives byte-identical profiles") {
  const std::uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  EventGen gen(seed);
  TempDir dir;
  auto a = Store::Open(dir.sub("a"));
  REQUIRE_OK(a);
  REQUIRE_OK((*a)->Record(MakeEvents(gen, 6, 600)));
  auto b = Store::Open(dir.sub("b"));
  REQUIRE_OK(b);
  for (const auto& [id, bytes] : ProfilesById(**a)) {
    absl::StatusOr<std::string> doc = (*a)->Export(id, 1'700'000'000'000);
    REQUIRE_OK(doc);
    absl::StatusOr<json::Value> parsed = json::Parse(*doc);
    REQUIRE_OK(parsed);
    CHECK(parsed->Find("format")->string() == "ckm.export");
    CHECK(parsed->Find("version")->number_text() == "2");
    CHECK(parsed->Find("survivor")->string() == id);
    CHECK(parsed->Find("aliases")->array().empty());
    CHECK(parsed->Find("customer_id")->string() == id);
    CHECK(parsed->Find("profile")->Find("customer_id")->string() == id);
    const json::Value& identities = *parsed->Find("identities");
    REQUIRE(identities.array().size() == 1);
    CHECK(identities.array()[0].Find("value")->string().rfind("secret-", 0) ==
          0);
    // Each consent with its history, whose last entry is the current one.
    for (const json::Value& c : parsed->Find("consents")->array()) {
      const auto& history = c.Find("history")->array();
      REQUIRE(!history.empty());
      CHECK(history.back().Find("granted")->boolean() ==
            c.Find("granted")->boolean());
    }
    absl::StatusOr<std::vector<Event>> events = EventsFromJson(*doc);
    REQUIRE_OK(events);
    HistoryQuery all;
    all.limit = 0;
    CHECK(events->size() == (*a)->History(id, all)->size());
    REQUIRE_OK((*b)->Record(*events));
  }
  CHECK(ProfilesById(**b) == ProfilesById(**a));
  CHECK(absl::IsNotFound((*a)->Export("nobody", 0).status()));
}

TEST_CASE(
    "Erase removes a customer everywhere, down to the files, and "
    "refuses replays of its events") {
  const std::uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  EventGen gen(seed, 6);
  TempDir dir;
  const int kCustomers = 30, kErased = 10;
  const std::vector<Event> events = MakeEvents(gen, kCustomers, 3000);
  std::map<std::string, std::string> before;
  std::map<std::string, std::vector<BreakdownEntry>> breakdowns_before;
  {
    StoreOptions options;
    options.write_buffer_bytes = 64 << 10;  // several files and levels
    auto store = Store::Open(dir.sub("db"), options);
    REQUIRE_OK(store);
    for (std::size_t i = 0; i < events.size(); i += 100) {
      REQUIRE_OK((*store)->Record(absl::MakeConstSpan(events).subspan(i, 100),
                                  {Durability::kBuffered}));
    }
    before = ProfilesById(**store);
    for (int c = kErased; c < kCustomers; ++c) {
      breakdowns_before[Id(c)] =
          *(*store)->Breakdown(Id(c), Dimension::kProduct);
    }
    for (int c = 0; c < kErased; ++c) {
      absl::StatusOr<ErasureResult> r =
          (*store)->Erase(Id(c), "data-subject request");
      REQUIRE_OK(r);
      CHECK(r->identities == 1);
      CHECK(r->events > 0);
      CHECK(absl::IsNotFound((*store)->Get(Id(c)).status()));
      CHECK((*store)->History(Id(c))->empty());
      CHECK((*store)->Breakdown(Id(c), Dimension::kProduct)->empty());
      CHECK(absl::IsNotFound(
          (*store)->Resolve(IdentityType::kEmail, Email(c)).status()));
    }
    CHECK(absl::IsNotFound((*store)->Erase(Id(0), "again").status()));
    std::map<std::string, std::string> after = ProfilesById(**store);
    for (int c = 0; c < kErased; ++c) before.erase(Id(c));
    CHECK(after == before);
    for (int c = kErased; c < kCustomers; ++c) {
      CHECK((*store)->Breakdown(Id(c), Dimension::kProduct)->size() ==
            breakdowns_before[Id(c)].size());
    }
    absl::StatusOr<StoreReport> report = (*store)->VerifyAll();
    REQUIRE_OK(report);
    CHECK(report->ok());
    CHECK(report->customers == kCustomers - kErased);

    absl::StatusOr<std::vector<ErasureEntry>> log = (*store)->Erasures();
    REQUIRE_OK(log);
    REQUIRE(log->size() == kErased);
    CHECK((*log)[0].sequence == 1);
    CHECK((*log)[0].id_hash == keys::ErasedIdHash(Id(0)));
    CHECK((*log)[0].reason == "data-subject request");
  }
  // Closed: no file of the store holds an erased id or email.
  for (int c = 0; c < kErased; ++c) {
    INFO(Id(c));
    CHECK(FilesHolding(dir.sub("db"), Id(c)) == std::vector<std::string>());
    CHECK(FilesHolding(dir.sub("db"), Email(c)) == std::vector<std::string>());
  }
  CHECK(!FilesHolding(dir.sub("db"), Id(kErased)).empty());  // can find

  auto store = Store::Open(dir.sub("db"));
  REQUIRE_OK(store);
  // A replay of every original event: refused, and nothing written.
  for (std::size_t i = 0; i < events.size(); i += 100) {
    const auto batch = absl::MakeConstSpan(events).subspan(i, 100);
    bool names_erased = false;
    for (const Event& e : batch) {
      for (int c = 0; c < kErased; ++c) {
        names_erased |=
            e.customer.id == Id(c) || e.customer.identity_value == Email(c);
      }
    }
    absl::StatusOr<RecordResult> r = (*store)->Record(batch);
    if (names_erased) {  // by id or by identity: both are replays
      CHECK(absl::IsFailedPrecondition(r.status()));
      CHECK(IsErasedReplay(r.status()));
    } else {
      REQUIRE_OK(r);
      CHECK(r->recorded == 0);
    }
  }
  for (int c = 0; c < kErased; ++c)
    CHECK(absl::IsNotFound((*store)->Get(Id(c)).status()));
  CHECK(ProfilesById(**store) == before);
  absl::StatusOr<RecordResult> replay = (*store)->Record(events[1'000]);
  if (events[1'000].customer.id == Id(0)) {
    CHECK_THAT(std::string(replay.status().message()),
               Catch::Contains("was erased"));
    CHECK(IsErasedReplay(replay.status()));
  }
  // Other refusals are not replays of erased data.
  CHECK_FALSE(IsErasedReplay(absl::FailedPreconditionError("merged already")));
  CHECK_FALSE(IsErasedReplay(absl::OkStatus()));
  // By an erased identity: a replay up to the erasure, without naming the
  // identity; after it, an unknown identity as any other.
  Event by_email;
  by_email.id = 2;
  by_email.customer = CustomerRef::ByIdentity(IdentityType::kEmail, Email(1));
  by_email.ts_ms = 1'000'000;
  by_email.body = Consent{"marketing.email", true};
  absl::StatusOr<RecordResult> by_identity = (*store)->Record(by_email);
  CHECK(IsErasedReplay(by_identity.status()));
  CHECK(std::string(by_identity.status().message()).find(Email(1)) ==
        std::string::npos);
  by_email.ts_ms = 253'402'300'799'999;
  by_identity = (*store)->Record(by_email);
  CHECK(absl::IsInvalidArgument(by_identity.status()));
  CHECK_FALSE(IsErasedReplay(by_identity.status()));
  // A genuinely new event, dated after the erasure, starts a new customer.
  Event fresh;
  fresh.id = 1;
  fresh.customer = CustomerRef::Id(Id(0));
  fresh.ts_ms = 253'402'300'799'999;
  fresh.body = Consent{"marketing.email", false};
  REQUIRE_OK((*store)->Record(fresh));
  CHECK((*store)->Get(Id(0))->event_count() == 1);
}

// An erased email address refuses replays naming it; a phone number, from
// a space small enough to hash every value, leaves no tombstone; an
// address linked to someone new leads to them, in a later batch or the
// same one.
TEST_CASE("An erased email address is a replay; relinked, it leads on") {
  TempDir dir;
  auto store = Store::Open(dir.sub("db"));
  REQUIRE_OK(store);
  std::int64_t next_id = 1;
  auto event = [&](CustomerRef who, std::int64_t ts_ms, Event::Body body) {
    Event e;
    e.id = static_cast<std::uint64_t>(next_id++);
    e.customer = std::move(who);
    e.ts_ms = ts_ms;
    e.body = std::move(body);
    return e;
  };
  const std::int64_t day = 86'400'000, t0 = 1'600'000'000'000;
  REQUIRE_OK((*store)->Record(std::vector<Event>{
      event(CustomerRef::Id("ann"), t0,
            Identity{IdentityType::kEmail, "Ann@Example.com"}),
      event(CustomerRef::Id("ann"), t0,
            Identity{IdentityType::kPhone, "+447700900123"}),
      event(CustomerRef::Id("ann"), t0 + day,
            Consent{"marketing.email", true})}));
  REQUIRE_OK((*store)->Erase("ann", "data-subject request"));

  auto by_email = [&](std::int64_t ts_ms) {
    return event(
        CustomerRef::ByIdentity(IdentityType::kEmail, "ann@example.com"), ts_ms,
        Consent{"marketing.sms", true});
  };
  absl::StatusOr<RecordResult> replay = (*store)->Record(by_email(t0 + day));
  CHECK(IsErasedReplay(replay.status()));
  CHECK(std::string(replay.status().message()).find("ann") ==
        std::string::npos);
  absl::StatusOr<RecordResult> by_phone = (*store)->Record(
      event(CustomerRef::ByIdentity(IdentityType::kPhone, "+447700900123"),
            t0 + day, Consent{"marketing.sms", true}));
  CHECK(absl::IsInvalidArgument(by_phone.status()));
  CHECK_FALSE(IsErasedReplay(by_phone.status()));
  // The tombstones themselves, looked up by their keys (ErasedUpTo hashes
  // whatever it is given): the address's, and none for the phone number.
  auto erased_up_to = [&](IdentityType type, const std::string& value) {
    absl::StatusOr<std::optional<std::int64_t>> cutoff =
        (*store)->ErasedUpTo(keys::IdentityKey(type, value));
    REQUIRE_OK(cutoff);
    return *cutoff;
  };
  CHECK(erased_up_to(IdentityType::kEmail, "ann@example.com").has_value());
  CHECK_FALSE(erased_up_to(IdentityType::kPhone, "+447700900123").has_value());

  // Linked to Bob and named in the same batch: Bob's, however dated.
  REQUIRE_OK((*store)->Record(std::vector<Event>{
      event(CustomerRef::Id("bob"), t0,
            Identity{IdentityType::kEmail, "ann@example.com"}),
      by_email(t0 + 2 * day)}));
  // And in a later batch.
  REQUIRE_OK((*store)->Record(by_email(t0 + 3 * day)));
  absl::StatusOr<Profile> bob = (*store)->Get("bob");
  REQUIRE_OK(bob);
  CHECK(bob->event_count() == 3);
  CHECK(absl::IsNotFound((*store)->Get("ann").status()));
}

TEST_CASE("Erase refuses bad input and writes nothing") {
  TempDir dir;
  auto store = Store::Open(dir.sub("db"));
  REQUIRE_OK(store);
  EventGen gen(1);
  REQUIRE_OK((*store)->Record(MakeEvents(gen, 2, 20)));
  const auto before = ProfilesById(**store);
  CHECK(absl::IsNotFound((*store)->Erase("nobody", "r").status()));
  CHECK(absl::IsInvalidArgument((*store)->Erase("", "r").status()));
  CHECK(absl::IsInvalidArgument(
      (*store)->Erase(Id(0), std::string(2000, 'x')).status()));
  CHECK(absl::IsInvalidArgument((*store)->Erase(Id(0), "\xff").status()));
  CHECK(ProfilesById(**store) == before);
  CHECK((*store)->Erasures()->empty());
  // A customer once merged and unmerged is erased alone.
  IdentityChangeOptions change;
  change.reason = "test";
  REQUIRE_OK((*store)->Merge(Id(0), Id(1), change));
  REQUIRE_OK((*store)->Unmerge(Id(0), Id(1), change));
  absl::StatusOr<ErasureResult> alone = (*store)->Erase(Id(1), "r");
  REQUIRE_OK(alone);
  CHECK(alone->customers == 1);
  CHECK(absl::IsNotFound((*store)->Get(Id(1)).status()));
  REQUIRE_OK((*store)->Get(Id(0)));
  store->reset();
  StoreOptions read_only;
  read_only.access = Access::kReadOnly;
  auto ro = Store::Open(dir.sub("db"), read_only);
  REQUIRE_OK(ro);
  CHECK(absl::IsFailedPrecondition((*ro)->Erase(Id(0), "r").status()));
}

TEST_CASE(
    "A crash during Erase leaves the customer, with everyone merged with it, "
    "wholly there or wholly gone, and the next open scrubs the files") {
  const std::uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  EventGen gen(seed, 6);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const int kCustomers = 12;
  const std::vector<Event> events = MakeEvents(gen, kCustomers, 1200);
  // Merged groups: 1 into 0, and the chain 4 -> 3 -> 2. Erasing any of a
  // group erases all of it.
  const std::vector<std::vector<int>> groups = {
      {0, 1}, {2, 3, 4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}};
  std::map<std::string, std::string> before;  // Get(id)'s bytes
  {
    auto store = Store::Open(dir.sub("db"));
    REQUIRE_OK(store);
    REQUIRE_OK((*store)->Record(events));
    IdentityChangeOptions why;
    REQUIRE_OK((*store)->Merge(Id(0), Id(1), why));
    REQUIRE_OK((*store)->Merge(Id(3), Id(4), why));
    REQUIRE_OK((*store)->Merge(Id(2), Id(3), why));
    for (int c = 0; c < kCustomers; ++c)
      before[Id(c)] = std::string((*store)->Get(Id(c))->bytes());
  }
  std::fflush(nullptr);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto store = Store::Open(dir.sub("db"));
    if (!store.ok()) _exit(2);
    // Absorbed customers first, survivors later: each finds its group gone.
    for (int c = kCustomers - 1; c >= 0; --c) {
      const absl::Status s = (*store)->Erase(Id(c), "crash test").status();
      if (!s.ok() && !absl::IsNotFound(s)) _exit(3);
    }
    _exit(0);
  }
  usleep(std::uniform_int_distribution<int>(20'000, 400'000)(rng));
  kill(child, SIGKILL);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO("child status " << status);
  REQUIRE((WIFSIGNALED(status) || WEXITSTATUS(status) == 0));

  std::vector<int> erased;
  {
    auto store = Store::Open(dir.sub("db"));  // finishes any scrub
    REQUIRE_OK(store);
    for (const std::vector<int>& group : groups) {
      const bool there = (*store)->Get(Id(group[0])).ok();
      for (int c : group) {
        INFO(Id(c));
        absl::StatusOr<Profile> p = (*store)->Get(Id(c));
        absl::StatusOr<std::string> owner =
            (*store)->Resolve(IdentityType::kEmail, Email(c));
        if (there) {  // wholly there, every customer of the group
          REQUIRE_OK(p);
          CHECK(std::string(p->bytes()) == before[Id(c)]);
          CHECK(*owner == Id(group[0]));
          CHECK((*store)->Verify(Id(c))->ok());
          CHECK((*store)->Identities(Id(c))->survivor == Id(group[0]));
        } else {  // wholly gone
          CHECK(absl::IsNotFound(p.status()));
          CHECK(absl::IsNotFound(owner.status()));
          CHECK((*store)->History(Id(c))->empty());
          CHECK(absl::IsNotFound((*store)->Identities(Id(c)).status()));
          erased.push_back(c);
        }
      }
    }
    CHECK((*store)->Erasures()->size() == erased.size());
    CHECK((*store)->VerifyAll()->ok());
  }
  for (int c : erased) {
    INFO(Id(c));
    CHECK(FilesHolding(dir.sub("db"), Id(c)) == std::vector<std::string>());
    CHECK(FilesHolding(dir.sub("db"), Email(c)) == std::vector<std::string>());
  }
}

// --- Reads checked against an access policy --------------------------------

struct PolicyFixture {
  PolicyFixture() {
    AccessPolicy policy;
    policy.roles["agent"] = {DataPart::kIdentities, DataPart::kPersonal,
                             DataPart::kInteractionText,
                             DataPart::kPurchaseLines};
    policy.roles["analyst"] = {DataPart::kDemographic,
                               DataPart::kPurchaseLines};
    policy.roles[""] = {DataPart::kPurchaseLines};
    policy.consent_purposes = {"marketing.email"};
    StoreOptions options;
    options.access_policy = policy;
    auto opened = Store::Open(dir.sub("db"), options);
    REQUIRE_OK(opened);
    store = *std::move(opened);
    std::vector<Event> events;
    auto add = [&](std::string customer, std::int64_t ts, Event::Body body) {
      Event e;
      e.id = static_cast<std::uint64_t>(events.size() + 1);
      e.customer = CustomerRef::Id(customer);
      e.ts_ms = ts;
      e.body = std::move(body);
      events.push_back(std::move(e));
    };
    add("c1", 1000, Identity{IdentityType::kEmail, "c1@x.org"});
    add("c1", 1001, Attribute{"personal.first_name", std::string("Ann")});
    add("c1", 1002, Attribute{"demographic.age_band", std::string("30-39")});
    Interaction call;
    call.kind = InteractionKind::kSupport;
    call.text = "lost my card";
    add("c1", 1003, call);
    Purchase p;
    p.currency = "GBP";
    p.lines.push_back({"tea", "drinks", 1, 1'000'000});
    add("c1", 1004, p);
    add("c2", 1000, Consent{"marketing.email", true});
    add("c2", 1001, Attribute{"personal.first_name", std::string("Bo")});
    add("c3", 1000, Consent{"marketing.email", true});
    add("c3", 1001, Consent{"marketing.email", false});
    add("c3", 1002, Attribute{"personal.first_name", std::string("Cy")});
    REQUIRE_OK(store->Record(events));
  }
  TempDir dir;
  std::unique_ptr<Store> store;
};

// Each row's key and figures, comparable.
std::vector<std::pair<std::string, std::vector<std::int64_t>>> Rows(
    const std::vector<BreakdownEntry>& entries) {
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
  for (const BreakdownEntry& e : entries) {
    out.emplace_back(e.key, std::vector<std::int64_t>{
                                e.orders, e.returns, e.units, e.returned_units,
                                e.last_purchase_ms.value_or(-1)});
  }
  return out;
}

TEST_CASE("Without a policy, reads with any context see everything") {
  TempDir dir;
  auto store = Store::Open(dir.sub("db"));
  REQUIRE_OK(store);
  EventGen gen(5);
  REQUIRE_OK((*store)->Record(MakeEvents(gen, 3, 200)));
  const ReadOptions context{"marketing.email", "nobody"};
  for (int c = 0; c < 3; ++c) {
    absl::StatusOr<Profile> plain = (*store)->Get(Id(c));
    absl::StatusOr<Profile> checked = (*store)->Get(Id(c), context);
    REQUIRE_OK(checked);
    CHECK(checked->bytes() == plain->bytes());
    CHECK(checked->redacted().empty());
    CHECK(checked->ToJson(0) == plain->ToJson(0));
    CHECK(*(*store)->History(Id(c), {}, context) == *(*store)->History(Id(c)));
    CHECK(*(*store)->Timeline(Id(c), {}, 0, context) ==
          *(*store)->Timeline(Id(c), {}, 0));
    CHECK_OK((*store)->Export(Id(c), 0, context));
    for (Dimension d :
         {Dimension::kProduct, Dimension::kStore, Dimension::kCategory}) {
      CHECK(Rows(*(*store)->Breakdown(Id(c), d, context)) ==
            Rows(*(*store)->Breakdown(Id(c), d)));
    }
  }
}

TEST_CASE("A policy redacts what a role may not see, visibly") {
  PolicyFixture f;
  absl::StatusOr<Profile> agent = f.store->Get("c1", {"", "agent"});
  REQUIRE_OK(agent);
  CHECK(agent->attribute("personal.first_name").has_value());
  CHECK(!agent->attribute("demographic.age_band").has_value());
  CHECK(agent->identities().size() == 1);
  CHECK(agent->redacted() == std::vector<DataPart>{DataPart::kDemographic,
                                                   DataPart::kPsychographic,
                                                   DataPart::kCustom});
  CHECK_THAT(agent->ToJson(0),
             Catch::Contains(
                 R"("redacted":["demographic","psychographic","custom"])"));

  absl::StatusOr<Profile> analyst = f.store->Get("c1", {"", "analyst"});
  REQUIRE_OK(analyst);
  CHECK(!analyst->attribute("personal.first_name").has_value());
  CHECK(analyst->attribute("demographic.age_band").has_value());
  CHECK(analyst->identities().empty());
  CHECK(analyst->purchases().orders == 1);  // aggregates stay

  HistoryQuery all;
  all.limit = 0;
  absl::StatusOr<Events> events = f.store->History("c1", all, {"", "analyst"});
  REQUIRE_OK(events);
  REQUIRE(events->size() == 5);
  for (const Event& e : *events) {
    if (const auto* a = std::get_if<Attribute>(&e.body)) {
      CHECK((a->key == "personal.first_name") ==
            (a->value == AttributeValue(std::string(kRedacted))));
    }
    if (const auto* i = std::get_if<Interaction>(&e.body))
      CHECK(i->text == kRedacted);
    if (const auto* link = std::get_if<Identity>(&e.body))
      CHECK(link->value == kRedacted);
    if (const auto* p = std::get_if<Purchase>(&e.body))
      CHECK(p->lines[0].sku == "tea");
  }
  // Asked for by name: refused, not redacted.
  HistoryQuery identities;
  identities.kind = EventKind::kIdentity;
  CHECK(absl::IsPermissionDenied(
      f.store->History("c1", identities, {"", "analyst"}).status()));
  CHECK(absl::IsPermissionDenied(
      f.store->Resolve(IdentityType::kEmail, "c1@x.org").status()));
  CHECK(*f.store->Resolve(IdentityType::kEmail, "c1@x.org", {"", "agent"}) ==
        "c1");
  CHECK(absl::IsPermissionDenied(
      f.store->Export("c1", 0, {"", "analyst"}).status()));
  CHECK(
      absl::IsPermissionDenied(f.store->Get("c1", {"", "intruder"}).status()));
  CHECK(absl::IsPermissionDenied(
      f.store->Get("nobody", {"", "intruder"}).status()));
  // The default context is role "": purchase lines only.
  CHECK(f.store->Get("c1")->redacted().size() == 6);
  CHECK_OK(f.store->Breakdown("c1", Dimension::kProduct));
  // Writes are not reads: recording by identity still resolves it.
  Event by_email;
  by_email.id = 77;
  by_email.customer = CustomerRef::ByIdentity(IdentityType::kEmail, "c1@x.org");
  by_email.ts_ms = 5000;
  by_email.body = Consent{"marketing.sms", true};
  CHECK_OK(f.store->Record(by_email));
}

TEST_CASE(
    "A purpose that needs consent redacts the personal parts of "
    "customers who have not granted it") {
  PolicyFixture f;
  const ReadOptions marketing{"marketing.email", "agent"};
  // c1: no consent; c2: granted; c3: granted, then withdrawn.
  for (const char* id : {"c1", "c3"}) {
    absl::StatusOr<Profile> p = f.store->Get(id, marketing);
    REQUIRE_OK(p);
    CHECK(!p->attribute("personal.first_name").has_value());
    CHECK(p->identities().empty());
    CHECK(p->redacted().size() == 6);  // every part but purchase lines
    CHECK(absl::IsPermissionDenied(f.store->Export(id, 0, marketing).status()));
  }
  absl::StatusOr<Profile> c2 = f.store->Get("c2", marketing);
  REQUIRE_OK(c2);
  CHECK(c2->attribute("personal.first_name")->value ==
        AttributeValue(std::string("Bo")));
  absl::StatusOr<Events> c3 = f.store->History("c3", {}, marketing);
  REQUIRE_OK(c3);
  CHECK(std::get<Attribute>((*c3)[0].body).value ==
        AttributeValue(std::string(kRedacted)));
  // ForEachProfile applies the same rules to each customer.
  std::map<std::string, std::size_t> redacted;
  REQUIRE_OK(f.store->ForEachProfile(
      [&](const Profile& p) {
        redacted[std::string(p.customer_id())] = p.redacted().size();
        return true;
      },
      marketing));
  CHECK(redacted ==
        std::map<std::string, std::size_t>{{"c1", 6}, {"c2", 3}, {"c3", 6}});
  // A purpose the policy does not list is not checked for consent.
  CHECK(f.store->Get("c1", {"service", "agent"})->identities().size() == 1);
}

TEST_CASE(
    "Breakdown with an access context: per-product and per-category rows "
    "need purchase lines, per-store rows any role that may read") {
  AccessPolicy policy;
  policy.roles["buyer"] = {DataPart::kPurchaseLines};
  policy.roles["viewer"] = {};  // figures only
  policy.consent_purposes = {"marketing.email"};
  StoreOptions options;
  options.access_policy = policy;
  TempDir dir;
  auto store = Store::Open(dir.sub("db"), options);
  REQUIRE_OK(store);
  Event order;
  order.id = 1;
  order.customer = CustomerRef::Id("c1");
  order.ts_ms = 1000;
  Purchase p;
  p.currency = "GBP";
  p.store = "s1";
  p.lines.push_back({"tea", "drinks", 1, 1'000'000});
  order.body = p;
  REQUIRE_OK((*store)->Record(order));
  const auto rows = [&](Dimension d, const ReadOptions& read) {
    return (*store)->Breakdown("c1", d, read);
  };

  // A role with purchase lines sees every dimension, whatever the purpose:
  // c1 never consented to marketing.email, and purchase lines are not a
  // personal part.
  for (const ReadOptions& read :
       {ReadOptions{"", "buyer"}, ReadOptions{"marketing.email", "buyer"}}) {
    REQUIRE_OK(rows(Dimension::kProduct, read));
    CHECK(rows(Dimension::kProduct, read)->at(0).key == "tea");
    CHECK(rows(Dimension::kCategory, read)->at(0).key == "drinks");
    CHECK(rows(Dimension::kStore, read)->at(0).key == "s1");
  }
  // Without them: products and categories refused by name, stores seen.
  const ReadOptions viewer{"", "viewer"};
  for (Dimension d : {Dimension::kProduct, Dimension::kCategory}) {
    const absl::Status s = rows(d, viewer).status();
    CHECK(absl::IsPermissionDenied(s));
    CHECK_THAT(std::string(s.message()), Catch::Contains("purchase_lines"));
  }
  REQUIRE_OK(rows(Dimension::kStore, viewer));
  CHECK(rows(Dimension::kStore, viewer)->size() == 1);
  // A role the policy does not name reads nothing, not even whether the
  // customer exists; nor does the default context (role "", not named).
  for (Dimension d :
       {Dimension::kProduct, Dimension::kStore, Dimension::kCategory}) {
    CHECK(absl::IsPermissionDenied(rows(d, {"", "intruder"}).status()));
    CHECK(absl::IsPermissionDenied(
        (*store)->Breakdown("nobody", d, {"", "intruder"}).status()));
    CHECK(absl::IsPermissionDenied((*store)->Breakdown("c1", d).status()));
  }
  // Bad input is InvalidArgument before any policy check.
  CHECK(absl::IsInvalidArgument(
      (*store)->Breakdown("", Dimension::kStore, {"", "buyer"}).status()));
  CHECK(absl::IsInvalidArgument(
      (*store)
          ->Breakdown("c1", static_cast<Dimension>(99), {"", "intruder"})
          .status()));
  // An unknown customer has no rows, as without a policy.
  CHECK((*store)
            ->Breakdown("nobody", Dimension::kProduct, {"", "buyer"})
            ->empty());
}

}  // namespace
}  // namespace ckm
