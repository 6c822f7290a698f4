// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "fold/fold.h"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <tuple>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codec/aligned.h"
#include "codec/operand.h"
#include "codec/profile_verify.h"
#include "profile_generated.h"
#include "string_util.h"
#include "validate.h"

namespace ckm::fold {
namespace {

namespace fb = ::ckm::fb;

constexpr char kBreakdownsIdentifier[] = "CKMB";

// The dimensions in the order of the Breakdowns table's row vectors.
constexpr Dimension kDimensions[3] = {Dimension::kProduct, Dimension::kStore,
                                      Dimension::kCategory};

// Index of `dimension` in kDimensions.
constexpr std::uint8_t RowVectorOf(Dimension dimension) {
  std::uint8_t d = 0;
  while (kDimensions[d] != dimension) ++d;
  return d;
}

// The money of one line, or of a whole event: each part >= 0 (validated
// not to overflow within one event).
struct Money {
  std::int64_t gross = 0;     // positive lines' amounts, before discounts
  std::int64_t discount = 0;  // their discounts
  std::int64_t returned = 0;  // negative lines' |amounts| after discounts
};

// A line's share of its event's money.
Money MoneyOf(const PurchaseLine& line) {
  const std::int64_t amount = line.amount_micros();  // validated
  if (line.quantity > 0) return {amount, line.discount_micros, 0};
  return {0, 0, -amount - line.discount_micros};
}

// Calls share(row vector index, key, quantity, money, counts_units) for each
// share of purchase `p` in a product, store or category: every line for its
// SKU, its category and the store, leaving out empty keys; an order-level
// discount once for the store (not shared out among products); and a bare
// total (no lines) once for the store, as one order or return without units.
// The one statement of what an order contributes, for BreakdownsOf() and
// BreakdownsBatch alike.
template <typename Share>
void ForEachShare(const Purchase& p, Share&& share) {
  constexpr std::uint8_t kProduct = RowVectorOf(Dimension::kProduct);
  constexpr std::uint8_t kStore = RowVectorOf(Dimension::kStore);
  constexpr std::uint8_t kCategory = RowVectorOf(Dimension::kCategory);
  for (const PurchaseLine& line : p.lines) {
    const Money money = MoneyOf(line);
    if (!line.sku.empty())
      share(kProduct, line.sku, line.quantity, money, true);
    if (!line.category.empty())
      share(kCategory, line.category, line.quantity, money, true);
    if (!p.store.empty()) share(kStore, p.store, line.quantity, money, true);
  }
  if (p.store.empty()) return;
  if (p.lines.empty()) {
    const std::int64_t total = *p.total_micros;  // validated non-zero
    share(kStore, p.store, total > 0 ? 1 : -1,
          total > 0 ? Money{total + p.discount_micros, p.discount_micros, 0}
                    : Money{0, 0, -total},
          false);
  } else if (p.discount_micros > 0) {  // validated: the order has a positive
    share(kStore, p.store, 1, Money{0, p.discount_micros, 0}, false);  // line
  }
}

void AddTo(std::int64_t& a, std::int64_t b) { a = SaturatingAdd(a, b); }
void MinTo(std::int64_t& a, std::int64_t b) { a = std::min(a, b); }
void MaxTo(std::int64_t& a, std::int64_t b) { a = std::max(a, b); }

// Last writer wins; on an equal stamp (the same event seen twice, or two
// customers merged) the larger value wins so that Join stays commutative.
template <typename Register>
void JoinRegister(Register& a, const Register& b) {
  if (a.Tie() < b.Tie()) a = b;
}

template <typename K, typename V, typename F>
void JoinMap(std::map<K, V>& a, const std::map<K, V>& b, F&& join_value) {
  for (const auto& [key, value] : b) {
    auto [it, inserted] = a.try_emplace(key, value);
    if (!inserted) join_value(it->second, value);
  }
}

void Join(CurrencyAgg& a, const CurrencyAgg& b) {
  AddTo(a.orders, b.orders);
  AddTo(a.gross_micros, b.gross_micros);
  AddTo(a.discount_micros, b.discount_micros);
  AddTo(a.returned_micros, b.returned_micros);
  MaxTo(a.largest_order_micros, b.largest_order_micros);
}

void Join(ChannelAgg& a, const ChannelAgg& b) {
  AddTo(a.orders, b.orders);
  AddTo(a.gross_micros, b.gross_micros);
  AddTo(a.discount_micros, b.discount_micros);
  AddTo(a.returned_micros, b.returned_micros);
}

void Join(BreakdownMoneyAgg& a, const BreakdownMoneyAgg& b) {
  AddTo(a.gross_micros, b.gross_micros);
  AddTo(a.discount_micros, b.discount_micros);
  AddTo(a.returned_micros, b.returned_micros);
}

void Join(PurchaseAgg& a, const PurchaseAgg& b) {
  AddTo(a.orders, b.orders);
  AddTo(a.returns, b.returns);
  AddTo(a.lines, b.lines);
  AddTo(a.returned_lines, b.returned_lines);
  AddTo(a.units, b.units);
  AddTo(a.returned_units, b.returned_units);
  AddTo(a.distinct_products, b.distinct_products);
  MinTo(a.first_purchase_ms, b.first_purchase_ms);
  MaxTo(a.last_purchase_ms, b.last_purchase_ms);
  JoinMap(a.by_currency, b.by_currency,
          [](CurrencyAgg& x, const CurrencyAgg& y) { Join(x, y); });
  JoinMap(a.by_channel, b.by_channel,
          [](ChannelAgg& x, const ChannelAgg& y) { Join(x, y); });
}

void Join(InteractionAgg& a, const InteractionAgg& b) {
  AddTo(a.count, b.count);
  for (int i = 0; i < kChannelCount; ++i)
    AddTo(a.by_channel[i], b.by_channel[i]);
  for (int i = 0; i < kInteractionKindCount; ++i)
    AddTo(a.by_kind[i], b.by_kind[i]);
  AddTo(a.total_duration_s, b.total_duration_s);
  if (std::tie(a.last.ts_ms, a.last.event_id, a.last_channel, a.last_kind) <
      std::tie(b.last.ts_ms, b.last.event_id, b.last_channel, b.last_kind)) {
    a.last = b.last;
    a.last_channel = b.last_channel;
    a.last_kind = b.last_kind;
  }
  AddTo(a.sentiment_sum, b.sentiment_sum);
  AddTo(a.sentiment_count, b.sentiment_count);
  AddTo(a.rating_sum, b.rating_sum);
  AddTo(a.rating_count, b.rating_count);
  AddTo(a.promoters, b.promoters);
  AddTo(a.passives, b.passives);
  AddTo(a.detractors, b.detractors);
}

void Join(LoyaltyAgg& a, const LoyaltyAgg& b) {
  MinTo(a.enrolled_ms, b.enrolled_ms);
  JoinRegister(a.program, b.program);
  AddTo(a.earned, b.earned);
  AddTo(a.redeemed, b.redeemed);
  AddTo(a.expired, b.expired);
  AddTo(a.adjusted_up, b.adjusted_up);
  AddTo(a.adjusted_down, b.adjusted_down);
  JoinRegister(a.tier, b.tier);
}

// ---- Deltas
// ------------------------------------------------------------------

void AddPurchase(const Event& e, const Purchase& p, PurchaseAgg& agg) {
  Money money;  // validated: no part overflows
  bool any_positive = false, any_negative = false;
  for (const PurchaseLine& line : p.lines) {
    const Money m = MoneyOf(line);
    money.gross += m.gross;
    money.discount += m.discount;
    money.returned += m.returned;
    ++agg.lines;
    if (line.quantity > 0) {
      any_positive = true;
      agg.units += line.quantity;
    } else {
      any_negative = true;
      ++agg.returned_lines;
      agg.returned_units -= line.quantity;
    }
  }
  money.discount += p.discount_micros;
  if (p.lines.empty()) {  // a total without lines: validated non-zero
    const std::int64_t total = *p.total_micros;
    any_positive = total > 0;
    any_negative = !any_positive;
    if (any_positive) {
      money.gross = total + p.discount_micros;  // what was paid, plus
    } else {                                    // what was taken off
      money.returned = -total;
    }
  }
  agg.orders = any_positive;
  agg.returns = any_negative;
  if (any_positive) {
    agg.first_purchase_ms = e.ts_ms;
    agg.last_purchase_ms = e.ts_ms;
  }
  CurrencyAgg& currency = agg.by_currency[p.currency];
  currency.orders = any_positive;
  currency.gross_micros = money.gross;
  currency.discount_micros = money.discount;
  currency.returned_micros = money.returned;
  currency.largest_order_micros = money.gross;
  ChannelAgg& channel =
      agg.by_channel[{static_cast<std::uint8_t>(p.channel), p.currency}];
  channel.orders = any_positive;
  channel.gross_micros = money.gross;
  channel.discount_micros = money.discount;
  channel.returned_micros = money.returned;
}

void AddInteraction(const Event& e, const Interaction& i, InteractionAgg& agg) {
  agg.count = 1;
  agg.by_channel[static_cast<int>(i.channel)] = 1;
  agg.by_kind[static_cast<int>(i.kind)] = 1;
  agg.total_duration_s = i.duration_s;
  agg.last = {e.ts_ms, e.id};
  agg.last_channel = static_cast<std::uint8_t>(i.channel);
  agg.last_kind = static_cast<std::uint8_t>(i.kind);
  if (i.sentiment) {
    agg.sentiment_sum = *i.sentiment;
    agg.sentiment_count = 1;
  }
  if (i.rating) {
    agg.rating_sum = *i.rating;
    agg.rating_count = 1;
    if (*i.rating >= 9) {
      agg.promoters = 1;
    } else if (*i.rating >= 7) {
      agg.passives = 1;
    } else {
      agg.detractors = 1;
    }
  }
}

void AddLoyalty(const Event& e, const Loyalty& l, LoyaltyAgg& agg) {
  const Stamp stamp{e.ts_ms, e.id};
  if (!l.program.empty()) agg.program = {stamp, l.program};
  switch (l.kind) {
    case LoyaltyKind::kEnroll:
      agg.enrolled_ms = e.ts_ms;
      if (!l.tier.empty()) agg.tier = {stamp, l.tier};
      break;
    case LoyaltyKind::kEarn:
      agg.earned = l.points;
      break;
    case LoyaltyKind::kRedeem:
      agg.redeemed = l.points;
      break;
    case LoyaltyKind::kExpire:
      agg.expired = l.points;
      break;
    case LoyaltyKind::kAdjust:
      (l.points > 0 ? agg.adjusted_up : agg.adjusted_down) =
          l.points > 0 ? l.points : -l.points;
      break;
    case LoyaltyKind::kTierChange:
      agg.tier = {stamp, l.tier};
      break;
  }
}

void AddAttribute(const Event& e, const Attribute& a, ProfileState& state) {
  AttributeRegisters& regs = state.attributes[a.key];
  const int layer = static_cast<int>(a.provenance) - 1;  // validated
  if (a.remove) {
    regs.removals[layer] = {e.ts_ms, e.id};
    return;
  }
  AttributeRegister& reg = regs.values[layer];
  reg.stamp = {e.ts_ms, e.id};
  reg.source = e.source;
  reg.value = ToStored(a.value);
  reg.provenance = static_cast<std::uint8_t>(a.provenance);
  reg.confidence = static_cast<std::uint8_t>(a.confidence);
}

// ---- Encoding
// ----------------------------------------------------------------

using Builder = flatbuffers::FlatBufferBuilder;

std::string Release(const Builder& b) {
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()),
                     b.GetSize());
}

