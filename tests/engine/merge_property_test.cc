// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The laws of identity resolution, on random histories: events (new ones
// and retries, named by customer id or by email), merges, unmerges, unlinks
// and relinks, reopenings and flushes, in random order and batch splits.
//
// An event belongs to the customer it named (by id, or through the email it
// named, as linked when it was recorded), and is that customer's once,
// however often it is retried. Under the final merge links, every root's
// stored profile must be, byte for byte, the fold of the events of every
// customer merged into it, and Verify must find its breakdowns to be their
// fold. The model below computes that from the events alone.

#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "fold/fold.h"
#include "test_util.h"

namespace ckm {
namespace {

// Cases share stores (each case its own customers), kCasesPerStore each:
// opening a store costs more than a case.
constexpr int kCases = 1000;
constexpr int kCasesPerStore = 50;
constexpr int kCustomers = 5;
constexpr int kSteps = 12;

// What the store should hold.
class Model {
 public:
  using Name = std::tuple<std::string, int, std::int64_t, std::uint64_t>;

  std::string Root(std::string c) const {
    for (auto it = parent_.find(c); it != parent_.end(); it = parent_.find(c))
      c = it->second;
    return c;
  }
  bool IsAncestor(const std::string& a, std::string c) const {
    for (auto it = parent_.find(c); it != parent_.end(); it = parent_.find(c)) {
      c = it->second;
      if (c == a) return true;
    }
    return false;
  }
  // Whose event an event naming `ref` is; empty if it names nobody.
  std::string Own(const CustomerRef& ref) const {
    if (!ref.identity_type) return ref.id;
    const auto it = email_owner_.find(ref.identity_value);
    return it == email_owner_.end() ? std::string() : it->second;
  }
  // Adds an event; false if its customer already has it.
  bool Add(const std::string& own, const Event& e) {
    const Name name{own, static_cast<int>(e.kind()), e.ts_ms, e.id};
    if (!events_.emplace(name, e).second) return false;
    if (const auto* link = std::get_if<Identity>(&e.body))
      email_owner_.emplace(link->value, own);
    return true;
  }
  void Merge(const std::string& survivor, const std::string& absorbed) {
    parent_[absorbed] = survivor;
  }
  void Unmerge(const std::string& absorbed) { parent_.erase(absorbed); }
  const std::map<std::string, std::string>& parent() const { return parent_; }
  void Unlink(const std::string& email) { email_owner_.erase(email); }
  bool Linked(const std::string& email) const {
    return email_owner_.count(email) > 0;
  }

  // The profile `root` should have: the fold of its group's events.
  std::string Expected(const std::string& root) const {
    fold::ProfileState profile;
    fold::Breakdowns breakdowns;
    for (const auto& [name, e] : events_) {
      if (Root(std::get<0>(name)) != root) continue;
      fold::Join(profile, fold::DeltaOf(e, root));
      fold::Join(breakdowns, fold::BreakdownsOf(e));
    }
    profile.purchases.distinct_products = fold::OrderedProducts(breakdowns);
    return fold::Encode(profile);
  }
  bool Known(const std::string& c) const {
    for (const auto& [name, e] : events_)
      if (std::get<0>(name) == c) return true;
    return false;
  }

 private:
  std::map<Name, Event> events_;
  std::map<std::string, std::string> parent_;
  std::map<std::string, std::string> email_owner_;
};

// The store the cases share, reopened now and then.
class SharedStore {
 public:
  explicit SharedStore(std::string path) : path_(std::move(path)) { Reopen(0); }
  void Reopen(int variant) {
    store_.reset();
    StoreOptions options;
    options.durability = Durability::kBuffered;
    options.identity.max_merged_customers = 0;
    options.identity.max_identities_per_type = 0;
    // A small buffer: some customers' breakdowns wait in memory.
    options.breakdowns_buffer_bytes = variant % 2 == 0 ? 0 : 4096;
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_, options);
    REQUIRE_OK(store);
    store_ = *std::move(store);
  }
  Store& operator*() { return *store_; }
  Store* operator->() { return store_.get(); }

 private:
  std::string path_;
  std::unique_ptr<Store> store_;
};

class Scenario {
 public:
  Scenario(std::uint64_t seed, int case_number, SharedStore& store)
      : rng_(seed),
        gen_(seed, kCustomers),
        prefix_("k" + std::to_string(case_number) + "-"),
        store_(store) {}

