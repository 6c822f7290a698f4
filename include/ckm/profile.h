// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Profile: a customer's 360-degree profile, read in place from its verified
// FlatBuffer bytes (schemas/profile.fbs).
//
// Thread safety: a Profile is an immutable value; const methods may be called
// from many threads at once. It owns its bytes, so it stays valid after the
// Store that produced it changes or is closed. string_views returned by its
// accessors are valid as long as the Profile is alive and not moved from.
//
// Stored fields are folds of the customer's events (sums, counts, minima,
// maxima and last-writer-wins registers ordered by (ts_ms, event id)), so they
// do not depend on the order in which events arrived. Derived figures (means,
// NPS, RFM, ...) are computed on each call and never stored.
//
// Money sums never wrap: a sum that would pass the int64 range stays at
// INT64_MAX and saturated() reports it. Derived figures saturate as well,
// whatever bytes they are computed from.

#ifndef CKM_PROFILE_H_
#define CKM_PROFILE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ckm/access.h"
#include "ckm/event.h"

namespace ckm {

struct IdentityLink {
  IdentityType type = IdentityType::kEmail;
  std::string value;
  std::int64_t linked_ms = 0;  // earliest link event
};

// The current value of one attribute and the write that set it.
struct AttributeState {
  std::string key;
  AttributeValue value;
  std::int64_t ts_ms = 0;
  std::uint64_t event_id = 0;
  std::string source;
  Provenance provenance = Provenance::kExpressed;
  int confidence = 0;
};

// A removal of an attribute and the write that made it.
struct AttributeRemoval {
  std::int64_t ts_ms = 0;
  std::uint64_t event_id = 0;
  Provenance provenance = Provenance::kExpressed;
};

// Everything held on one attribute: the latest value of each provenance,
// expressed, imported, then implied (the order of precedence), and the
// latest removal of each provenance.
struct AttributeLayers {
  std::string key;
  std::vector<AttributeState> values;
  std::vector<AttributeRemoval> removals;
};

// The value of `layers` in effect: the first of expressed, imported and
// implied (an implied one only at confidence >= min_implied_confidence)
// that no removal of the same or a higher provenance is newer than, by
// (ts_ms, event id). nullopt if none is.
std::optional<AttributeState> EffectiveValue(
    const AttributeLayers& layers,
    int min_implied_confidence = kMinImpliedConfidence);

// The current consent for one purpose and the write that set it.
struct ConsentState {
  std::string purpose;
  bool granted = false;
  std::int64_t ts_ms = 0;
  std::uint64_t event_id = 0;
  std::string source;
};

// Purchase money in one currency. All amounts are in micros and >= 0.
struct CurrencyTotals {
  std::string currency;
  std::int64_t orders = 0;                // events with a positive line
  std::int64_t gross_micros = 0;          // amounts of positive lines
  std::int64_t discount_micros = 0;       // their line and order discounts
  std::int64_t returned_micros = 0;       // refunded on negative lines
  std::int64_t largest_order_micros = 0;  // largest gross of one order
  // gross - discount - returned: what the customer spent net of discounts
  // and returns.
  std::int64_t net_micros() const;
  // net / orders, truncated towards zero; nullopt without orders.
  std::optional<std::int64_t> average_order_value_micros() const;
};

// Purchases through one channel in one currency.
struct ChannelTotals {
  Channel channel = Channel::kUnspecified;
  std::string currency;
  std::int64_t orders = 0;
  std::int64_t gross_micros = 0;
  std::int64_t discount_micros = 0;
  std::int64_t returned_micros = 0;
  std::int64_t net_micros() const;  // gross - discount - returned
};

struct PurchaseSummary {
  std::int64_t orders = 0;             // events with a positive line
  std::int64_t returns = 0;            // events with a negative line
  std::int64_t lines = 0;              // every line, positive or negative
  std::int64_t returned_lines = 0;     // negative lines
  std::int64_t units = 0;              // sum of positive quantities
  std::int64_t returned_units = 0;     // sum of |negative quantities|
  std::int64_t distinct_products = 0;  // SKUs with a positive line
  // Earliest and latest order (event with a positive line); unset without
  // orders.
  std::optional<std::int64_t> first_purchase_ms;
  std::optional<std::int64_t> last_purchase_ms;
  std::vector<CurrencyTotals> by_currency;  // sorted by currency
  std::vector<ChannelTotals> by_channel;    // sorted by (channel, currency)
};

struct InteractionSummary {
  std::int64_t count = 0;
  std::array<std::int64_t, kChannelCount> by_channel{};       // index: Channel
  std::array<std::int64_t, kInteractionKindCount> by_kind{};  // index: kind
  std::int64_t total_duration_s = 0;
  // The latest interaction, by (ts_ms, event id); unset without any.
  std::optional<std::int64_t> last_ms;
  Channel last_channel = Channel::kUnspecified;
  std::optional<InteractionKind> last_kind;
  std::int64_t sentiment_sum = 0;
  std::int64_t sentiment_count = 0;
  std::int64_t rating_sum = 0;
  std::int64_t rating_count = 0;
  std::int64_t promoters = 0;   // ratings 9..10
  std::int64_t passives = 0;    // ratings 7..8
  std::int64_t detractors = 0;  // ratings 0..6
};

struct LoyaltySummary {
  std::optional<std::int64_t> enrolled_ms;  // earliest enrolment
  std::string program;                      // latest write wins
  std::int64_t earned = 0;
  std::int64_t redeemed = 0;
  std::int64_t expired = 0;
  std::int64_t adjusted_up = 0;
  std::int64_t adjusted_down = 0;
  std::string tier;                           // latest write wins
  std::optional<std::int64_t> tier_since_ms;  // when the current tier was set
  // earned + adjusted_up - redeemed - expired - adjusted_down.
  std::int64_t balance() const;
};

// Recency, frequency and monetary value: the three inputs of RFM scoring.
struct Rfm {
  std::optional<std::int64_t> recency_ms;  // Profile::recency_ms(now)
  std::int64_t frequency = 0;              // orders
  std::string currency;  // the currency with the most orders (ties: the
                         // smaller code); empty without purchases
  std::int64_t monetary_micros = 0;  // net spend in that currency
};

class Profile {
 public:
  // Wraps bytes read from a store or file, after verifying them. Returns
  // DataLoss if they are not a well-formed profile.
  [[nodiscard]] static absl::StatusOr<Profile> FromBytes(std::string bytes);