// An attribute's first value (by provenance) in the entry's own fields, as
// format 3 stored its one value, so that such an entry keeps its bytes; the
// other values and the removals only when there are any.
flatbuffers::Offset<fb::AttributeEntry> EncodeAttribute(
    Builder& b, const std::string& key, const AttributeRegisters& a) {
  std::vector<const AttributeRegister*> values;
  for (const AttributeRegister& r : a.values) {
    if (!r.stamp.empty()) values.push_back(&r);
  }
  std::vector<flatbuffers::Offset<fb::AttributeWrite>> others;
  for (std::size_t i = 1; i < values.size(); ++i) {
    const AttributeRegister& r = *values[i];
    const fb::Stamp stamp(r.stamp.ts_ms, r.stamp.event_id);
    others.push_back(
        fb::CreateAttributeWrite(b, &stamp, b.CreateString(r.source),
                                 r.value.type, b.CreateString(r.value.text),
                                 r.value.number, r.provenance, r.confidence));
  }
  const bool removed = std::any_of(a.removals.begin(), a.removals.end(),
                                   [](const Stamp& s) { return !s.empty(); });
  std::vector<fb::Stamp> removals;
  if (removed) {
    for (const Stamp& s : a.removals)
      removals.emplace_back(s.ts_ms, s.event_id);
  }
  const auto others_v = others.empty() ? 0 : b.CreateVector(others);
  const auto removals_v = removed ? b.CreateVectorOfStructs(removals) : 0;
  const AttributeRegister empty;
  const AttributeRegister& first = values.empty() ? empty : *values[0];
  const fb::Stamp stamp(first.stamp.ts_ms, first.stamp.event_id);
  return fb::CreateAttributeEntry(
      b, b.CreateString(key), values.empty() ? nullptr : &stamp,
      b.CreateString(first.source), first.value.type,
      b.CreateString(first.value.text), first.value.number, first.provenance,
      first.confidence, others_v, removals_v);
}

