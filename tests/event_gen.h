// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Random valid events of every kind, for property tests. Deterministic for a
// seed. Events get distinct ids, and times collide on purpose (ties in the
// last-writer-wins registers are resolved by event id).

#ifndef CKM_TESTS_EVENT_GEN_H_
#define CKM_TESTS_EVENT_GEN_H_

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "ckm/event.h"

namespace ckm_test {

class EventGen {
 public:
  explicit EventGen(std::uint64_t seed, int customers = 3)
      : rng_(seed), customers_(customers) {}

  std::vector<ckm::Event> Events(int n) {
    std::vector<ckm::Event> out;
    for (int i = 0; i < n; ++i) out.push_back(Next());
    return out;
  }

  ckm::Event Next() {
    ckm::Event e;
    e.id = ++next_id_ * 7919;  // distinct, not in time order
    e.customer =
        ckm::CustomerRef::Id("cust-" + std::to_string(Pick(customers_)));
    // Few distinct times, so registers see equal timestamps.
    e.ts_ms = 1'600'000'000'000 + Pick(20) * 60'000;
    e.source = Pick(3) == 0 ? "" : "pos-" + std::to_string(Pick(4));
    switch (Pick(6)) {
      case 0:
      case 1:
        e.body = RandomPurchase();
        break;
      case 2:
        e.body = RandomInteraction();
        break;
      case 3:
        e.body = RandomLoyalty();
        break;
      case 4:
        e.body = RandomAttribute();
        break;
      default:
        e.body = ckm::Consent{Pick(2) ? "marketing.email" : "marketing.sms",
                              Pick(2) == 0};
        break;
    }
    return e;
  }

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::mt19937_64& rng() { return rng_; }

 private:
  ckm::Purchase RandomPurchase() {
    ckm::Purchase p;
    p.order_id = "o" + std::to_string(next_id_);
    p.currency = Pick(4) == 0 ? "EUR" : "GBP";
    p.channel = static_cast<ckm::Channel>(Pick(ckm::kChannelCount));
    p.store = Pick(3) == 0 ? "" : "store-" + std::to_string(Pick(3));
    const int lines = Pick(4);
    std::int64_t total = 0, paid = 0;
    for (int i = 0; i < lines; ++i) {
      ckm::PurchaseLine line = RandomLine();
      const std::int64_t amount = line.amount_micros();
      const std::int64_t after =
          (amount < 0 ? -amount : amount) - line.discount_micros;
      total += line.quantity > 0 ? after : -after;
      if (line.quantity > 0) paid += after;
      p.lines.push_back(line);
    }
    if (paid > 0 && Pick(5) == 0) p.discount_micros = Pick(1 + paid / 2);
    total -= p.discount_micros;
    if (lines == 0) {
      p.total_micros =
          (Pick(4) == 0 ? -1 : 1) * (1 + std::int64_t{Pick(1'000'000)});
      if (*p.total_micros > 0 && Pick(5) == 0)
        p.discount_micros = Pick(100'000);
    } else if (Pick(2) == 0) {
      p.total_micros = total;
    }
    return p;
  }

  // A line priced per unit, or with a line total of its own ("3 for 10"),
  // sometimes with a discount.
  ckm::PurchaseLine RandomLine() {
    ckm::PurchaseLine line;
    line.sku = Pick(5) == 0 ? "" : "sku-" + std::to_string(Pick(6));
    line.category = Pick(4) == 0 ? "" : "cat-" + std::to_string(Pick(3));
    line.quantity = Pick(5) == 0 ? -(1 + Pick(3)) : 1 + Pick(10);
    line.unit_price_micros = std::int64_t{Pick(100'000)} * 1'000 + Pick(3);
    if (Pick(4) == 0) {
      const std::int64_t total =
          line.quantity * (std::int64_t{Pick(100'000)} * 1'000 + Pick(7));
      line.line_total_micros = total;
      line.unit_price_micros = Pick(2) ? 0 : std::llabs(total / line.quantity);
    }
    if (Pick(4) == 0) {
      const std::int64_t amount = std::llabs(line.amount_micros());
      line.discount_micros =
          amount == 0
              ? 0
              : std::uniform_int_distribution<std::int64_t>(0, amount)(rng_);
    }
    return line;
  }

  ckm::Interaction RandomInteraction() {
    ckm::Interaction i;
    i.channel = static_cast<ckm::Channel>(Pick(ckm::kChannelCount));
    i.kind = static_cast<ckm::InteractionKind>(1 + Pick(6));
    i.topic = Pick(2) ? "billing" : "delivery";
    i.agent = "agent-" + std::to_string(Pick(3));
    i.duration_s = Pick(600);
    if (Pick(2)) i.sentiment = Pick(201) - 100;
    if (Pick(2)) i.rating = Pick(11);
    if (Pick(3) == 0) i.text = "text \"quoted\"\n" + std::to_string(Pick(100));
    return i;
  }

  ckm::Loyalty RandomLoyalty() {
    ckm::Loyalty l;
    l.program = Pick(2) ? "stars" : "";
    switch (Pick(6)) {
      case 0:
        l.kind = ckm::LoyaltyKind::kEnroll;
        if (Pick(2)) l.tier = "bronze";
        break;
      case 1:
        l.kind = ckm::LoyaltyKind::kEarn;
        l.points = 1 + Pick(1000);
        break;
      case 2:
        l.kind = ckm::LoyaltyKind::kRedeem;
        l.points = 1 + Pick(500);
        break;
      case 3:
        l.kind = ckm::LoyaltyKind::kExpire;
        l.points = 1 + Pick(100);
        break;
      case 4:
        l.kind = ckm::LoyaltyKind::kAdjust;
        l.points = Pick(2) ? 1 + Pick(50) : -(1 + Pick(50));
        break;
      default:
        l.kind = ckm::LoyaltyKind::kTierChange;
        l.tier = Pick(2) ? "silver" : "gold";
        break;
    }
    return l;
  }

  ckm::Attribute RandomAttribute() {
    ckm::Attribute a;
    const char* keys[] = {"personal.first_name", "demographic.age_band",
                          "psychographic.values",
                          "custom.invoice.project_number"};
    a.key = keys[Pick(4)];
    switch (Pick(3)) {
      case 0:
        a.value = std::string("v") + std::to_string(Pick(5));
        break;
      case 1:
        a.value = std::int64_t{Pick(100)};
        break;
      default:
        a.value = Pick(2) == 0;
        break;
    }
    a.provenance = static_cast<ckm::Provenance>(1 + Pick(3));
    a.confidence = Pick(101);
    if (Pick(6) == 0) {  // a removal
      a.value = std::string();
      a.remove = true;
    }
    return a;
  }

  std::mt19937_64 rng_;
  int customers_;
  std::uint64_t next_id_ = 0;
};

}  // namespace ckm_test

#endif  // CKM_TESTS_EVENT_GEN_H_
