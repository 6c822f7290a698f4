// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The figures of the predicate language, each computed from the Profile's
// public accessors exactly as Profile computes its own derived figures
// (means truncate nothing: NPS, average rating and sentiment are exact
// ratios).

#include "query/figures.h"

#include <algorithm>
#include <limits>

#include "ckm/money.h"
#include "fold/fold.h"

namespace ckm::query {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

const CurrencyTotals* InCurrency(const PurchaseSummary& p,
                                 const std::string& code) {
  for (const CurrencyTotals& c : p.by_currency) {
    if (c.currency == code) return &c;
  }
  return nullptr;
}

// Days from `then_ms` to now, never negative (as Profile::recency_ms: a
// time dated after now counts as now).
SegmentValue DaysSince(const Facts& f, std::int64_t then_ms) {
  return Days(
      std::max<std::int64_t>(0, fold::SaturatingSub(f.now_ms(), then_ms)));
}

SegmentValue CustomerId(Facts& f, const Node&) {
  return Text(f.profile().customer_id());
}
SegmentValue EventCount(Facts& f, const Node&) {
  return Count(f.profile().event_count());
}
SegmentValue FirstSeenDays(Facts& f, const Node&) {
  return DaysSince(f, f.profile().first_seen_ms());
}
SegmentValue LastSeenDays(Facts& f, const Node&) {
  return DaysSince(f, f.profile().last_seen_ms());
}

SegmentValue Orders(Facts& f, const Node& n) {
  if (n.arg.empty()) return Count(f.purchases().orders);
  std::int64_t orders = 0;
  for (const ChannelTotals& c : f.purchases().by_channel) {
    if (static_cast<int>(c.channel) == n.arg_code)
      orders = fold::SaturatingAdd(orders, c.orders);
  }
  return Count(orders);
}
SegmentValue Returns(Facts& f, const Node&) {
  return Count(f.purchases().returns);
}
SegmentValue Lines(Facts& f, const Node&) { return Count(f.purchases().lines); }
SegmentValue ReturnedLines(Facts& f, const Node&) {
  return Count(f.purchases().returned_lines);
}
SegmentValue Units(Facts& f, const Node&) { return Count(f.purchases().units); }
SegmentValue ReturnedUnits(Facts& f, const Node&) {
  return Count(f.purchases().returned_units);
}
SegmentValue DistinctProducts(Facts& f, const Node&) {
  return Count(f.purchases().distinct_products);
}

// Money sums in one currency: 0 for a customer who never bought in it.
template <std::int64_t (*Get)(const CurrencyTotals&)>
SegmentValue MoneyIn(Facts& f, const Node& n) {
  const CurrencyTotals* c = InCurrency(f.purchases(), n.arg);
  return Money(c ? Get(*c) : 0);
}
std::int64_t Net(const CurrencyTotals& c) { return c.net_micros(); }
std::int64_t Gross(const CurrencyTotals& c) { return c.gross_micros; }
std::int64_t Discount(const CurrencyTotals& c) { return c.discount_micros; }
std::int64_t Returned(const CurrencyTotals& c) { return c.returned_micros; }
std::int64_t Largest(const CurrencyTotals& c) { return c.largest_order_micros; }

SegmentValue Aov(Facts& f, const Node& n) {
  const CurrencyTotals* c = InCurrency(f.purchases(), n.arg);
  if (c == nullptr) return NoValue();
  const std::optional<std::int64_t> aov = c->average_order_value_micros();
  return aov ? Money(*aov) : NoValue();
}

SegmentValue RecencyDays(Facts& f, const Node&) {
  const std::optional<std::int64_t> r = f.profile().recency_ms(f.now_ms());
  return r ? Days(*r) : NoValue();
}
SegmentValue TenureDays(Facts& f, const Node&) {
  const std::optional<std::int64_t> first = f.purchases().first_purchase_ms;
  return first ? DaysSince(f, *first) : NoValue();
}
SegmentValue IntervalDays(Facts& f, const Node&) {
  const std::optional<std::int64_t> i = f.profile().mean_interpurchase_ms();
  return i ? Days(*i) : NoValue();
}
// Expected next purchase minus now: negative when it is overdue.
SegmentValue NextPurchaseDays(Facts& f, const Node&) {
  const std::optional<std::int64_t> next =
      f.profile().expected_next_purchase_ms();
  return next ? Days(fold::SaturatingSub(*next, f.now_ms())) : NoValue();
}

SegmentValue Interactions(Facts& f, const Node& n) {
  const InteractionSummary& i = f.interactions();
  if (n.arg.empty()) return Count(i.count);
  if (n.arg_code >= 100) return Count(i.by_kind[n.arg_code - 100]);
  return Count(i.by_channel[n.arg_code]);
}
SegmentValue LastInteractionDays(Facts& f, const Node&) {
  const std::optional<std::int64_t> last = f.interactions().last_ms;
  return last ? DaysSince(f, *last) : NoValue();
}
SegmentValue Nps(Facts& f, const Node&) {
  const InteractionSummary& i = f.interactions();
  if (i.rating_count <= 0) return NoValue();
  const std::int64_t net = fold::SaturatingSub(i.promoters, i.detractors);
  std::int64_t hundred_net;
  if (__builtin_mul_overflow(net, std::int64_t{100}, &hundred_net)) {
    hundred_net = net < 0 ? std::numeric_limits<std::int64_t>::min()
                          : std::numeric_limits<std::int64_t>::max();
  }
  return Ratio(hundred_net, i.rating_count);
}
SegmentValue Rating(Facts& f, const Node&) {
  const InteractionSummary& i = f.interactions();
  if (i.rating_count <= 0) return NoValue();
  return Ratio(i.rating_sum, i.rating_count);
}
SegmentValue Sentiment(Facts& f, const Node&) {
  const InteractionSummary& i = f.interactions();
  if (i.sentiment_count <= 0) return NoValue();
  return Ratio(i.sentiment_sum, i.sentiment_count);
}

SegmentValue Points(Facts& f, const Node&) {
  return Count(f.loyalty().balance());
}
SegmentValue PointsEarned(Facts& f, const Node&) {
  return Count(f.loyalty().earned);
}
SegmentValue PointsRedeemed(Facts& f, const Node&) {
  return Count(f.loyalty().redeemed);
}
SegmentValue Tier(Facts& f, const Node&) {
  const std::string& tier = f.loyalty().tier;
  return tier.empty() ? NoValue() : Text(tier);
}
SegmentValue Program(Facts& f, const Node&) {
  const std::string& program = f.loyalty().program;
  return program.empty() ? NoValue() : Text(program);
}

SegmentValue Attr(Facts& f, const Node& n) {
  const std::optional<AttributeState> a = f.profile().attribute(n.arg);
  if (!a) return NoValue();
  if (const auto* s = std::get_if<std::string>(&a->value)) return Text(*s);
  if (const auto* i = std::get_if<std::int64_t>(&a->value)) return Count(*i);
  return Bool(std::get<bool>(a->value));
}
SegmentValue ConsentTo(Facts& f, const Node& n) {
  const std::optional<ConsentState> c = f.profile().consent(n.arg);
  return c ? Bool(c->granted) : NoValue();
}
SegmentValue HasIdentity(Facts& f, const Node& n) {
  for (const IdentityLink& link : f.profile().identities()) {
    if (static_cast<int>(link.type) == n.arg_code) return Bool(true);
  }
  return Bool(false);
}

using T = ValueType;
using A = ArgKind;

const std::vector<FigureSpec>& Table() {
  static const auto* const table = new std::vector<FigureSpec>{
      {"customer_id", A::kNone, false, T::kText, false, CustomerId},
      {"events", A::kNone, false, T::kNumber, false, EventCount},
      {"first_seen_days", A::kNone, false, T::kNumber, true, FirstSeenDays},
      {"last_seen_days", A::kNone, false, T::kNumber, true, LastSeenDays},
      {"orders", A::kChannel, true, T::kNumber, false, Orders},
      {"frequency", A::kNone, false, T::kNumber, false, Orders},
      {"returns", A::kNone, false, T::kNumber, false, Returns},
      {"lines", A::kNone, false, T::kNumber, false, Lines},
      {"returned_lines", A::kNone, false, T::kNumber, false, ReturnedLines},
      {"units", A::kNone, false, T::kNumber, false, Units},
      {"returned_units", A::kNone, false, T::kNumber, false, ReturnedUnits},
      {"distinct_products", A::kNone, false, T::kNumber, false,
       DistinctProducts},
      {"net_spend", A::kCurrency, false, T::kNumber, false, MoneyIn<Net>},
      {"gross_spend", A::kCurrency, false, T::kNumber, false, MoneyIn<Gross>},
      {"discount", A::kCurrency, false, T::kNumber, false, MoneyIn<Discount>},
      {"returned_spend", A::kCurrency, false, T::kNumber, false,
       MoneyIn<Returned>},
      {"largest_order", A::kCurrency, false, T::kNumber, false,
       MoneyIn<Largest>},
      {"aov", A::kCurrency, false, T::kNumber, false, Aov},
      {"recency_days", A::kNone, false, T::kNumber, true, RecencyDays},
      {"tenure_days", A::kNone, false, T::kNumber, true, TenureDays},
      {"interval_days", A::kNone, false, T::kNumber, false, IntervalDays},
      {"next_purchase_days", A::kNone, false, T::kNumber, true,
       NextPurchaseDays},
      {"interactions", A::kChannelOrKind, true, T::kNumber, false,
       Interactions},
      {"last_interaction_days", A::kNone, false, T::kNumber, true,
       LastInteractionDays},
      {"nps", A::kNone, false, T::kNumber, false, Nps},
      {"rating", A::kNone, false, T::kNumber, false, Rating},
      {"sentiment", A::kNone, false, T::kNumber, false, Sentiment},
      {"points", A::kNone, false, T::kNumber, false, Points},
      {"points_earned", A::kNone, false, T::kNumber, false, PointsEarned},
      {"points_redeemed", A::kNone, false, T::kNumber, false, PointsRedeemed},
      {"tier", A::kNone, false, T::kText, false, Tier},
      {"program", A::kNone, false, T::kText, false, Program},
      {"attr", A::kAttributeKey, false, T::kAny, false, Attr},
      {"consent", A::kPurpose, false, T::kBool, false, ConsentTo},
      {"has_identity", A::kIdentityType, false, T::kBool, false, HasIdentity},
  };
  return *table;
}

}  // namespace