flatbuffers::Offset<fb::PurchaseStats> EncodePurchases(Builder& b,
                                                       const PurchaseAgg& p) {
  std::vector<flatbuffers::Offset<fb::CurrencyTotals>> currencies;
  for (const auto& [code, c] : p.by_currency) {
    currencies.push_back(fb::CreateCurrencyTotals(
        b, b.CreateString(code), c.orders, c.gross_micros, c.returned_micros,
        c.largest_order_micros, c.discount_micros));
  }
  std::vector<flatbuffers::Offset<fb::ChannelTotals>> channels;
  for (const auto& [key, c] : p.by_channel) {
    channels.push_back(fb::CreateChannelTotals(
        b, static_cast<fb::Channel>(key.first), b.CreateString(key.second),
        c.orders, c.gross_micros, c.returned_micros, c.discount_micros));
  }
  const bool dated = p.orders > 0;
  return fb::CreatePurchaseStats(
      b, p.orders, p.returns, p.lines, p.returned_lines, p.units,
      p.returned_units, p.distinct_products, dated ? p.first_purchase_ms : 0,
      dated ? p.last_purchase_ms : 0,
      currencies.empty() ? 0 : b.CreateVector(currencies),
      channels.empty() ? 0 : b.CreateVector(channels));
}

flatbuffers::Offset<fb::InteractionStats> EncodeInteractions(
    Builder& b, const InteractionAgg& i) {
  const fb::Stamp last(i.last.ts_ms, i.last.event_id);
  return fb::CreateInteractionStats(
      b, i.count, b.CreateVector(i.by_channel.data(), i.by_channel.size()),
      b.CreateVector(i.by_kind.data(), i.by_kind.size()), i.total_duration_s,
      i.last.empty() ? nullptr : &last,
      static_cast<fb::Channel>(i.last_channel), i.last_kind, i.sentiment_sum,
      i.sentiment_count, i.rating_sum, i.rating_count, i.promoters, i.passives,
      i.detractors);
}

flatbuffers::Offset<fb::LoyaltyStats> EncodeLoyalty(Builder& b,
                                                    const LoyaltyAgg& l) {
  const fb::Stamp program_stamp(l.program.stamp.ts_ms,
                                l.program.stamp.event_id);
  const fb::Stamp tier_stamp(l.tier.stamp.ts_ms, l.tier.stamp.event_id);
  const bool enrolled = l.enrolled_ms != kNoMin;
  return fb::CreateLoyaltyStats(
      b, enrolled, enrolled ? l.enrolled_ms : 0,
      l.program.stamp.empty() ? 0 : b.CreateString(l.program.value),
      l.program.stamp.empty() ? nullptr : &program_stamp, l.earned, l.redeemed,
      l.expired, l.adjusted_up, l.adjusted_down,
      l.tier.stamp.empty() ? 0 : b.CreateString(l.tier.value),
      l.tier.stamp.empty() ? nullptr : &tier_stamp);
}

bool IsEmpty(const PurchaseAgg& p) {
  return p.orders == 0 && p.returns == 0 && p.lines == 0 &&
         p.distinct_products == 0 && p.by_currency.empty() &&
         p.by_channel.empty();
}
bool IsEmpty(const InteractionAgg& i) { return i.count == 0; }
bool IsEmpty(const LoyaltyAgg& l) {
  return l.enrolled_ms == kNoMin && l.program.stamp.empty() &&
         l.tier.stamp.empty() && l.earned == 0 && l.redeemed == 0 &&
         l.expired == 0 && l.adjusted_up == 0 && l.adjusted_down == 0;
}

// ---- Decoding
// ----------------------------------------------------------------

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(absl::StrCat("corrupt stored value: ", Av(what)));
}

std::string Str(const flatbuffers::String* s) {
  return s ? s->str() : std::string();
}

Stamp StampOf(const fb::Stamp* s) {
  return s ? Stamp{s->ts_ms(), s->event_id()} : Stamp{};
}

bool NonNegative(std::initializer_list<std::int64_t> values) {
  return std::all_of(values.begin(), values.end(),
                     [](std::int64_t v) { return v >= 0; });
}

// One value of an attribute (an AttributeEntry's own fields, or one of its
// AttributeWrites) into its provenance's register, which must still be
// empty and come after `previous` (values are stored by provenance).
template <typename Write>
absl::Status AddAttributeValue(const Write* w, int& previous,
                               AttributeRegisters& out) {
  const int provenance = w->provenance();
  if (provenance < 1 || provenance > kProvenanceCount || provenance <= previous)
    return Corrupt("attribute value of an unknown or repeated provenance");
  previous = provenance;
  AttributeRegister& reg = out.values[provenance - 1];
  reg.stamp = StampOf(w->stamp());
  if (reg.stamp.empty()) return Corrupt("attribute value without a stamp");
  reg.source = Str(w->source());
  reg.value = {w->value_type(), Str(w->string_value()), w->int_value()};
  reg.provenance = w->provenance();
  reg.confidence = w->confidence();
  if (!FromStored(reg.value.type, {}, 0))
    return Corrupt("unknown attribute value type");
  return absl::OkStatus();
}

absl::StatusOr<AttributeRegisters> DecodeAttribute(
    const fb::AttributeEntry* a) {
  AttributeRegisters out;
  int previous = 0;
  if (a->stamp() != nullptr) {
    if (absl::Status s = AddAttributeValue(a, previous, out); !s.ok()) return s;
  } else if (a->others() != nullptr) {
    return Corrupt("attribute values without a first one");
  }
  if (const auto* others = a->others()) {
    for (const fb::AttributeWrite* w : *others) {
      if (absl::Status s = AddAttributeValue(w, previous, out); !s.ok())
        return s;
    }
  }
  if (const auto* removals = a->removals()) {
    if (removals->size() != kProvenanceCount)
      return Corrupt("attribute removals of the wrong size");
    for (int i = 0; i < kProvenanceCount; ++i)
      out.removals[i] = StampOf(removals->Get(i));
  }
  return out;
}

