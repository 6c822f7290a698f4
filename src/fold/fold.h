// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The fold: profile and breakdown state, and the one pure function that
// combines them. Everything here is free of I/O and RocksDB so that the laws
// the store relies on (commutative, associative, idempotent identity element)
// can be tested directly.
//
// A ProfileState is a join-semilattice-like value built only from sums,
// counts, minima, maxima and last-writer-wins registers ordered by
// (ts_ms, event_id). Join(a, b) == Join(b, a) and Join(Join(a, b), c) ==
// Join(a, Join(b, c)); the default-constructed state is the identity. Encode()
// is canonical: equal states give equal bytes.
//
// Money and points sums hold non-negative values only (returns, redemptions
// and downward adjustments have sums of their own), so saturating addition at
// INT64_MAX keeps the laws: a sum never wraps.

#ifndef CKM_SRC_FOLD_FOLD_H_
#define CKM_SRC_FOLD_FOLD_H_

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ckm/event.h"
#include "ckm/query.h"
#include "fold/attribute_value.h"

namespace ckm::fold {

inline constexpr std::int64_t kNoMin = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::min();

// The order of last-writer-wins registers. (0, 0) is below every real event.
struct Stamp {
  std::int64_t ts_ms = 0;
  std::uint64_t event_id = 0;
  bool empty() const { return ts_ms == 0 && event_id == 0; }
  friend bool operator<(const Stamp& a, const Stamp& b) {
    return std::tie(a.ts_ms, a.event_id) < std::tie(b.ts_ms, b.event_id);
  }
  friend bool operator==(const Stamp& a, const Stamp& b) {
    return a.ts_ms == b.ts_ms && a.event_id == b.event_id;
  }
};

struct AttributeRegister {
  Stamp stamp;
  std::string source;
  StoredAttributeValue value;
  std::uint8_t provenance = 0;
  std::uint8_t confidence = 0;
  auto Tie() const {
    return std::tie(stamp.ts_ms, stamp.event_id, source, value.type, value.text,
                    value.number, provenance, confidence);
  }
};

// Attribute values and removals of each provenance, indexed by
// Provenance's value - 1 (expressed, implied, imported).
inline constexpr int kProvenanceCount = 3;

// One attribute's writes: the latest value and the latest removal of each
// provenance. Each only moves forward, so their join is order-free; which
// value is in effect is decided when the profile is read
// (codec/profile.cc).
struct AttributeRegisters {
  std::array<AttributeRegister, kProvenanceCount> values;  // empty: none
  std::array<Stamp, kProvenanceCount> removals;            // empty: none
};

struct ConsentRegister {
  Stamp stamp;
  std::string source;
  bool granted = false;
  auto Tie() const {
    return std::tie(stamp.ts_ms, stamp.event_id, source, granted);
  }
};

struct StringRegister {
  Stamp stamp;
  std::string value;
  auto Tie() const { return std::tie(stamp.ts_ms, stamp.event_id, value); }
};

struct CurrencyAgg {
  std::int64_t orders = 0;
  std::int64_t gross_micros = 0;
  std::int64_t discount_micros = 0;
  std::int64_t returned_micros = 0;
  std::int64_t largest_order_micros = 0;
};

struct ChannelAgg {
  std::int64_t orders = 0;
  std::int64_t gross_micros = 0;
  std::int64_t discount_micros = 0;
  std::int64_t returned_micros = 0;
};

struct PurchaseAgg {
  std::int64_t orders = 0;
  std::int64_t returns = 0;
  std::int64_t lines = 0;
  std::int64_t returned_lines = 0;
  std::int64_t units = 0;
  std::int64_t returned_units = 0;
  std::int64_t distinct_products = 0;
  std::int64_t first_purchase_ms = kNoMin;
  std::int64_t last_purchase_ms = kNoMax;
  std::map<std::string, CurrencyAgg> by_currency;
  std::map<std::pair<std::uint8_t, std::string>, ChannelAgg> by_channel;
};

struct InteractionAgg {
  std::int64_t count = 0;
  std::array<std::int64_t, kChannelCount> by_channel{};
  std::array<std::int64_t, kInteractionKindCount> by_kind{};
  std::int64_t total_duration_s = 0;
  Stamp last;
  std::uint8_t last_channel = 0;
  std::uint8_t last_kind = 0;
  std::int64_t sentiment_sum = 0;
  std::int64_t sentiment_count = 0;
  std::int64_t rating_sum = 0;
  std::int64_t rating_count = 0;
  std::int64_t promoters = 0;
  std::int64_t passives = 0;
  std::int64_t detractors = 0;
};

struct LoyaltyAgg {
  std::int64_t enrolled_ms = kNoMin;
  StringRegister program;
  std::int64_t earned = 0;
  std::int64_t redeemed = 0;
  std::int64_t expired = 0;
  std::int64_t adjusted_up = 0;
  std::int64_t adjusted_down = 0;
  StringRegister tier;
};

struct ProfileState {
  std::string customer_id;
  std::int64_t first_seen_ms = kNoMin;
  std::int64_t last_seen_ms = kNoMax;
  std::int64_t event_count = 0;
  // (type, value) -> earliest link.
  std::map<std::pair<std::uint8_t, std::string>, std::int64_t> identities;
  std::map<std::string, AttributeRegisters> attributes;
  std::map<std::string, ConsentRegister> consents;
  PurchaseAgg purchases;
  InteractionAgg interactions;
  LoyaltyAgg loyalty;
  std::int64_t corrupt_operands = 0;
  std::uint64_t last_corrupt_event_id = 0;
};

struct BreakdownMoneyAgg {
  std::int64_t gross_micros = 0;
  std::int64_t discount_micros = 0;
  std::int64_t returned_micros = 0;
};

// One product's, store's or category's share of a customer's purchases.
struct BreakdownState {
  std::int64_t orders = 0;
  std::int64_t returns = 0;
  std::int64_t units = 0;
  std::int64_t returned_units = 0;
  std::int64_t first_purchase_ms = kNoMin;
  std::int64_t last_purchase_ms = kNoMax;
  std::map<std::string, BreakdownMoneyAgg> money;
};

using BreakdownMap = std::map<std::string, BreakdownState>;

// All of one customer's breakdowns: the value of its key in the breakdowns
// column family, merged like the profile. One value per customer, so that an
// event costs one merge however many products, stores and categories it
// touches.
struct Breakdowns {
  BreakdownMap products;
  BreakdownMap stores;
  BreakdownMap categories;
  std::int64_t corrupt_operands = 0;

