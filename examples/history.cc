// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// History: record a customer's identity, attributes, orders, a return and a
// complaint, read the profile, list the events with Timeline() and History()
// and show the per-product Breakdown().
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ckm/money.h"
#include "ckm/store.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << status << "\n";
  return 1;
}

std::string Iso(std::int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms),
                          absl::UTCTimeZone());
}

constexpr std::int64_t kDay = 86'400'000;

}  // namespace

int main(int argc, char** argv) {
  auto store = ckm::Store::Open(argc > 1 ? argv[1] : "/tmp/ckm-history");
  if (!store.ok()) return Fail(store.status());
  const std::int64_t t = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

  // [snippet:identity]
  const auto ada = ckm::CustomerRef::Id("c-2002");
  const std::vector<ckm::Event> signup = {
      {10, ada, t, "signup",
       ckm::Identity{ckm::IdentityType::kEmail, "ada@example.com"}},
      {11, ada, t, "signup",
       ckm::Attribute{"personal.first_name", std::string("Ada")}},
      {12, ada, t, "signup",
       ckm::Consent{"marketing.email", /*granted=*/true}}};
  auto recorded = (*store)->Record(signup);
  if (!recorded.ok()) return Fail(recorded.status());

  // Later events may name the customer by the linked email instead of its id.
  const auto by_email = ckm::CustomerRef::ByIdentity(ckm::IdentityType::kEmail,
                                                     "ada@example.com");
  ckm::Purchase order{"o-100", "GBP", ckm::Channel::kWeb, "web-uk"};
  order.lines = {{"tea-earl-grey", "tea", 3, 4'500'000},
                 {"mug-white", "homeware", 1, 8'990'000}};
  recorded = (*store)->Record(ckm::Event{20, by_email, t + kDay, "web", order});
  if (!recorded.ok()) return Fail(recorded.status());
  // [end]

  // A second order in a shop, a partial return and a complaint.
  ckm::Purchase second{"o-101", "GBP", ckm::Channel::kInStore, "leeds-02"};
  second.lines = {{"tea-earl-grey", "tea", 2, 4'500'000}};
  ckm::Purchase refund{"o-101-r", "GBP", ckm::Channel::kInStore, "leeds-02"};
  refund.lines = {{"tea-earl-grey", "tea", -1, 4'500'000}};
  ckm::Interaction complaint{ckm::Channel::kChat,
                             ckm::InteractionKind::kComplaint, "damaged tin"};
  complaint.sentiment = -40;
  const std::vector<ckm::Event> later = {
      {21, ada, t + 8 * kDay, "pos-leeds-02", second},
      {22, ada, t + 9 * kDay, "pos-leeds-02", refund},
      {30, ada, t + 9 * kDay, "chat", complaint}};
  recorded = (*store)->Record(later);
  if (!recorded.ok()) return Fail(recorded.status());

  // [snippet:timeline]
  // Every kind of event, newest first, at most 100 (the default limit).
  auto timeline = (*store)->Timeline("c-2002");
  if (!timeline.ok()) return Fail(timeline.status());
  for (const ckm::Event& e : *timeline) {
    std::cout << Iso(e.ts_ms) << "  " << ckm::ToString(e.kind()) << "  #"
              << e.id << "  from " << e.source << "\n";
  }
  // [end]

  // [snippet:history]
  ckm::HistoryQuery query;
  query.kind = ckm::EventKind::kPurchase;
  query.range = {t, t + 30 * kDay};  // [since_ms, until_ms)
  query.newest_first = false;
  auto purchases = (*store)->History("c-2002", query);
  if (!purchases.ok()) return Fail(purchases.status());
  for (const ckm::Event& e : *purchases) {
    const auto& p = std::get<ckm::Purchase>(e.body);
    std::cout << Iso(e.ts_ms) << "  order " << p.order_id << "  "
              << p.lines.size() << " line(s) at " << p.store << "\n";
  }
  // [end]

  // [snippet:breakdown]
  auto products = (*store)->Breakdown("c-2002", ckm::Dimension::kProduct);
  if (!products.ok()) return Fail(products.status());
  for (const ckm::BreakdownEntry& p : *products) {
    std::cout << p.key << ": " << p.orders << " orders, " << p.units
              << " units, " << p.returned_units << " returned";
    for (const ckm::BreakdownMoney& m : p.money) {
      std::cout << ", net " << ckm::FormatMicros(m.net_micros()) << " "
                << m.currency;
    }
    if (auto interval = p.mean_interval_ms()) {
      std::cout << ", every " << *interval / kDay << " days";
    }
    std::cout << "\n";
  }
  // [end]

  // [snippet:read]
  absl::StatusOr<ckm::Profile> profile = (*store)->Get("c-2002");
  if (!profile.ok()) return Fail(profile.status());
  if (std::optional<ckm::AttributeState> name =
          profile->attribute("personal.first_name")) {
    std::cout << "first name: " << std::get<std::string>(name->value)
              << " (set by " << name->source << " at " << Iso(name->ts_ms)
              << ")\n";
  }
  std::optional<ckm::ConsentState> email = profile->consent("marketing.email");
  std::cout << "email marketing: " << (email && email->granted ? "yes" : "no")
            << "\n";
  const ckm::PurchaseSummary purchases_so_far = profile->purchases();
  for (const ckm::CurrencyTotals& c : purchases_so_far.by_currency) {
    std::cout << c.currency << ": " << c.orders << " orders, gross "
              << ckm::FormatMicros(c.gross_micros) << ", returned "
              << ckm::FormatMicros(c.returned_micros) << ", net "
              << ckm::FormatMicros(c.net_micros()) << "\n";
  }
  // Derived at read time from the stored sums; nullopt when undefined.
  const std::int64_t now_ms = t + 30 * kDay;
  if (auto interval = profile->mean_interpurchase_ms()) {
    std::cout << "buys every " << *interval / kDay << " days; next around "
              << Iso(*profile->expected_next_purchase_ms()) << "\n";
  }
  if (auto recency = profile->recency_ms(now_ms)) {
    std::cout << "last order " << *recency / kDay << " days ago\n";
  }
  if (auto sentiment = profile->average_sentiment()) {
    std::cout << "average sentiment " << *sentiment << "\n";
  }
  if (profile->corrupt_operands() > 0) {
    std::cerr << "profile is incomplete: run Verify() and Rebuild()\n";
  }
  // [end]

  // The identity resolves to the customer id it was linked to.
  auto id = (*store)->Resolve(ckm::IdentityType::kEmail, "ada@example.com");
  if (!id.ok()) return Fail(id.status());
  std::cout << "ada@example.com -> " << *id << "\n";
  return *id == "c-2002" && timeline->size() == 7 && purchases->size() == 3 ? 0
                                                                            : 1;
}