absl::Status DecodePurchases(const fb::PurchaseStats* p, PurchaseAgg& out) {
  if (p == nullptr) return absl::OkStatus();
  out.orders = p->orders();
  out.returns = p->returns();
  out.lines = p->lines();
  out.returned_lines = p->returned_lines();
  out.units = p->units();
  out.returned_units = p->returned_units();
  out.distinct_products = p->distinct_products();
  if (!NonNegative({out.orders, out.returns, out.lines, out.returned_lines,
                    out.units, out.returned_units, out.distinct_products})) {
    return Corrupt("negative purchase count");
  }
  if (out.orders > 0) {
    out.first_purchase_ms = p->first_purchase_ms();
    out.last_purchase_ms = p->last_purchase_ms();
  }
  if (const auto* v = p->by_currency()) {
    for (const fb::CurrencyTotals* c : *v) {
      if (c->currency() == nullptr) return Corrupt("currency without a code");
      CurrencyAgg agg;
      agg.orders = c->orders();
      agg.gross_micros = c->gross_micros();
      agg.discount_micros = c->discount_micros();
      agg.returned_micros = c->returned_micros();
      agg.largest_order_micros = c->largest_order_micros();
      if (!NonNegative({agg.orders, agg.gross_micros, agg.discount_micros,
                        agg.returned_micros, agg.largest_order_micros})) {
        return Corrupt("negative currency total");
      }
      if (!out.by_currency.emplace(c->currency()->str(), agg).second) {
        return Corrupt("duplicate currency");
      }
    }
  }
  if (const auto* v = p->by_channel()) {
    for (const fb::ChannelTotals* c : *v) {
      const auto channel = static_cast<std::uint8_t>(c->channel());
      if (channel >= kChannelCount) return Corrupt("unknown channel");
      ChannelAgg agg;
      agg.orders = c->orders();
      agg.gross_micros = c->gross_micros();
      agg.discount_micros = c->discount_micros();
      agg.returned_micros = c->returned_micros();
      if (!NonNegative({agg.orders, agg.gross_micros, agg.discount_micros,
                        agg.returned_micros})) {
        return Corrupt("negative channel total");
      }
      if (!out.by_channel
               .emplace(std::make_pair(channel, Str(c->currency())), agg)
               .second) {
        return Corrupt("duplicate channel");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeInteractions(const fb::InteractionStats* i,
                                InteractionAgg& out) {
  if (i == nullptr) return absl::OkStatus();
  out.count = i->count();
  const auto* channels = i->by_channel();
  const auto* kinds = i->by_kind();
  if (channels == nullptr || channels->size() != kChannelCount ||
      kinds == nullptr || kinds->size() != kInteractionKindCount) {
    return Corrupt("interaction counters of the wrong size");
  }
  for (int k = 0; k < kChannelCount; ++k) out.by_channel[k] = channels->Get(k);
  for (int k = 0; k < kInteractionKindCount; ++k)
    out.by_kind[k] = kinds->Get(k);
  out.total_duration_s = i->total_duration_s();
  out.last = StampOf(i->last());
  out.last_channel = static_cast<std::uint8_t>(i->last_channel());
  out.last_kind = i->last_kind();
  out.sentiment_sum = i->sentiment_sum();
  out.sentiment_count = i->sentiment_count();
  out.rating_sum = i->rating_sum();
  out.rating_count = i->rating_count();
  out.promoters = i->promoters();
  out.passives = i->passives();
  out.detractors = i->detractors();
  if (!NonNegative({out.count, out.total_duration_s, out.sentiment_count,
                    out.rating_sum, out.rating_count, out.promoters,
                    out.passives, out.detractors})) {
    return Corrupt("negative interaction count");
  }
  return absl::OkStatus();
}

absl::Status DecodeLoyalty(const fb::LoyaltyStats* l, LoyaltyAgg& out) {
  if (l == nullptr) return absl::OkStatus();
  if (l->has_enrolled()) out.enrolled_ms = l->enrolled_ms();
  out.program = {StampOf(l->program_stamp()), Str(l->program())};
  out.earned = l->earned();
  out.redeemed = l->redeemed();
  out.expired = l->expired();
  out.adjusted_up = l->adjusted_up();
  out.adjusted_down = l->adjusted_down();
  out.tier = {StampOf(l->tier_stamp()), Str(l->tier())};
  if (!NonNegative({out.earned, out.redeemed, out.expired, out.adjusted_up,
                    out.adjusted_down})) {
    return Corrupt("negative points total");
  }
  return absl::OkStatus();
}

}  // namespace

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
  std::int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<std::int64_t>::max()
               : std::numeric_limits<std::int64_t>::min();
}

std::int64_t SaturatingSub(std::int64_t a, std::int64_t b) {
  std::int64_t difference;
  if (!__builtin_sub_overflow(a, b, &difference)) return difference;
  return b < 0 ? std::numeric_limits<std::int64_t>::max()
               : std::numeric_limits<std::int64_t>::min();
}

void Join(ProfileState& a, const ProfileState& b) {
  if (a.customer_id.empty() ||
      (!b.customer_id.empty() && b.customer_id < a.customer_id)) {
    a.customer_id = b.customer_id;
  }
  MinTo(a.first_seen_ms, b.first_seen_ms);
  MaxTo(a.last_seen_ms, b.last_seen_ms);
  AddTo(a.event_count, b.event_count);
  JoinMap(a.identities, b.identities,
          [](std::int64_t& x, std::int64_t y) { MinTo(x, y); });
  JoinMap(a.attributes, b.attributes,
          [](AttributeRegisters& x, const AttributeRegisters& y) {
            for (int i = 0; i < kProvenanceCount; ++i) {
              JoinRegister(x.values[i], y.values[i]);
              x.removals[i] = std::max(x.removals[i], y.removals[i]);
            }
          });
  JoinMap(a.consents, b.consents,
          [](auto& x, const auto& y) { JoinRegister(x, y); });
  Join(a.purchases, b.purchases);
  Join(a.interactions, b.interactions);
  Join(a.loyalty, b.loyalty);
  AddTo(a.corrupt_operands, b.corrupt_operands);
  a.last_corrupt_event_id =
      std::max(a.last_corrupt_event_id, b.last_corrupt_event_id);
}

void Join(BreakdownState& a, const BreakdownState& b) {
  AddTo(a.orders, b.orders);
  AddTo(a.returns, b.returns);
  AddTo(a.units, b.units);
  AddTo(a.returned_units, b.returned_units);
  MinTo(a.first_purchase_ms, b.first_purchase_ms);
  MaxTo(a.last_purchase_ms, b.last_purchase_ms);
  JoinMap(a.money, b.money,
          [](BreakdownMoneyAgg& x, const BreakdownMoneyAgg& y) { Join(x, y); });
}

namespace {

void Join(BreakdownMap& a, const BreakdownMap& b) {
  JoinMap(a, b, [](BreakdownState& x, const BreakdownState& y) { Join(x, y); });
}

}  // namespace

BreakdownMap& Breakdowns::of(Dimension dimension) {
  switch (dimension) {
    case Dimension::kStore:
      return stores;
    case Dimension::kCategory:
      return categories;
    case Dimension::kProduct:
      break;
  }
  return products;
}

const BreakdownMap& Breakdowns::of(Dimension dimension) const {
  return const_cast<Breakdowns*>(this)->of(dimension);
}

void Join(Breakdowns& a, const Breakdowns& b) {
  Join(a.products, b.products);
  Join(a.stores, b.stores);
  Join(a.categories, b.categories);
  AddTo(a.corrupt_operands, b.corrupt_operands);
}

std::int64_t OrderedProducts(const Breakdowns& b) {
  return std::count_if(
      b.products.begin(), b.products.end(),
      [](const auto& entry) { return entry.second.orders > 0; });
}

ProfileState DeltaOf(const Event& e, std::string_view customer_id) {
  ProfileState state;
  state.customer_id = std::string(customer_id);
  state.first_seen_ms = e.ts_ms;
  state.last_seen_ms = e.ts_ms;
  state.event_count = 1;
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Purchase>) {
          AddPurchase(e, body, state.purchases);
        } else if constexpr (std::is_same_v<T, Interaction>) {
          AddInteraction(e, body, state.interactions);
        } else if constexpr (std::is_same_v<T, Loyalty>) {
          AddLoyalty(e, body, state.loyalty);
        } else if constexpr (std::is_same_v<T, Attribute>) {
          AddAttribute(e, body, state);
        } else if constexpr (std::is_same_v<T, Consent>) {
          state.consents[body.purpose] = {
              {e.ts_ms, e.id}, e.source, body.granted};
        } else if constexpr (std::is_same_v<T, Identity>) {
          state.identities[{static_cast<std::uint8_t>(body.type), body.value}] =
              e.ts_ms;
        }
      },
      e.body);
  return state;
}