  BreakdownMap& of(Dimension dimension);
  const BreakdownMap& of(Dimension dimension) const;
  bool empty() const {
    return products.empty() && stores.empty() && categories.empty() &&
           corrupt_operands == 0;
  }
};

// a + b and a - b, saturating at the int64 limits instead of wrapping.
std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b);
std::int64_t SaturatingSub(std::int64_t a, std::int64_t b);
// gross - discount - returned, saturating: what a customer spent net.
inline std::int64_t NetMicros(std::int64_t gross, std::int64_t discount,
                              std::int64_t returned) {
  return SaturatingSub(SaturatingSub(gross, discount), returned);
}

// Folds `b` into `a`. Commutative and associative.
void Join(ProfileState& a, const ProfileState& b);
void Join(Breakdowns& a, const Breakdowns& b);
void Join(BreakdownState& a, const BreakdownState& b);

// The contribution of one validated event, recorded under `customer_id`.
// Does not count distinct products: that needs the customer's breakdowns and
// is added by the caller (see CountNewProducts in the store).
ProfileState DeltaOf(const Event& event, std::string_view customer_id);

// The per-product, per-store and per-category contributions of one event
// (empty for events other than purchases).
Breakdowns BreakdownsOf(const Event& event);

// The breakdowns deltas of a batch of events, for the write path. For each
// customer it gives the Join of BreakdownsOf() over that customer's events,
// but folds one sorted vector of lines instead of building and joining maps
// per event (those cost the write path a tenth of its time). Holds views into
// the events it is given: they must outlive Finish(). Not thread-safe.
class BreakdownsBatch {
 public:
  // Adds the contribution of `event`, if it is a purchase, to customer
  // `customer`: a dense index of the caller's choosing.
  void Add(std::uint32_t customer, const Event& event);