  Profile(const Profile&) = default;
  Profile& operator=(const Profile&) = default;
  Profile(Profile&&) = default;
  Profile& operator=(Profile&&) = default;

  // --- Identity ---
  std::string_view customer_id() const;
  std::int64_t first_seen_ms() const;            // earliest event of any kind
  std::int64_t last_seen_ms() const;             // latest event of any kind
  std::int64_t event_count() const;              // events recorded, each once
  std::vector<IdentityLink> identities() const;  // sorted by (type, value)

  // --- Attributes (see Attribute in ckm/event.h) ---
  // The values in effect (EffectiveValue), sorted by key. Attributes with
  // none are left out.
  std::vector<AttributeState> attributes(
      int min_implied_confidence = kMinImpliedConfidence) const;
  std::optional<AttributeState> attribute(
      std::string_view key,
      int min_implied_confidence = kMinImpliedConfidence) const;
  // Every value and removal held, of every attribute, sorted by key.
  std::vector<AttributeLayers> attribute_layers() const;

  // --- Consents (latest write wins) ---
  std::vector<ConsentState> consents() const;  // sorted by purpose
  std::optional<ConsentState> consent(std::string_view purpose) const;

  // --- Purchases, interactions, loyalty ---
  PurchaseSummary purchases() const;
  InteractionSummary interactions() const;
  LoyaltySummary loyalty() const;

  // --- Health ---
  // Merge operands or stored bases that failed verification and were left out
  // of this profile (see docs/design.md). Non-zero means the profile is
  // incomplete: Store::Verify() flags it and Store::Rebuild() repairs it.
  std::int64_t corrupt_operands() const;
  // Id of the last event known to be in a corrupt operand, 0 if unknown.
  std::uint64_t last_corrupt_event_id() const;
  // True if a money or points sum reached INT64_MAX and stopped there.
  bool saturated() const;

  // --- Derived at read time ---
  // (last - first) / (orders - 1); nullopt with fewer than two orders.
  std::optional<std::int64_t> mean_interpurchase_ms() const;
  // last purchase + mean inter-purchase interval; nullopt likewise.
  std::optional<std::int64_t> expected_next_purchase_ms() const;
  // Milliseconds from the last purchase to now_ms; nullopt without orders.
  // Never negative: a last purchase dated after now_ms counts as made at
  // now_ms (recency 0). Compare purchases().last_purchase_ms with now_ms to
  // tell such a profile apart.
  std::optional<std::int64_t> recency_ms(std::int64_t now_ms) const;
  // Recency, frequency and monetary value as of now_ms.
  Rfm rfm(std::int64_t now_ms) const;
  // Net Promoter Score, -100..100: (promoters - detractors) * 100 / ratings;
  // nullopt without ratings.
  std::optional<double> nps() const;
  std::optional<double> average_sentiment() const;  // -100..100
  std::optional<double> average_rating() const;     // 0..10

  // The profile as one JSON object (stable field names, amounts as exact
  // decimal strings, times as ISO 8601 UTC). `now_ms` feeds recency.
  std::string ToJson(std::int64_t now_ms) const;

  // The verified FlatBuffer bytes (schemas/profile.fbs).
  std::string_view bytes() const { return bytes_; }

  // The parts an access policy withheld from this profile (ckm/access.h):
  // they are missing from it. Empty without a policy. Sorted.
  const std::vector<DataPart>& redacted() const { return redacted_; }

  // A profile whose parts `redacted` were left out of `bytes` by an access
  // policy. For the store; DataLoss as FromBytes.
  [[nodiscard]] static absl::StatusOr<Profile> FromRedactedBytes(
      std::string bytes, std::vector<DataPart> redacted);

 private:
  explicit Profile(std::string bytes) : bytes_(std::move(bytes)) {}
  const void* root() const;
  std::string bytes_;
  std::vector<DataPart> redacted_;
};

}  // namespace ckm

#endif  // CKM_PROFILE_H_