Breakdowns BreakdownsOf(const Event& e) {
  Breakdowns deltas;
  const auto* p = std::get_if<Purchase>(&e.body);
  if (p == nullptr) return deltas;
  // An order counts once per key however many of its lines share the key:
  // orders and returns are set from the signs of the key's lines below.
  struct Signs {
    bool positive = false;
    bool negative = false;
  };
  std::map<std::pair<std::uint8_t, std::string_view>, Signs> signs;
  ForEachShare(
      *p, [&](std::uint8_t d, std::string_view key, std::int64_t quantity,
              const Money& m, bool counts_units) {
        BreakdownState& s = deltas.of(kDimensions[d])[std::string(key)];
        BreakdownMoneyAgg& money = s.money[p->currency];
        Signs& sign = signs[{d, key}];
        if (quantity > 0) {
          sign.positive = true;
          if (counts_units) s.units += quantity;
        } else {
          sign.negative = true;
          if (counts_units) s.returned_units -= quantity;
        }
        money.gross_micros += m.gross;
        money.discount_micros += m.discount;
        money.returned_micros += m.returned;
      });
  for (const auto& [key, sign] : signs) {
    BreakdownState& s =
        deltas.of(kDimensions[key.first]).at(std::string(key.second));
    s.orders = sign.positive;
    s.returns = sign.negative;
    if (sign.positive) {
      s.first_purchase_ms = e.ts_ms;
      s.last_purchase_ms = e.ts_ms;
    }
  }
  return deltas;
}

std::string Encode(const ProfileState& s) {
  Builder b(256);
  std::vector<flatbuffers::Offset<fb::IdentityLink>> identities;
  for (const auto& [key, linked_ms] : s.identities) {
    identities.push_back(
        fb::CreateIdentityLink(b, static_cast<fb::IdentityType>(key.first),
                               b.CreateString(key.second), linked_ms));
  }
  std::vector<flatbuffers::Offset<fb::AttributeEntry>> attributes;
  for (const auto& [key, a] : s.attributes)
    attributes.push_back(EncodeAttribute(b, key, a));
  std::vector<flatbuffers::Offset<fb::ConsentEntry>> consents;
  for (const auto& [purpose, c] : s.consents) {
    const fb::Stamp stamp(c.stamp.ts_ms, c.stamp.event_id);
    consents.push_back(fb::CreateConsentEntry(b, b.CreateString(purpose),
                                              &stamp, b.CreateString(c.source),
                                              c.granted));
  }
  const auto customer = b.CreateString(s.customer_id);
  const auto identities_v = identities.empty() ? 0 : b.CreateVector(identities);
  const auto attributes_v = attributes.empty() ? 0 : b.CreateVector(attributes);
  const auto consents_v = consents.empty() ? 0 : b.CreateVector(consents);
  const auto purchases =
      IsEmpty(s.purchases) ? 0 : EncodePurchases(b, s.purchases);
  const auto interactions =
      IsEmpty(s.interactions) ? 0 : EncodeInteractions(b, s.interactions);
  const auto loyalty = IsEmpty(s.loyalty) ? 0 : EncodeLoyalty(b, s.loyalty);
  const bool seen = s.event_count > 0;
  b.Finish(
      fb::CreateProfile(b, customer, seen ? s.first_seen_ms : 0,
                        seen ? s.last_seen_ms : 0, s.event_count, identities_v,
                        attributes_v, consents_v, purchases, interactions,
                        loyalty, s.corrupt_operands, s.last_corrupt_event_id),
      fb::ProfileIdentifier());
  return Release(b);
}

namespace {

using RowOffset = flatbuffers::Offset<fb::BreakdownRow>;
using RowsOffset = flatbuffers::Offset<flatbuffers::Vector<RowOffset>>;

// Writes breakdown rows as FlatBuffers (EncodeFlatBuffers).
class RowWriter {
 public:
  explicit RowWriter(Builder& b) : b_(b) {}

  // `each_money(add)` calls add(currency, gross, discount, returned) in
  // currency order.
  template <typename EachMoney>
  RowOffset Add(std::string_view key, std::int64_t orders, std::int64_t returns,
                std::int64_t units, std::int64_t returned_units,
                std::int64_t first_ms, std::int64_t last_ms,
                EachMoney&& each_money) {
    money_.clear();
    each_money([&](std::string_view currency, std::int64_t gross,
                   std::int64_t discount, std::int64_t returned) {
      money_.push_back(fb::CreateBreakdownMoney(
          b_, b_.CreateString(currency.data(), currency.size()), gross,
          returned, discount));
    });
    const auto key_s = b_.CreateString(key.data(), key.size());
    const auto money_v = money_.empty() ? 0 : b_.CreateVector(money_);
    const bool dated = orders > 0;
    return fb::CreateBreakdownRow(b_, key_s, orders, returns, units,
                                  returned_units, dated ? first_ms : 0,
                                  dated ? last_ms : 0, money_v);
  }

  RowOffset Add(std::string_view key, const BreakdownState& s) {
    return Add(key, s.orders, s.returns, s.units, s.returned_units,
               s.first_purchase_ms, s.last_purchase_ms, [&](auto&& add) {
                 for (const auto& [currency, m] : s.money)
                   add(currency, m.gross_micros, m.discount_micros,
                       m.returned_micros);
               });
  }

  RowsOffset Finish(const std::vector<RowOffset>& rows) {
    return rows.empty() ? 0 : b_.CreateVector(rows);
  }

 private:
  Builder& b_;
  std::vector<flatbuffers::Offset<fb::BreakdownMoney>> money_;
};

RowsOffset EncodeRows(RowWriter& writer, const BreakdownMap& rows) {
  std::vector<RowOffset> out;
  out.reserve(rows.size());
  for (const auto& [key, s] : rows) out.push_back(writer.Add(key, s));
  return writer.Finish(out);
}

}  // namespace