  struct CustomerDelta {
    std::uint32_t customer = 0;
    // SKUs with an order in the batch, sorted and unique.
    std::vector<std::string_view> ordered_skus;
    Breakdowns state;
  };
  // One delta per customer given a breakdown key, in customer order. Leaves
  // the batch empty.
  std::vector<CustomerDelta> Finish();

 private:
  // One line's (or bare total's) share of one product, store or category.
  struct Line {
    std::uint32_t customer;
    std::uint8_t dimension;  // index into the value's row vectors
    std::string_view key;
    std::string_view currency;
    std::uint32_t event;    // which Add() it came from
    bool positive;          // an order line, not a return
    std::int64_t units;     // >= 0
    std::int64_t amount;    // micros, >= 0: gross, or returned if !positive
    std::int64_t discount;  // micros, >= 0, of a positive line
    std::int64_t ts_ms;
  };
  std::vector<Line> lines_;
  std::uint32_t events_ = 0;
};

// Products with an order in `b`: a customer's distinct products.
std::int64_t OrderedProducts(const Breakdowns& b);

// Canonical stored bytes. A profile is FlatBuffers (schemas/profile.fbs), which
// Profile reads in place. Breakdowns are the compact varint encoding of merge
// operands (codec/operand.h) since format 3.2: a third of the bytes of their
// FlatBuffers form, which formats 3 and 3.1 stored and which is still read.
std::string Encode(const ProfileState& state);
std::string Encode(const Breakdowns& state);
// Breakdowns as formats 3 and 3.1 stored them (FlatBuffers), for tests and
// fuzz seeds of reading such stores. Nothing in the store writes it.
std::string EncodeFlatBuffers(const Breakdowns& state);

// Verifies and decodes; DataLoss if the bytes are not a well-formed value.
absl::StatusOr<ProfileState> DecodeProfile(std::string_view bytes);

// DataLoss when a register's stamp is before 1970. Validation never lets
// such an event in, and the fold needs the empty stamp (0, 0) to be below
// every stamp: otherwise a join with an empty register would drop the value
// and the fold would depend on order. Every decoder of stored bytes checks.
absl::Status CheckStamps(const ProfileState& s);
// Stored breakdowns in either form (compact, or FlatBuffers from format 3.1).
absl::StatusOr<Breakdowns> DecodeBreakdowns(std::string_view bytes);
// The rows of one dimension, with the same checks: a customer's product rows
// are not decoded to list its stores.
absl::StatusOr<BreakdownMap> DecodeBreakdowns(std::string_view bytes,
                                              Dimension dimension);

// How a merge's result is encoded: a stored value (what a Get returns; for a
// profile FlatBuffers, which Profile reads in place) or a merge operand
// (compact varint, codec/operand.h). For breakdowns the two are the same.
enum class Encoding { kStored, kOperand };

// The merge operators' work: folds values (a base and merge operands, in any
// order, each in either encoding) into one canonical encoding, equal to
// decoding each, joining them and encoding the result. Values that fail
// decoding are left out and counted in corrupt_operands. The second argument
// only picks the kind. Breakdowns values in the compact encoding are merged
// row by row as they lie, without decoding: a heavy customer's value holds
// thousands of rows and most merges touch a few.
std::string JoinEncoded(const std::vector<std::string_view>& values,
                        ProfileState*, Encoding encoding = Encoding::kStored);
std::string JoinEncoded(const std::vector<std::string_view>& values,
                        Breakdowns*, Encoding encoding = Encoding::kStored);

// The SKUs with an order in any of `stored`, sorted and unique: a customer's
// ordered products as RocksDB holds its breakdowns, a base value and merge
// operands not yet folded into it. Each is read in place rather than merged
// and decoded. One that fails verification contributes nothing (Verify flags
// it, Rebuild repairs it).
std::vector<std::string> OrderedSkus(
    const std::vector<std::string_view>& stored);

// How many of `skus` (sorted, unique) have no order in any of `stored`, the
// same values as above. A compact value's product keys are walked in place,
// every row checked as a merge checks it but none built; a FlatBuffers value
// (format 3.1) is binary-searched, verifying only the root and the rows the
// search visits. Values that fail those checks know no product.
std::int64_t CountNewProducts(const std::vector<std::string_view>& stored,
                              const std::vector<std::string_view>& skus);

}  // namespace ckm::fold

#endif  // CKM_SRC_FOLD_FOLD_H_
