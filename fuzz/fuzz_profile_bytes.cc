// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Fuzzes everything that reads stored bytes: the fold's decoders, the public
// Profile (FromBytes, every accessor, ToJson), the history event decoder and
// the two merge operators, all on the same arbitrary bytes.
//
// Checked, beyond "never crashes":
//   - what the fold decodes re-encodes canonically:
//     Encode(Decode(Encode(x))) == Encode(x), and Profile::FromBytes accepts
//     Encode(x);
//   - a decoded history event passes validation and survives EncodeEvent and
//     DecodeEvent unchanged;
//   - merge operands (codec/operand.h) decode only from their own canonical
//     bytes;
//   - the merge operators return true whatever the operand, and their result
//     is exactly the fold of the valid inputs (operands or stored values)
//     with each invalid one counted in corrupt_operands: a stored value from
//     a full merge, an operand from a partial one.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ckm/event.h"
#include "ckm/profile.h"
#include "codec/event_codec.h"
#include "codec/operand.h"
#include "fold/fold.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/slice.h"
#include "storage/merge_operator.h"
#include "validate.h"

namespace {

using ckm::fold::Breakdowns;
using ckm::fold::ProfileState;

[[noreturn]] void Fail(std::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "fuzz_profile_bytes: %.*s: %s\n",
               static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  std::abort();
}

[[noreturn]] void Fail(std::string_view what) { Fail(what, absl::OkStatus()); }

// Keeps the optimizer from dropping calls whose results are unused.
volatile std::size_t sink;

void Use(std::int64_t v) { sink = sink + static_cast<std::size_t>(v); }
void Use(std::optional<std::int64_t> v) { Use(v.value_or(0)); }
void Use(std::optional<double> v) {
  sink = sink + static_cast<std::size_t>(v.has_value());
}
void Use(std::string_view s) { sink = sink + s.size(); }

void UseValue(const ckm::AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) Use(*s);
  if (const auto* i = std::get_if<std::int64_t>(&v)) Use(*i);
  if (const auto* b = std::get_if<bool>(&v)) Use(std::int64_t{*b});
}

// Calls every accessor of a verified profile. Lookups by key binary-search
// vectors that only canonical bytes (fold::Encode) are sure to keep sorted,
// so they must find every listed key only in those.
void Exercise(const ckm::Profile& p, bool canonical) {
  Use(p.customer_id());
  Use(p.first_seen_ms());
  Use(p.last_seen_ms());
  Use(p.event_count());
  for (const ckm::IdentityLink& link : p.identities()) {
    Use(ckm::ToString(link.type));
    Use(link.value);
    Use(link.linked_ms);
  }
  for (const ckm::AttributeState& a : p.attributes()) {
    UseValue(a.value);
    Use(ckm::ToString(a.provenance));
    const std::optional<ckm::AttributeState> found = p.attribute(a.key);
    if (canonical && !found)
      Fail("attribute() misses a key that attributes() lists");
  }
  (void)p.attribute("");
  (void)p.attribute("custom.missing");
  for (const ckm::ConsentState& c : p.consents()) {
    const std::optional<ckm::ConsentState> found = p.consent(c.purpose);
    if (canonical && !found)
      Fail("consent() misses a purpose that consents() lists");
  }
  (void)p.consent("");
  (void)p.consent("marketing.email");

  const ckm::PurchaseSummary purchases = p.purchases();
  Use(purchases.first_purchase_ms);
  Use(purchases.last_purchase_ms);
  for (const ckm::CurrencyTotals& c : purchases.by_currency) {
    Use(c.net_micros());
    Use(c.average_order_value_micros());
  }
  for (const ckm::ChannelTotals& c : purchases.by_channel) {
    Use(ckm::ToString(c.channel));
  }
  const ckm::InteractionSummary interactions = p.interactions();
  Use(ckm::ToString(interactions.last_channel));
  if (interactions.last_kind) Use(ckm::ToString(*interactions.last_kind));
  const ckm::LoyaltySummary loyalty = p.loyalty();
  Use(loyalty.balance());

  Use(p.corrupt_operands());
  Use(static_cast<std::int64_t>(p.last_corrupt_event_id()));
  Use(std::int64_t{p.saturated()});
  Use(p.mean_interpurchase_ms());
  Use(p.expected_next_purchase_ms());
  Use(p.nps());
  Use(p.average_sentiment());
  Use(p.average_rating());
  // now_ms: the range of valid event times.
  for (std::int64_t now_ms :
       {std::int64_t{0}, std::int64_t{1'700'000'000'000}, ckm::kMaxTsMs}) {
    Use(p.recency_ms(now_ms));
    const ckm::Rfm rfm = p.rfm(now_ms);
    Use(rfm.monetary_micros);
    Use(p.ToJson(now_ms));
  }
  Use(p.bytes());
}