std::string EncodeFlatBuffers(const Breakdowns& s) {
  Builder b(128 +
            96 * (s.products.size() + s.stores.size() + s.categories.size()));
  RowWriter writer(b);
  RowsOffset rows[3];
  for (std::size_t d = 0; d < 3; ++d)
    rows[d] = EncodeRows(writer, s.of(kDimensions[d]));
  b.Finish(
      fb::CreateBreakdowns(b, rows[0], rows[1], rows[2], s.corrupt_operands),
      kBreakdownsIdentifier);
  return Release(b);
}

std::string Encode(const Breakdowns& s) { return codec::EncodeOperand(s); }

void BreakdownsBatch::Add(std::uint32_t customer, const Event& e) {
  const std::uint32_t event = events_++;
  const auto* p = std::get_if<Purchase>(&e.body);
  if (p == nullptr) return;
  ForEachShare(*p, [&](std::uint8_t dimension, std::string_view key,
                       std::int64_t quantity, const Money& m,
                       bool counts_units) {
    const bool positive = quantity > 0;
    lines_.push_back({customer, dimension, key, p->currency, event, positive,
                      counts_units ? (positive ? quantity : -quantity) : 0,
                      positive ? m.gross : m.returned, m.discount, e.ts_ms});
  });
}

std::vector<BreakdownsBatch::CustomerDelta> BreakdownsBatch::Finish() {
  // Sorted, each customer's lines are its rows in encoding order: dimension,
  // key, then currency (a row's money), then event (an order counts once per
  // row however many of its lines share the key). Customers and dimensions
  // are small integers: a counting sort places the lines in buckets of a few
  // each, which are then sorted on their own.
  std::uint32_t customers = 0;
  for (const Line& line : lines_)
    customers = std::max(customers, line.customer + 1);
  std::vector<std::uint32_t> bucket_start(std::size_t{customers} * 3 + 1, 0);
  auto bucket = [](const Line& line) {
    return std::size_t{line.customer} * 3 + line.dimension;
  };
  for (const Line& line : lines_) ++bucket_start[bucket(line) + 1];
  for (std::size_t k = 1; k < bucket_start.size(); ++k)
    bucket_start[k] += bucket_start[k - 1];
  {
    std::vector<Line> placed(lines_.size());
    std::vector<std::uint32_t> next(bucket_start.begin(),
                                    bucket_start.end() - 1);
    for (const Line& line : lines_) placed[next[bucket(line)]++] = line;
    lines_.swap(placed);
  }
  for (std::size_t k = 0; k + 1 < bucket_start.size(); ++k) {
    std::sort(lines_.begin() + bucket_start[k],
              lines_.begin() + bucket_start[k + 1],
              [](const Line& a, const Line& b) {
                return std::tie(a.key, a.currency, a.event) <
                       std::tie(b.key, b.currency, b.event);
              });
  }
  std::vector<CustomerDelta> out;
  const std::size_t n = lines_.size();
  std::size_t i = 0;
  // Whether line i continues the group that line `first` starts, compared on
  // the first `depth` fields of (customer, dimension, key, currency, event).
  auto same = [&](std::size_t first, int depth) {
    const Line& a = lines_[first];
    const Line& l = lines_[i];
    return i < n && l.customer == a.customer &&
           (depth < 2 || l.dimension == a.dimension) &&
           (depth < 3 || l.key == a.key) &&
           (depth < 4 || l.currency == a.currency) &&
           (depth < 5 || l.event == a.event);
  };
  while (i < n) {
    const std::size_t customer_start = i;
    CustomerDelta& delta = out.emplace_back();
    delta.customer = lines_[i].customer;
    while (same(customer_start, 1)) {
      const std::size_t dimension_start = i;
      const Dimension dimension = kDimensions[lines_[i].dimension];
      BreakdownMap& rows = delta.state.of(dimension);
      while (same(dimension_start, 2)) {
        const std::size_t key_start = i;
        const std::string_view key = lines_[i].key;
        // Keys arrive sorted: each row goes at the end of its map.
        BreakdownState& row =
            rows.emplace_hint(rows.end(), std::string(key), BreakdownState())
                ->second;
        while (same(key_start, 3)) {
          const std::size_t currency_start = i;
          BreakdownMoneyAgg& m =
              row.money
                  .emplace_hint(row.money.end(),
                                std::string(lines_[i].currency),
                                BreakdownMoneyAgg())
                  ->second;
          while (same(currency_start, 4)) {
            const std::size_t event_start = i;
            bool positive = false, negative = false;
            for (; same(event_start, 5); ++i) {
              const Line& line = lines_[i];
              if (line.positive) {
                positive = true;
                AddTo(row.units, line.units);
                AddTo(m.gross_micros, line.amount);
                AddTo(m.discount_micros, line.discount);
                MinTo(row.first_purchase_ms, line.ts_ms);
                MaxTo(row.last_purchase_ms, line.ts_ms);
              } else {
                negative = true;
                AddTo(row.returned_units, line.units);
                AddTo(m.returned_micros, line.amount);
              }
            }
            AddTo(row.orders, positive);
            AddTo(row.returns, negative);
          }
        }
        if (dimension == Dimension::kProduct && row.orders > 0)
          delta.ordered_skus.push_back(key);
      }
    }
  }
  lines_.clear();
  events_ = 0;
  return out;
}

absl::StatusOr<ProfileState> DecodeProfile(std::string_view bytes) {
  const AlignedBytes aligned(bytes);
  const fb::Profile* p = VerifiedProfile(aligned.data(), aligned.size());
  if (p == nullptr) return Corrupt("profile fails verification");
  ProfileState s;
  s.customer_id = Str(p->customer_id());
  s.event_count = p->event_count();
  if (s.event_count < 0) return Corrupt("negative event count");
  if (s.event_count > 0) {
    s.first_seen_ms = p->first_seen_ms();
    s.last_seen_ms = p->last_seen_ms();
  }
  if (const auto* v = p->identities()) {
    for (const fb::IdentityLink* link : *v) {
      s.identities[{static_cast<std::uint8_t>(link->type()),
                    Str(link->value())}] = link->linked_ms();
    }
  }
  if (const auto* v = p->attributes()) {
    for (const fb::AttributeEntry* a : *v) {
      absl::StatusOr<AttributeRegisters> regs = DecodeAttribute(a);
      if (!regs.ok()) return regs.status();
      s.attributes[Str(a->key())] = *std::move(regs);
    }
  }
  if (const auto* v = p->consents()) {
    for (const fb::ConsentEntry* c : *v) {
      s.consents[Str(c->purpose())] = {StampOf(c->stamp()), Str(c->source()),
                                       c->granted()};
    }
  }
  if (absl::Status st = DecodePurchases(p->purchases(), s.purchases); !st.ok())
    return st;
  if (absl::Status st = DecodeInteractions(p->interactions(), s.interactions);
      !st.ok())
    return st;
  if (absl::Status st = DecodeLoyalty(p->loyalty(), s.loyalty); !st.ok())
    return st;
  s.corrupt_operands = p->corrupt_operands();
  s.last_corrupt_event_id = p->last_corrupt_event_id();
  if (s.corrupt_operands < 0) return Corrupt("negative corrupt-operand count");
  if (absl::Status st = CheckStamps(s); !st.ok()) return st;
  return s;
}

