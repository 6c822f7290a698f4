// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "ckm/profile.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "absl/status/status.h"
#include "ckm/query.h"
#include "codec/profile_verify.h"
#include "fold/attribute_value.h"
#include "fold/fold.h"
#include "profile_generated.h"

namespace ckm {
namespace {

namespace fb = ::ckm::fb;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

std::string Str(const flatbuffers::String* s) {
  return s ? s->str() : std::string();
}
// Verified buffers may still lack optional fields: never dereference blindly.
std::string_view View(const flatbuffers::String* s) {
  return s ? std::string_view(s->data(), s->size()) : std::string_view();
}

std::optional<std::int64_t> MeanInterval(std::int64_t orders,
                                         std::int64_t first,
                                         std::int64_t last) {
  if (orders < 2) return std::nullopt;
  return fold::SaturatingSub(last, first) / (orders - 1);
}

// One value of an attribute: an AttributeEntry's own fields or one of its
// AttributeWrites.
template <typename Write>
AttributeState ToAttribute(std::string_view key, const Write* a) {
  AttributeState out;
  out.key = std::string(key);
  // An unknown type cannot pass the fold's decoder; show its text if any.
  out.value =
      FromStored(a->value_type(), View(a->string_value()), a->int_value())
          .value_or(AttributeValue(Str(a->string_value())));
  if (a->stamp()) {
    out.ts_ms = a->stamp()->ts_ms();
    out.event_id = a->stamp()->event_id();
  }
  out.source = Str(a->source());
  out.provenance = static_cast<Provenance>(a->provenance());
  out.confidence = a->confidence();
  return out;
}

// Order of precedence: expressed, imported, implied.
int Rank(Provenance p) {
  switch (p) {
    case Provenance::kExpressed:
      return 0;
    case Provenance::kImported:
      return 1;
    default:
      return 2;
  }
}

AttributeLayers ToLayers(const fb::AttributeEntry* a) {
  AttributeLayers out;
  out.key = Str(a->key());
  if (a->stamp() != nullptr) out.values.push_back(ToAttribute(out.key, a));
  if (const auto* others = a->others()) {
    for (const fb::AttributeWrite* w : *others)
      out.values.push_back(ToAttribute(out.key, w));
  }
  std::sort(out.values.begin(), out.values.end(),
            [](const AttributeState& x, const AttributeState& y) {
              return Rank(x.provenance) < Rank(y.provenance);
            });
  if (const auto* removals = a->removals()) {
    for (flatbuffers::uoffset_t i = 0; i < removals->size(); ++i) {
      const fb::Stamp* r = removals->Get(i);
      if (r->ts_ms() == 0 && r->event_id() == 0) continue;
      out.removals.push_back(
          {r->ts_ms(), r->event_id(), static_cast<Provenance>(i + 1)});
    }
  }
  return out;
}

ConsentState ToConsent(const fb::ConsentEntry* c) {
  ConsentState out;
  out.purpose = Str(c->purpose());
  out.granted = c->granted();
  if (c->stamp()) {
    out.ts_ms = c->stamp()->ts_ms();
    out.event_id = c->stamp()->event_id();
  }
  out.source = Str(c->source());
  return out;
}

}  // namespace

std::int64_t CurrencyTotals::net_micros() const {
  return fold::NetMicros(gross_micros, discount_micros, returned_micros);
}

std::int64_t ChannelTotals::net_micros() const {
  return fold::NetMicros(gross_micros, discount_micros, returned_micros);
}

std::int64_t BreakdownMoney::net_micros() const {
  return fold::NetMicros(gross_micros, discount_micros, returned_micros);
}

std::optional<std::int64_t> CurrencyTotals::average_order_value_micros() const {
  if (orders <= 0) return std::nullopt;
  return net_micros() / orders;
}

std::int64_t LoyaltySummary::balance() const {
  // Each term is >= 0; the sums saturate instead of wrapping.
  const std::int64_t plus = fold::SaturatingAdd(earned, adjusted_up);
  const std::int64_t minus = fold::SaturatingAdd(
      fold::SaturatingAdd(redeemed, expired), adjusted_down);
  return fold::SaturatingSub(plus, minus);
}

std::optional<std::int64_t> BreakdownEntry::mean_interval_ms() const {
  if (!first_purchase_ms || !last_purchase_ms) return std::nullopt;
  return MeanInterval(orders, *first_purchase_ms, *last_purchase_ms);
}

std::optional<std::int64_t> BreakdownEntry::expected_next_purchase_ms() const {
  const std::optional<std::int64_t> interval = mean_interval_ms();
  if (!interval) return std::nullopt;
  return fold::SaturatingAdd(*last_purchase_ms, *interval);
}

absl::StatusOr<Profile> Profile::FromBytes(std::string bytes) {
  // A std::string's bytes start 8-byte aligned (heap or in-object buffer).
  if (VerifiedProfile(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                      bytes.size()) == nullptr) {
    return absl::DataLossError("stored profile fails verification");
  }
  return Profile(std::move(bytes));
}

absl::StatusOr<Profile> Profile::FromRedactedBytes(
    std::string bytes, std::vector<DataPart> redacted) {
  absl::StatusOr<Profile> profile = FromBytes(std::move(bytes));
  if (profile.ok()) profile->redacted_ = std::move(redacted);
  return profile;
}

const void* Profile::root() const { return fb::GetProfile(bytes_.data()); }

#define CKM_ROOT static_cast<const fb::Profile*>(root())

std::string_view Profile::customer_id() const {
  return View(CKM_ROOT->customer_id());
}
std::int64_t Profile::first_seen_ms() const {
  return CKM_ROOT->first_seen_ms();
}
std::int64_t Profile::last_seen_ms() const { return CKM_ROOT->last_seen_ms(); }
std::int64_t Profile::event_count() const { return CKM_ROOT->event_count(); }

std::vector<IdentityLink> Profile::identities() const {
  std::vector<IdentityLink> out;
  if (const auto* v = CKM_ROOT->identities()) {
    for (const fb::IdentityLink* link : *v) {
      out.push_back({static_cast<IdentityType>(link->type()),
                     Str(link->value()), link->linked_ms()});
    }
  }
  return out;
}

std::optional<AttributeState> EffectiveValue(const AttributeLayers& layers,
                                             int min_implied_confidence) {
  for (const AttributeState& v : layers.values) {  // by precedence
    if (v.provenance == Provenance::kImplied &&
        v.confidence < min_implied_confidence) {
      continue;
    }
    const bool removed = std::any_of(
        layers.removals.begin(), layers.removals.end(),
        [&](const AttributeRemoval& r) {
          return Rank(r.provenance) <= Rank(v.provenance) &&
                 std::tie(r.ts_ms, r.event_id) > std::tie(v.ts_ms, v.event_id);
        });
    if (!removed) return v;
  }
  return std::nullopt;
}

std::vector<AttributeState> Profile::attributes(
    int min_implied_confidence) const {
  std::vector<AttributeState> out;
  if (const auto* v = CKM_ROOT->attributes()) {
    for (const fb::AttributeEntry* a : *v) {
      if (auto value = EffectiveValue(ToLayers(a), min_implied_confidence))
        out.push_back(*std::move(value));
    }
  }
  return out;
}

std::vector<AttributeLayers> Profile::attribute_layers() const {
  std::vector<AttributeLayers> out;
  if (const auto* v = CKM_ROOT->attributes()) {
    for (const fb::AttributeEntry* a : *v) out.push_back(ToLayers(a));
  }
  return out;
}

std::optional<AttributeState> Profile::attribute(
    std::string_view key, int min_implied_confidence) const {
  const auto* v = CKM_ROOT->attributes();
  if (v == nullptr) return std::nullopt;
  // Sorted by key (canonical encoding): binary search.
  auto it =
      std::lower_bound(v->begin(), v->end(), key,
                       [](const fb::AttributeEntry* a, std::string_view k) {
                         return View(a->key()) < k;
                       });
  if (it == v->end() || View(it->key()) != key) return std::nullopt;
  return EffectiveValue(ToLayers(*it), min_implied_confidence);
}

std::vector<ConsentState> Profile::consents() const {
  std::vector<ConsentState> out;
  if (const auto* v = CKM_ROOT->consents()) {
    for (const fb::ConsentEntry* c : *v) out.push_back(ToConsent(c));
  }
  return out;
}

std::optional<ConsentState> Profile::consent(std::string_view purpose) const {
  const auto* v = CKM_ROOT->consents();
  if (v == nullptr) return std::nullopt;
  auto it = std::lower_bound(v->begin(), v->end(), purpose,
                             [](const fb::ConsentEntry* c, std::string_view k) {
                               return View(c->purpose()) < k;
                             });
  if (it == v->end() || View(it->purpose()) != purpose) return std::nullopt;
  return ToConsent(*it);
}

PurchaseSummary Profile::purchases() const {
  PurchaseSummary out;
  const fb::PurchaseStats* p = CKM_ROOT->purchases();
  if (p == nullptr) return out;
  out.orders = p->orders();
  out.returns = p->returns();
  out.lines = p->lines();
  out.returned_lines = p->returned_lines();
  out.units = p->units();
  out.returned_units = p->returned_units();
  out.distinct_products = p->distinct_products();
  if (out.orders > 0) {
    out.first_purchase_ms = p->first_purchase_ms();
    out.last_purchase_ms = p->last_purchase_ms();
  }
  if (const auto* v = p->by_currency()) {
    for (const fb::CurrencyTotals* c : *v) {
      CurrencyTotals& t = out.by_currency.emplace_back();
      t.currency = Str(c->currency());
      t.orders = c->orders();
      t.gross_micros = c->gross_micros();
      t.discount_micros = c->discount_micros();
      t.returned_micros = c->returned_micros();
      t.largest_order_micros = c->largest_order_micros();
    }
  }
  if (const auto* v = p->by_channel()) {
    for (const fb::ChannelTotals* c : *v) {
      ChannelTotals& t = out.by_channel.emplace_back();
      t.channel = static_cast<Channel>(c->channel());
      t.currency = Str(c->currency());
      t.orders = c->orders();
      t.gross_micros = c->gross_micros();
      t.discount_micros = c->discount_micros();
      t.returned_micros = c->returned_micros();
    }
  }
  return out;
}

InteractionSummary Profile::interactions() const {
  InteractionSummary out;
  const fb::InteractionStats* i = CKM_ROOT->interactions();
  if (i == nullptr) return out;
  out.count = i->count();
  if (const auto* v = i->by_channel()) {
    for (flatbuffers::uoffset_t k = 0;
         k < v->size() && k < out.by_channel.size(); ++k) {
      out.by_channel[k] = v->Get(k);
    }
  }
  if (const auto* v = i->by_kind()) {
    for (flatbuffers::uoffset_t k = 0; k < v->size() && k < out.by_kind.size();
         ++k) {
      out.by_kind[k] = v->Get(k);
    }
  }
  out.total_duration_s = i->total_duration_s();
  if (out.count > 0 && i->last()) {
    out.last_ms = i->last()->ts_ms();
    out.last_channel = static_cast<Channel>(i->last_channel());
    out.last_kind = static_cast<InteractionKind>(i->last_kind());
  }
  out.sentiment_sum = i->sentiment_sum();
  out.sentiment_count = i->sentiment_count();
  out.rating_sum = i->rating_sum();
  out.rating_count = i->rating_count();
  out.promoters = i->promoters();
  out.passives = i->passives();
  out.detractors = i->detractors();
  return out;
}

LoyaltySummary Profile::loyalty() const {
  LoyaltySummary out;
  const fb::LoyaltyStats* l = CKM_ROOT->loyalty();
  if (l == nullptr) return out;
  if (l->has_enrolled()) out.enrolled_ms = l->enrolled_ms();
  out.program = Str(l->program());
  out.earned = l->earned();
  out.redeemed = l->redeemed();
  out.expired = l->expired();
  out.adjusted_up = l->adjusted_up();
  out.adjusted_down = l->adjusted_down();
  out.tier = Str(l->tier());
  if (l->tier_stamp()) out.tier_since_ms = l->tier_stamp()->ts_ms();
  return out;
}

std::int64_t Profile::corrupt_operands() const {
  return CKM_ROOT->corrupt_operands();
}
std::uint64_t Profile::last_corrupt_event_id() const {
  return CKM_ROOT->last_corrupt_event_id();
}

bool Profile::saturated() const {
  const fb::Profile* p = CKM_ROOT;
  if (const fb::PurchaseStats* ps = p->purchases()) {
    if (ps->units() == kMax || ps->returned_units() == kMax) return true;
    if (const auto* v = ps->by_currency()) {
      for (const fb::CurrencyTotals* c : *v) {
        if (c->gross_micros() == kMax || c->discount_micros() == kMax ||
            c->returned_micros() == kMax)
          return true;
      }
    }
  }
  if (const fb::LoyaltyStats* l = p->loyalty()) {
    for (std::int64_t v : {l->earned(), l->redeemed(), l->expired(),
                           l->adjusted_up(), l->adjusted_down()}) {
      if (v == kMax) return true;
    }
  }
  return false;
}

std::optional<std::int64_t> Profile::mean_interpurchase_ms() const {
  const fb::PurchaseStats* p = CKM_ROOT->purchases();
  if (p == nullptr) return std::nullopt;
  return MeanInterval(p->orders(), p->first_purchase_ms(),
                      p->last_purchase_ms());
}

std::optional<std::int64_t> Profile::expected_next_purchase_ms() const {
  const std::optional<std::int64_t> interval = mean_interpurchase_ms();
  if (!interval) return std::nullopt;
  return fold::SaturatingAdd(CKM_ROOT->purchases()->last_purchase_ms(),
                             *interval);
}

std::optional<std::int64_t> Profile::recency_ms(std::int64_t now_ms) const {
  const fb::PurchaseStats* p = CKM_ROOT->purchases();
  if (p == nullptr || p->orders() <= 0) return std::nullopt;
  // A purchase dated after now_ms (a skewed clock, a mistyped year) counts
  // as made at now_ms: recency is never negative (docs/reading.md).
  return std::max<std::int64_t>(
      0, fold::SaturatingSub(now_ms, p->last_purchase_ms()));
}

Rfm Profile::rfm(std::int64_t now_ms) const {
  Rfm out;
  out.recency_ms = recency_ms(now_ms);
  const fb::PurchaseStats* p = CKM_ROOT->purchases();
  if (p == nullptr) return out;
  out.frequency = p->orders();
  const fb::CurrencyTotals* main = nullptr;
  if (const auto* v = p->by_currency()) {
    for (const fb::CurrencyTotals* c : *v) {  // sorted by code: first wins ties
      if (main == nullptr || c->orders() > main->orders()) main = c;
    }
  }
  if (main != nullptr) {
    out.currency = Str(main->currency());
    out.monetary_micros = fold::NetMicros(
        main->gross_micros(), main->discount_micros(), main->returned_micros());
  }
  return out;
}

std::optional<double> Profile::nps() const {
  const fb::InteractionStats* i = CKM_ROOT->interactions();
  if (i == nullptr || i->rating_count() <= 0) return std::nullopt;
  return 100.0 *
         (static_cast<double>(i->promoters()) -
          static_cast<double>(i->detractors())) /
         static_cast<double>(i->rating_count());
}

std::optional<double> Profile::average_sentiment() const {
  const fb::InteractionStats* i = CKM_ROOT->interactions();
  if (i == nullptr || i->sentiment_count() <= 0) return std::nullopt;
  return static_cast<double>(i->sentiment_sum()) /
         static_cast<double>(i->sentiment_count());
}

std::optional<double> Profile::average_rating() const {
  const fb::InteractionStats* i = CKM_ROOT->interactions();
  if (i == nullptr || i->rating_count() <= 0) return std::nullopt;
  return static_cast<double>(i->rating_sum()) /
         static_cast<double>(i->rating_count());
}

#undef CKM_ROOT

}  // namespace ckm