// A valid profile and breakdown to merge the input with: the fold of one
// purchase of two lines.
struct Bases {
  std::string profile;
  std::string breakdown;       // as this build stores it (compact)
  std::string breakdown_flat;  // as format 3.1 stored it (FlatBuffers)
  std::string breakdown_operand;
  Breakdowns breakdown_delta;
  Bases() {
    ckm::Event e;
    e.id = 7;
    e.customer = ckm::CustomerRef::Id("c1");
    e.ts_ms = 1'291'191'960'000;
    e.source = "till-3";
    ckm::Purchase purchase;
    purchase.currency = "GBP";
    purchase.channel = ckm::Channel::kInStore;
    purchase.store = "york";
    purchase.lines = {{"85123A", "lights", 6, 2'550'000},
                      {"22633", "", -1, 1'850'000}};
    e.body = purchase;
    if (absl::Status s = ckm::ValidateEvent(e, 0); !s.ok()) Fail("base", s);
    profile = ckm::fold::Encode(ckm::fold::DeltaOf(e, "c1"));
    breakdown_delta = ckm::fold::BreakdownsOf(e);
    if (breakdown_delta.empty()) Fail("base has no breakdowns");
    breakdown = ckm::fold::Encode(breakdown_delta);
    breakdown_flat = ckm::fold::EncodeFlatBuffers(breakdown_delta);
    breakdown_operand = ckm::codec::EncodeOperand(breakdown_delta);
  }
};

const Bases& GetBases() {
  static const Bases bases;
  return bases;
}

// The canonical-encoding law for one decoder.
template <typename State, typename Decode>
void CheckRoundTrip(const State& decoded, Decode decode, const char* what) {
  const std::string encoded = ckm::fold::Encode(decoded);
  absl::StatusOr<State> again = decode(encoded);
  if (!again.ok()) Fail(what, again.status());
  if (ckm::fold::Encode(*again) != encoded) Fail(what);
}

// What a merge of `inputs` must produce: the join of the decodable ones, one
// corrupt operand counted for each of the others, as a stored value (full
// merge) or an operand (partial merge).
template <typename State, typename Decode>
std::string ExpectedMerge(const std::vector<std::string_view>& inputs,
                          Decode decode, bool operand = false) {
  State state;
  for (std::string_view input : inputs) {
    absl::StatusOr<State> decoded = decode(input);
    if (decoded.ok()) {
      ckm::fold::Join(state, *decoded);
    } else {
      state.corrupt_operands =
          ckm::fold::SaturatingAdd(state.corrupt_operands, 1);
    }
  }
  return operand ? ckm::codec::EncodeOperand(state) : ckm::fold::Encode(state);
}

template <typename State, typename Decode>
void CheckMerge(const rocksdb::MergeOperator& op, std::string_view base,
                std::string_view bytes, Decode decode) {
  const rocksdb::Slice key("c1");
  const rocksdb::Slice base_slice(base.data(), base.size());
  const rocksdb::Slice bytes_slice(bytes.data(), bytes.size());

  // A valid base with the bytes as the operand, and the bytes as the base.
  struct Case {
    const rocksdb::Slice* existing;
    std::vector<rocksdb::Slice> operands;
    std::vector<std::string_view> inputs;
  };
  const Case cases[] = {
      {&base_slice, {bytes_slice}, {base, bytes}},
      {&bytes_slice, {base_slice, bytes_slice}, {bytes, base, bytes}},
      {nullptr, {bytes_slice}, {bytes}},
  };
  for (const Case& c : cases) {
    std::string new_value;
    rocksdb::Slice existing_operand;
    rocksdb::MergeOperator::MergeOperationInput in(key, c.existing, c.operands,
                                                   nullptr);
    rocksdb::MergeOperator::MergeOperationOutput out(new_value,
                                                     existing_operand);
    if (!op.FullMergeV2(in, &out)) Fail("FullMergeV2 returned false");
    absl::StatusOr<State> merged = decode(new_value);
    if (!merged.ok()) Fail("FullMergeV2's result does not decode");
    if (new_value != ExpectedMerge<State>(c.inputs, decode)) {
      Fail("FullMergeV2's result is not the fold of its inputs");
    }
  }

  const std::deque<rocksdb::Slice> operands = {base_slice, bytes_slice};
  std::string partial;
  if (!op.PartialMergeMulti(key, operands, &partial, nullptr)) {
    Fail("PartialMergeMulti returned false");
  }
  if (partial != ExpectedMerge<State>({base, bytes}, decode, true)) {
    Fail("PartialMergeMulti's result is not the fold of its operands");
  }
}