absl::Status CheckStamps(const ProfileState& s) {
  std::vector<const Stamp*> stamps = {
      &s.interactions.last, &s.loyalty.program.stamp, &s.loyalty.tier.stamp};
  for (const auto& [key, regs] : s.attributes) {
    for (const AttributeRegister& r : regs.values) stamps.push_back(&r.stamp);
    for (const Stamp& r : regs.removals) stamps.push_back(&r);
  }
  for (const auto& [purpose, c] : s.consents) stamps.push_back(&c.stamp);
  for (const Stamp* stamp : stamps) {
    if (stamp->ts_ms < 0) return Corrupt("a stamp before 1970");
  }
  return absl::OkStatus();
}

namespace {

// The root of well-formed breakdowns bytes, or nullptr.
const fb::Breakdowns* VerifiedBreakdowns(const AlignedBytes& aligned) {
  flatbuffers::Verifier verifier(aligned.data(), aligned.size());
  if (aligned.size() < 8 ||
      !flatbuffers::BufferHasIdentifier(aligned.data(),
                                        kBreakdownsIdentifier) ||
      !verifier.VerifyBuffer<fb::Breakdowns>(kBreakdownsIdentifier)) {
    return nullptr;
  }
  return flatbuffers::GetRoot<fb::Breakdowns>(aligned.data());
}

using Rows = flatbuffers::Vector<flatbuffers::Offset<fb::BreakdownRow>>;

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : s->string_view();
}

// The row vectors of a breakdowns value, in schema order (kDimensions).
std::array<const Rows*, 3> RowsOf(const fb::Breakdowns* p) {
  return {p->products(), p->stores(), p->categories()};
}

// One row as state, without checks (DecodeRows and ShapeOf make them).
BreakdownState StateOf(const fb::BreakdownRow* row) {
  BreakdownState s;
  s.orders = row->orders();
  s.returns = row->returns();
  s.units = row->units();
  s.returned_units = row->returned_units();
  if (s.orders > 0) {
    s.first_purchase_ms = row->first_purchase_ms();
    s.last_purchase_ms = row->last_purchase_ms();
  }
  if (const auto* money = row->money()) {
    for (const fb::BreakdownMoney* m : *money) {
      s.money.emplace_hint(
          s.money.end(), View(m->currency()),
          BreakdownMoneyAgg{m->gross_micros(), m->discount_micros(),
                            m->returned_micros()});
    }
  }
  return s;
}