const PurchaseSummary& Facts::purchases() {
  if (!purchases_) purchases_ = profile_.purchases();
  return *purchases_;
}
const InteractionSummary& Facts::interactions() {
  if (!interactions_) interactions_ = profile_.interactions();
  return *interactions_;
}
const LoyaltySummary& Facts::loyalty() {
  if (!loyalty_) loyalty_ = profile_.loyalty();
  return *loyalty_;
}

const FigureSpec* FindFigure(std::string_view name) {
  for (const FigureSpec& spec : Table()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const std::vector<FigureSpec>& AllFigures() { return Table(); }

SegmentValue NoValue() { return SegmentValue(); }

SegmentValue Count(std::int64_t n) {
  SegmentValue v;
  v.type = SegmentValue::Type::kNumber;
  v.numerator = n;
  return v;
}

SegmentValue Money(std::int64_t micros) {
  SegmentValue v = Ratio(micros, kMicrosPerUnit);
  v.unit = SegmentValue::Unit::kMoney;
  return v;
}

SegmentValue Days(std::int64_t ms) {
  SegmentValue v = Ratio(ms, kMsPerDay);
  v.unit = SegmentValue::Unit::kDays;
  return v;
}

SegmentValue Ratio(std::int64_t numerator, std::int64_t denominator) {
  SegmentValue v;
  v.type = SegmentValue::Type::kNumber;
  v.numerator = numerator;
  v.denominator = denominator;
  return v;
}

SegmentValue Text(std::string_view text) {
  SegmentValue v;
  v.type = SegmentValue::Type::kText;
  v.text = std::string(text);
  return v;
}

SegmentValue Bool(bool b) {
  SegmentValue v;
  v.type = SegmentValue::Type::kBool;
  v.boolean = b;
  return v;
}

}  // namespace ckm::query