absl::StatusOr<ProfileState> DecodeProfile(std::string_view bytes) {
  return ckm::fold::DecodeProfile(bytes);
}
absl::StatusOr<Breakdowns> DecodeBreakdowns(std::string_view bytes) {
  return ckm::fold::DecodeBreakdowns(bytes);
}

// Values as a merge reads them: operands and stored values alike.
absl::StatusOr<ProfileState> DecodeAnyProfile(std::string_view bytes) {
  return ckm::codec::IsOperand(bytes) ? ckm::codec::DecodeProfileOperand(bytes)
                                      : ckm::fold::DecodeProfile(bytes);
}
absl::StatusOr<Breakdowns> DecodeAnyBreakdowns(std::string_view bytes) {
  return ckm::codec::IsOperand(bytes)
             ? ckm::codec::DecodeBreakdownsOperand(bytes)
             : ckm::fold::DecodeBreakdowns(bytes);
}

// Operands decode only from their own canonical bytes: what encoding the
// state in the operand's version (byte 4, after the magic) gives. Older
// versions are still read.
template <typename State, typename Decode>
void CheckOperand(std::string_view bytes, Decode decode, const char* what) {
  absl::StatusOr<State> decoded = decode(bytes);
  if (decoded.ok()) {
    const int version = static_cast<unsigned char>(bytes[4]);
    if (ckm::codec::EncodeOperandInVersion(*decoded, version) != bytes)
      Fail(what);
  } else if (!absl::IsDataLoss(decoded.status())) {
    Fail(what, decoded.status());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const std::shared_ptr<rocksdb::MergeOperator> profile_op =
      ckm::NewProfileMergeOperator();
  static const std::shared_ptr<rocksdb::MergeOperator> breakdown_op =
      ckm::NewBreakdownMergeOperator();
  const Bases& bases = GetBases();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  CheckOperand<ProfileState>(bytes, ckm::codec::DecodeProfileOperand,
                             "profile operand round trip");
  CheckOperand<Breakdowns>(bytes, ckm::codec::DecodeBreakdownsOperand,
                           "breakdowns operand round trip");

  if (absl::StatusOr<ProfileState> decoded = DecodeProfile(bytes);
      decoded.ok()) {
    CheckRoundTrip(*decoded, DecodeProfile, "profile round trip");
    absl::StatusOr<ckm::Profile> canonical =
        ckm::Profile::FromBytes(ckm::fold::Encode(*decoded));
    if (!canonical.ok()) Fail("FromBytes(Encode(x))", canonical.status());
    Exercise(*canonical, true);
  } else if (!absl::IsDataLoss(decoded.status())) {
    Fail("DecodeProfile", decoded.status());
  }

  if (absl::StatusOr<ckm::Profile> profile =
          ckm::Profile::FromBytes(std::string(bytes));
      profile.ok()) {
    Exercise(*profile, false);
  } else if (!absl::IsDataLoss(profile.status())) {
    Fail("FromBytes", profile.status());
  }

  if (absl::StatusOr<Breakdowns> decoded = DecodeBreakdowns(bytes);
      decoded.ok()) {
    CheckRoundTrip(*decoded, DecodeBreakdowns, "breakdowns round trip");
  } else if (!absl::IsDataLoss(decoded.status())) {
    Fail("DecodeBreakdowns", decoded.status());
  }
  // The write path reads stored breakdowns in place: any bytes, alone or
  // beside a valid base, never crash, and two values give the union of each.
  {
    const std::vector<std::string> base =
        ckm::fold::OrderedSkus({bases.breakdown});
    const std::vector<std::string> alone = ckm::fold::OrderedSkus({bytes});
    std::vector<std::string> both = base;
    both.insert(both.end(), alone.begin(), alone.end());
    std::sort(both.begin(), both.end());
    both.erase(std::unique(both.begin(), both.end()), both.end());
    if (ckm::fold::OrderedSkus({bytes, bases.breakdown}) != both) {
      Fail("ordered SKUs of two values differ from the union of each");
    }
  }

  if (absl::StatusOr<ckm::Event> event = ckm::DecodeEvent(bytes); event.ok()) {
    if (absl::Status s = ckm::ValidateEvent(*event, 0); !s.ok()) {
      Fail("a decoded event fails validation", s);
    }
    absl::StatusOr<ckm::Event> again =
        ckm::DecodeEvent(ckm::EncodeEvent(*event, event->customer.id));
    if (!again.ok()) Fail("event round trip", again.status());
    if (*again != *event) Fail("event round trip changes the event");
  } else if (!absl::IsDataLoss(event.status())) {
    Fail("DecodeEvent", event.status());
  }

  // Breakdowns operands merged row by row: the bytes of decode, join,
  // encode, or declined when the input does not decode or is of an older
  // version (whose rows cannot be copied as they lie).
  {
    const std::optional<std::string> merged =
        ckm::codec::MergeBreakdownsOperands({bytes, bases.breakdown_operand});
    const bool decodes =
        ckm::codec::DecodeBreakdownsOperand(bytes).ok() &&
        static_cast<unsigned char>(bytes[4]) == ckm::codec::kOperandVersion;
    if (merged.has_value() != decodes) {
      Fail("MergeBreakdownsOperands accepts what decoding refuses, or not");
    }
    if (merged &&
        *merged != ExpectedMerge<Breakdowns>({bytes, bases.breakdown_operand},
                                             DecodeAnyBreakdowns, true)) {
      Fail("MergeBreakdownsOperands differs from decode, join, encode");
    }
  }

  // The in-place readers of compact breakdowns take what decoding takes (of
  // the newest version) and read the same rows.
  {
    const absl::StatusOr<Breakdowns> decoded =
        ckm::codec::DecodeBreakdownsOperand(bytes);
    const bool newest = decoded.ok() && static_cast<unsigned char>(bytes[4]) ==
                                            ckm::codec::kOperandVersion;
    const std::optional<std::vector<std::string_view>> skus =
        ckm::codec::OrderedSkusInPlace(bytes);
    if (skus.has_value() != newest)
      Fail("OrderedSkusInPlace accepts what decoding refuses, or not");
    if (skus) {
      std::vector<std::string_view> want;
      for (const auto& [sku, row] : decoded->products)
        if (row.orders > 0) want.push_back(sku);
      if (*skus != want) Fail("OrderedSkusInPlace differs from decoding");
    }
    for (ckm::Dimension d : {ckm::Dimension::kProduct, ckm::Dimension::kStore,
                             ckm::Dimension::kCategory}) {
      absl::StatusOr<ckm::fold::BreakdownMap> rows =
          ckm::codec::DecodeBreakdownsDimension(bytes, d);
      if (rows.ok() != decoded.ok())
        Fail("DecodeBreakdownsDimension accepts what decoding refuses, or not");
      if (rows.ok() &&
          ckm::fold::Encode(Breakdowns{*rows, {}, {}, 0}) !=
              ckm::fold::Encode(Breakdowns{decoded->of(d), {}, {}, 0}))
        Fail("DecodeBreakdownsDimension differs from decoding");
    }
  }

  CheckMerge<ProfileState>(*profile_op, bases.profile, bytes, DecodeAnyProfile);
  CheckMerge<Breakdowns>(*breakdown_op, bases.breakdown, bytes,
                         DecodeAnyBreakdowns);
  CheckMerge<Breakdowns>(*breakdown_op, bases.breakdown_flat, bytes,
                         DecodeAnyBreakdowns);
  return 0;
}