  void Run() {
    std::vector<Event> links;
    for (int c = 0; c < kCustomers; ++c)
      links.push_back(Link(Cust(c), Email(c)));
    RecordChecked(links);
    for (int step = 0; step < kSteps; ++step) {
      switch (Pick(10)) {
        case 0:
        case 1:
          DoMerge();
          break;
        case 2:
          DoUnmerge();
          break;
        case 3:
          DoUnlink();
          break;
        case 4:
          if (Pick(10) == 0) Reopen();  // rare: opening costs most
          if (Pick(2) == 0) REQUIRE_OK(store_->Flush());
          break;
        default:
          DoRecord();
          break;
      }
    }
    Check();
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string Cust(int c) const { return prefix_ + "c" + std::to_string(c); }
  std::string Email(int c) const { return Cust(c) + "@shop.test"; }
  void Reopen() { store_.Reopen(Pick(2)); }

  Event Link(const std::string& customer, const std::string& email) {
    Event e;
    e.id = 1'000'000 + next_link_++;
    e.customer = CustomerRef::Id(customer);
    e.ts_ms = 1'600'000'000'000 + Pick(20) * 60'000;
    e.body = Identity{IdentityType::kEmail, email};
    return e;
  }

  // Records the batch and checks the counts against the model.
  void RecordChecked(const std::vector<Event>& batch) {
    std::size_t fresh = 0;
    for (const Event& e : batch) {
      const std::string own = model_.Own(e.customer);
      REQUIRE_FALSE(own.empty());
      if (model_.Add(own, e)) ++fresh;
      sent_.push_back(e);
    }
    absl::StatusOr<RecordResult> r = store_->Record(batch);
    REQUIRE_OK(r);
    CHECK(r->recorded == fresh);
    CHECK(r->already_recorded == batch.size() - fresh);
  }

  void DoRecord() {
    std::vector<Event> batch;
    const int n = 1 + Pick(6);
    for (int k = 0; k < n; ++k) {
      if (!sent_.empty() && Pick(4) == 0) {  // a retry, as first sent
        const Event& again = sent_[Pick(static_cast<int>(sent_.size()))];
        if (!model_.Own(again.customer).empty()) batch.push_back(again);
        continue;
      }
      Event e = gen_.Next();
      const int c = Pick(kCustomers);
      e.customer = CustomerRef::Id(Cust(c));
      if (Pick(3) == 0 && model_.Linked(Email(c))) {
        e.customer = CustomerRef::ByIdentity(IdentityType::kEmail, Email(c));
      }
      batch.push_back(e);
    }
    // An event linking an email in the same batch as an event naming it
    // by that email is fine; the model applies them in order.
    if (!batch.empty()) RecordChecked(batch);
  }

  void DoMerge() {
    const std::string s = Cust(Pick(kCustomers));
    const std::string a = Cust(Pick(kCustomers));
    if (s == a) return;
    IdentityChangeOptions why;
    why.reason = "property test";
    const absl::Status st = store_->Merge(s, a, why);
    const std::string rs = model_.Root(s), ra = model_.Root(a);
    if (rs == ra) {
      // Already merged: fine only as the same request again.
      const bool again = ra != a && rs == s;
      CHECK(st.ok() == again);
      if (!again) CHECK(absl::IsFailedPrecondition(st));
    } else if (ra != a) {
      CHECK(absl::IsFailedPrecondition(st));
    } else {
      REQUIRE_OK(st);
      model_.Merge(s, a);
    }
  }

  void DoUnmerge() {
    const std::string a = Cust(Pick(kCustomers));
    const std::string s = Cust(Pick(kCustomers));
    const absl::Status st = store_->Unmerge(s, a);
    if (model_.IsAncestor(s, a)) {
      REQUIRE_OK(st);
      model_.Unmerge(a);
    } else {
      CHECK(absl::IsFailedPrecondition(st));
    }
  }

  void DoUnlink() {
    const int c = Pick(kCustomers);
    const absl::Status st = store_->Unlink(IdentityType::kEmail, Email(c));
    if (!model_.Linked(Email(c))) {
      CHECK(absl::IsNotFound(st));
    } else {
      REQUIRE_OK(st);
      model_.Unlink(Email(c));
    }
    if (Pick(2) == 0 && !model_.Linked(Email(c)))  // relink, maybe elsewhere
      RecordChecked({Link(Cust(Pick(kCustomers)), Email(c))});
  }

  void Check() {
    if (Pick(10) == 0) Reopen();
    for (int c = 0; c < kCustomers; ++c) {
      const std::string id = Cust(c);
      INFO("customer " << id << ", root " << model_.Root(id));
      absl::StatusOr<Profile> got = store_->Get(id);
      REQUIRE_OK(got);
      CHECK(got->bytes() == model_.Expected(model_.Root(id)));
      absl::StatusOr<CustomerReport> report = store_->Verify(id);
      REQUIRE_OK(report);
      CHECK(report->ok());
      if (model_.Linked(Email(c))) {
        CHECK(store_->Resolve(IdentityType::kEmail, Email(c)).value() ==
              model_.Root(model_.Own(
                  CustomerRef::ByIdentity(IdentityType::kEmail, Email(c)))));
      }
    }
  }

  std::mt19937_64 rng_;
  ckm_test::EventGen gen_;
  std::string prefix_;
  SharedStore& store_;
  Model model_;
  std::vector<Event> sent_;
  int next_link_ = 0;
};

TEST_CASE(
    "Under any mix of events, retries, merges, unmerges and unlinks, each "
    "profile is the fold of the events that belong to its group") {
  const std::uint64_t base = std::random_device()();
  for (int first = 0; first < kCases; first += kCasesPerStore) {
    ckm_test::TempDir dir = ckm_test::TempDir::InMemory();
    SharedStore store(dir.path());
    for (int i = first; i < first + kCasesPerStore; ++i) {
      const std::uint64_t seed = base + i;
      INFO("seed " << seed << " (case " << i << ")");
      Scenario(seed, i, store).Run();
    }
    absl::StatusOr<StoreReport> all = store->VerifyAll();
    REQUIRE_OK(all);
    CHECK(all->damaged == 0);
  }
}

// The law the merge promises most plainly: events of two customers,
// recorded in any order with the merge anywhere among them, leave the
// survivor with the profile that recording them all as its own gives.
TEST_CASE(
    "A merge anywhere among the events gives the profile of one customer") {
  const std::uint64_t base = std::random_device()();
  ckm_test::TempDir dir = ckm_test::TempDir::InMemory();
  StoreOptions options;
  options.durability = Durability::kBuffered;
  auto two = Store::Open(dir.sub("two"), options);
  auto one = Store::Open(dir.sub("one"), options);
  REQUIRE_OK(two);
  REQUIRE_OK(one);
  for (int i = 0; i < 200; ++i) {
    const std::uint64_t seed = base + i;
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    // Each case its own two customers, with distinct event ids.
    const std::string a = "a" + std::to_string(i), b = "b" + std::to_string(i);
    ckm_test::EventGen gen(seed, 2);
    std::vector<Event> events = gen.Events(30);
    for (Event& e : events)
      e.customer = CustomerRef::Id(e.customer.id == "cust-0" ? a : b);
    std::shuffle(events.begin(), events.end(), rng);
    const std::size_t merge_at = rng() % (events.size() + 1);
    // Both customers exist before the merge.
    REQUIRE_OK((*two)->Record(
        Event{9'000, CustomerRef::Id(a), 1, "", Consent{"x", true}}));
    REQUIRE_OK((*two)->Record(
        Event{9'001, CustomerRef::Id(b), 1, "", Consent{"x", true}}));
    std::size_t k = 0;
    while (k < events.size()) {
      if (k == merge_at) REQUIRE_OK((*two)->Merge(b, a));
      const std::size_t n =
          std::min<std::size_t>(1 + rng() % 5, events.size() - k);
      if (k < merge_at && k + n > merge_at) {  // stop at the merge
        REQUIRE_OK(
            (*two)->Record(absl::MakeConstSpan(&events[k], merge_at - k)));
        k = merge_at;
        continue;
      }
      REQUIRE_OK((*two)->Record(absl::MakeConstSpan(&events[k], n)));
      k += n;
    }
    if (merge_at == events.size()) REQUIRE_OK((*two)->Merge(b, a));
    for (Event& e : events) e.customer = CustomerRef::Id(b);
    events.push_back(
        Event{9'000, CustomerRef::Id(b), 1, "", Consent{"x", true}});
    events.push_back(
        Event{9'001, CustomerRef::Id(b), 1, "", Consent{"x", true}});
    std::shuffle(events.begin(), events.end(), rng);
    REQUIRE_OK((*one)->Record(events));
    CHECK((*two)->Get(b)->bytes() == (*one)->Get(b)->bytes());
    CHECK((*two)->Get(a)->bytes() == (*one)->Get(b)->bytes());
  }
}

}  // namespace
}  // namespace ckm