absl::Status DecodeRows(const Rows* rows, BreakdownMap& out) {
  if (rows == nullptr) return absl::OkStatus();
  for (const fb::BreakdownRow* row : *rows) {
    BreakdownState s = StateOf(row);
    if (!NonNegative({s.orders, s.returns, s.units, s.returned_units})) {
      return Corrupt("negative breakdown count");
    }
    for (const auto& [currency, m] : s.money) {
      if (!NonNegative(
              {m.gross_micros, m.discount_micros, m.returned_micros})) {
        return Corrupt("negative breakdown amount");
      }
    }
    if (row->money() != nullptr && s.money.size() != row->money()->size()) {
      return Corrupt("duplicate breakdown currency");
    }
    if (!out.emplace(Str(row->key()), std::move(s)).second) {
      return Corrupt("duplicate breakdown key");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Breakdowns> DecodeBreakdowns(std::string_view bytes) {
  if (codec::IsOperand(bytes)) return codec::DecodeBreakdownsOperand(bytes);
  const AlignedBytes aligned(bytes);
  const fb::Breakdowns* p = VerifiedBreakdowns(aligned);
  if (p == nullptr) return Corrupt("breakdowns fail verification");
  Breakdowns s;
  s.corrupt_operands = p->corrupt_operands();
  if (s.corrupt_operands < 0) return Corrupt("negative corrupt-operand count");
  const std::array<const Rows*, 3> rows = RowsOf(p);
  for (std::size_t d = 0; d < rows.size(); ++d) {
    if (absl::Status st = DecodeRows(rows[d], s.of(kDimensions[d])); !st.ok()) {
      return st;
    }
  }
  return s;
}

namespace {

// What a merge may do with one encoded breakdowns value.
enum class Shape {
  kCorrupt,    // fails DecodeBreakdowns: left out and counted
  kOdd,        // maybe decodes, but rows or currencies are not sorted
  kCanonical,  // decodes, and can be merged row by row as it lies
};

bool Ascending(std::string_view a, std::string_view b) { return a < b; }

Shape ShapeOf(const fb::Breakdowns* p) {
  if (p == nullptr || p->corrupt_operands() < 0) return Shape::kCorrupt;
  Shape shape = Shape::kCanonical;
  for (const Rows* rows : RowsOf(p)) {
    if (rows == nullptr) continue;
    const fb::BreakdownRow* previous = nullptr;
    for (const fb::BreakdownRow* row : *rows) {
      if (!NonNegative({row->orders(), row->returns(), row->units(),
                        row->returned_units()})) {
        return Shape::kCorrupt;
      }
      if (previous != nullptr && row->key() != nullptr &&
          View(previous->key()) == View(row->key())) {
        return Shape::kCorrupt;  // as DecodeBreakdowns finds
      }
      if (row->key() == nullptr ||
          (previous != nullptr &&
           !Ascending(View(previous->key()), View(row->key())))) {
        shape = Shape::kOdd;
      }
      previous = row;
      const auto* money = row->money();
      if (money == nullptr) continue;
      const fb::BreakdownMoney* last = nullptr;
      for (const fb::BreakdownMoney* m : *money) {
        if (!NonNegative({m->gross_micros(), m->discount_micros(),
                          m->returned_micros()})) {
          return Shape::kCorrupt;
        }
        if (last != nullptr && m->currency() != nullptr &&
            View(last->currency()) == View(m->currency())) {
          return Shape::kCorrupt;
        }
        if (m->currency() == nullptr ||
            (last != nullptr &&
             !Ascending(View(last->currency()), View(m->currency())))) {
          shape = Shape::kOdd;
        }
        last = m;
      }
    }
  }
  return shape;
}

}  // namespace

absl::StatusOr<BreakdownMap> DecodeBreakdowns(std::string_view bytes,
                                              Dimension dimension) {
  if (codec::IsOperand(bytes))
    return codec::DecodeBreakdownsDimension(bytes, dimension);
  const AlignedBytes aligned(bytes);
  const fb::Breakdowns* p = VerifiedBreakdowns(aligned);
  if (ShapeOf(p) != Shape::kCanonical) {
    // Corrupt, or rows out of order: the whole decode finds what is wrong.
    absl::StatusOr<Breakdowns> all = DecodeBreakdowns(bytes);
    if (!all.ok()) return all.status();
    return std::move(all->of(dimension));
  }
  BreakdownMap out;
  const std::array<const Rows*, 3> rows = RowsOf(p);
  for (std::size_t d = 0; d < rows.size(); ++d) {
    if (kDimensions[d] != dimension) continue;
    if (absl::Status st = DecodeRows(rows[d], out); !st.ok()) return st;
  }
  return out;
}

namespace {

// Either encoding of a value: merge operands are varint, stored values
// FlatBuffers (codec/operand.h tells them apart).
absl::StatusOr<ProfileState> DecodeAny(std::string_view v, ProfileState*) {
  return codec::IsOperand(v) ? codec::DecodeProfileOperand(v)
                             : DecodeProfile(v);
}
absl::StatusOr<Breakdowns> DecodeAny(std::string_view v, Breakdowns*) {
  return DecodeBreakdowns(v);
}

template <typename State>
std::string EncodeAs(const State& state, Encoding encoding) {
  return encoding == Encoding::kOperand ? codec::EncodeOperand(state)
                                        : Encode(state);
}

// Decodes each value, joins those that decode and counts the others as
// corrupt operands.
template <typename State>
State JoinDecoded(const std::vector<std::string_view>& values) {
  State state;
  for (std::string_view value : values) {
    absl::StatusOr<State> decoded =
        DecodeAny(value, static_cast<State*>(nullptr));
    if (decoded.ok()) {
      Join(state, *decoded);
    } else {
      state.corrupt_operands = SaturatingAdd(state.corrupt_operands, 1);
    }
  }
  return state;
}

}  // namespace

// Stored and operand breakdowns are one encoding. Values all in it (of its
// newest version) are merged row by row as they lie; a FlatBuffers value of
// format 3.1, an older operand or a corrupt one makes the merge decode.
std::string JoinEncoded(const std::vector<std::string_view>& values,
                        Breakdowns*, Encoding) {
  if (std::all_of(values.begin(), values.end(), codec::IsOperand)) {
    if (std::optional<std::string> merged =
            codec::MergeBreakdownsOperands(values))
      return *std::move(merged);
  }
  return Encode(JoinDecoded<Breakdowns>(values));
}

std::string JoinEncoded(const std::vector<std::string_view>& values,
                        ProfileState*, Encoding encoding) {
  return EncodeAs(JoinDecoded<ProfileState>(values), encoding);
}

namespace {

// The products of breakdowns bytes, with the root table and the vector's
// bounds verified but not its rows; nullptr if those fail verification.
const Rows* ShallowProducts(const AlignedBytes& aligned,
                            flatbuffers::Verifier& verifier) {
  if (aligned.size() < 8 || !flatbuffers::BufferHasIdentifier(
                                aligned.data(), kBreakdownsIdentifier)) {
    return nullptr;
  }
  const flatbuffers::uoffset_t root_offset = verifier.VerifyOffset(0);
  if (root_offset == 0) return nullptr;
  // The generated table hides its flatbuffers::Table base; view the root as
  // one, as flatbuffers::GetRoot does, to verify just this field.
  const auto* root =
      reinterpret_cast<const flatbuffers::Table*>(aligned.data() + root_offset);
  if (!root->VerifyTableStart(verifier) ||
      !root->VerifyOffset(verifier, fb::Breakdowns::VT_PRODUCTS)) {
    return nullptr;
  }
  const auto* rows = root->GetPointer<const Rows*>(fb::Breakdowns::VT_PRODUCTS);
  return verifier.VerifyVector(rows) ? rows : nullptr;
}

// Whether `rows` hold an order of `sku`: a binary search that verifies each
// row before reading it. A row that fails verification ends the search.
bool HasOrdered(const Rows& rows, std::string_view sku,
                flatbuffers::Verifier& verifier) {
  flatbuffers::uoffset_t lo = 0, hi = rows.size();
  while (lo < hi) {
    const flatbuffers::uoffset_t mid = lo + (hi - lo) / 2;
    const fb::BreakdownRow* row = rows.Get(mid);
    if (!row->Verify(verifier)) return false;
    const std::string_view key = View(row->key());
    if (key == sku) return row->orders() > 0;
    if (key < sku) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return false;
}

}  // namespace

namespace {

// The SKUs with an order in a compact breakdowns value (sorted): read in
// place if it is of the newest version, else decoded. Empty if it does not
// decode: a value the merge leaves out knows nothing here either.
std::vector<std::string_view> CompactSkus(std::string_view bytes,
                                          std::optional<Breakdowns>& decoded) {
  if (std::optional<std::vector<std::string_view>> skus =
          codec::OrderedSkusInPlace(bytes))
    return *std::move(skus);
  std::vector<std::string_view> out;
  absl::StatusOr<Breakdowns> d = codec::DecodeBreakdownsOperand(bytes);
  if (!d.ok()) return out;
  decoded = *std::move(d);
  for (const auto& [sku, row] : decoded->products) {
    if (row.orders > 0) out.push_back(sku);
  }
  return out;
}

}  // namespace

std::int64_t CountNewProducts(const std::vector<std::string_view>& stored,
                              const std::vector<std::string_view>& skus) {
  std::vector<bool> known(skus.size(), false);
  for (std::string_view bytes : stored) {
    if (codec::IsOperand(bytes)) {
      std::optional<Breakdowns> decoded;
      for (std::string_view sku : CompactSkus(bytes, decoded)) {
        const auto it = std::lower_bound(skus.begin(), skus.end(), sku);
        if (it != skus.end() && *it == sku) known[it - skus.begin()] = true;
      }
      continue;
    }
    const AlignedBytes aligned(bytes);
    flatbuffers::Verifier verifier(aligned.data(), aligned.size());
    const Rows* rows = ShallowProducts(aligned, verifier);
    if (rows == nullptr) continue;
    for (std::size_t i = 0; i < skus.size(); ++i) {
      if (!known[i]) known[i] = HasOrdered(*rows, skus[i], verifier);
    }
  }
  return std::count(known.begin(), known.end(), false);
}

std::vector<std::string> OrderedSkus(
    const std::vector<std::string_view>& stored) {
  std::vector<std::string> out;
  for (std::string_view bytes : stored) {
    if (codec::IsOperand(bytes)) {
      std::optional<Breakdowns> decoded;
      for (std::string_view sku : CompactSkus(bytes, decoded))
        out.emplace_back(sku);
      continue;
    }
    const AlignedBytes aligned(bytes);
    const fb::Breakdowns* p = VerifiedBreakdowns(aligned);
    // A value the merge leaves out knows nothing here either.
    if (ShapeOf(p) == Shape::kCorrupt || p->products() == nullptr) continue;
    for (const fb::BreakdownRow* row : *p->products()) {
      if (row->orders() > 0) out.emplace_back(View(row->key()));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ckm::fold
