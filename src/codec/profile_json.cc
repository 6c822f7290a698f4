// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Profile::ToJson: the profile as one JSON object with stable field names.
// Amounts are exact decimal strings (never floats); times are ISO 8601 UTC.

#include "codec/profile_json.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "ckm/money.h"
#include "ckm/profile.h"
#include "codec/json.h"

namespace ckm {

void codec::WriteIdentityLinks(const std::vector<IdentityLink>& links,
                               json::Writer& w) {
  w.Key("identities").BeginArray();
  for (const IdentityLink& link : links) {
    w.BeginObject();
    w.Key("type").String(ToString(link.type));
    w.Key("value").String(link.value);
    w.Key("linked").Time(link.linked_ms);
    w.EndObject();
  }
  w.EndArray();
}

std::string Profile::ToJson(std::int64_t now_ms) const {
  json::Writer w;
  w.BeginObject();
  w.Key("customer_id").String(customer_id());
  w.Key("first_seen").Time(first_seen_ms());
  w.Key("last_seen").Time(last_seen_ms());
  w.Key("event_count").Int(event_count());

  codec::WriteIdentityLinks(identities(), w);

  w.Key("attributes").BeginObject();
  for (const AttributeState& a : attributes()) {
    w.Key(a.key).BeginObject();
    w.Key("value");
    if (const auto* s = std::get_if<std::string>(&a.value)) w.String(*s);
    if (const auto* i = std::get_if<std::int64_t>(&a.value)) w.Int(*i);
    if (const auto* b = std::get_if<bool>(&a.value)) w.Bool(*b);
    w.Key("set").Time(a.ts_ms);
    w.Key("source").String(a.source);
    w.Key("provenance").String(ToString(a.provenance));
    w.Key("confidence").Int(a.confidence);
    w.EndObject();
  }
  w.EndObject();

  w.Key("consents").BeginObject();
  for (const ConsentState& c : consents()) {
    w.Key(c.purpose).BeginObject();
    w.Key("granted").Bool(c.granted);
    w.Key("set").Time(c.ts_ms);
    w.Key("source").String(c.source);
    w.EndObject();
  }
  w.EndObject();

  const PurchaseSummary p = purchases();
  w.Key("purchases").BeginObject();
  w.Key("orders").Int(p.orders);
  w.Key("returns").Int(p.returns);
  w.Key("lines").Int(p.lines);
  w.Key("returned_lines").Int(p.returned_lines);
  w.Key("units").Int(p.units);
  w.Key("returned_units").Int(p.returned_units);
  w.Key("distinct_products").Int(p.distinct_products);
  w.Key("first_purchase").OptionalTime(p.first_purchase_ms);
  w.Key("last_purchase").OptionalTime(p.last_purchase_ms);
  w.Key("mean_interpurchase_days").OptionalDays(mean_interpurchase_ms());
  w.Key("expected_next_purchase").OptionalTime(expected_next_purchase_ms());
  w.Key("recency_days").OptionalDays(recency_ms(now_ms));
  w.Key("by_currency").BeginObject();
  for (const CurrencyTotals& c : p.by_currency) {
    w.Key(c.currency).BeginObject();
    w.Key("orders").Int(c.orders);
    w.Key("gross").String(FormatMicros(c.gross_micros));
    w.Key("discount").String(FormatMicros(c.discount_micros));
    w.Key("returned").String(FormatMicros(c.returned_micros));
    w.Key("net").String(FormatMicros(c.net_micros()));
    w.Key("largest_order").String(FormatMicros(c.largest_order_micros));
    const auto aov = c.average_order_value_micros();
    w.Key("average_order_value");
    if (aov) {
      w.String(FormatMicros(*aov));
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndObject();
  w.Key("by_channel").BeginArray();
  for (const ChannelTotals& c : p.by_channel) {
    w.BeginObject();
    w.Key("channel").String(ToString(c.channel));
    w.Key("currency").String(c.currency);
    w.Key("orders").Int(c.orders);
    w.Key("gross").String(FormatMicros(c.gross_micros));
    w.Key("discount").String(FormatMicros(c.discount_micros));
    w.Key("returned").String(FormatMicros(c.returned_micros));
    w.Key("net").String(FormatMicros(c.net_micros()));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  const Rfm r = rfm(now_ms);
  w.Key("rfm").BeginObject();
  w.Key("recency_days").OptionalDays(r.recency_ms);
  w.Key("frequency").Int(r.frequency);
  w.Key("currency").String(r.currency);
  w.Key("monetary").String(FormatMicros(r.monetary_micros));
  w.EndObject();

  const InteractionSummary i = interactions();
  w.Key("interactions").BeginObject();
  w.Key("count").Int(i.count);
  w.Key("by_channel").BeginObject();
  for (int k = 0; k < kChannelCount; ++k) {
    if (i.by_channel[k] != 0)
      w.Key(ToString(static_cast<Channel>(k))).Int(i.by_channel[k]);
  }
  w.EndObject();
  w.Key("by_kind").BeginObject();
  for (int k = 1; k < kInteractionKindCount; ++k) {
    if (i.by_kind[k] != 0)
      w.Key(ToString(static_cast<InteractionKind>(k))).Int(i.by_kind[k]);
  }
  w.EndObject();
  w.Key("total_duration_s").Int(i.total_duration_s);
  w.Key("last").OptionalTime(i.last_ms);
  w.Key("last_channel");
  if (i.last_ms) {
    w.String(ToString(i.last_channel));
  } else {
    w.Null();
  }
  w.Key("average_sentiment").OptionalDouble(average_sentiment());
  w.Key("average_rating").OptionalDouble(average_rating());
  w.Key("nps").OptionalDouble(nps());
  w.Key("promoters").Int(i.promoters);
  w.Key("passives").Int(i.passives);
  w.Key("detractors").Int(i.detractors);
  w.EndObject();

  const LoyaltySummary l = loyalty();
  w.Key("loyalty").BeginObject();
  w.Key("enrolled").OptionalTime(l.enrolled_ms);
  w.Key("program").String(l.program);
  w.Key("balance").Int(l.balance());
  w.Key("earned").Int(l.earned);
  w.Key("redeemed").Int(l.redeemed);
  w.Key("expired").Int(l.expired);
  w.Key("adjusted_up").Int(l.adjusted_up);
  w.Key("adjusted_down").Int(l.adjusted_down);
  w.Key("tier").String(l.tier);
  w.Key("tier_since").OptionalTime(l.tier_since_ms);
  w.EndObject();

  if (!redacted().empty()) {  // only then, so that other output is unchanged
    w.Key("redacted").BeginArray();
    for (DataPart part : redacted()) w.String(ToString(part));
    w.EndArray();
  }

  w.Key("health").BeginObject();
  w.Key("corrupt_operands").Int(corrupt_operands());
  w.Key("saturated").Bool(saturated());
  w.EndObject();
  w.EndObject();
  return w.Take();
}

}  // namespace ckm
