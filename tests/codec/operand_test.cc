// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Merge operands (codec/operand.h): the varint encoding round-trips to what
// the FlatBuffers encoding gives, is canonical, refuses damaged bytes with
// DataLoss and never reads past them, and merges of any mix of operands and
// stored values, partial or full, in any order and split, give the bytes of
// the fold of every event.

#include "codec/operand.h"

#include <algorithm>
#include <deque>
#include <random>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "event_gen.h"
#include "merge_driver.h"
#include "rocksdb/merge_operator.h"
#include "storage/merge_operator.h"
#include "test_util.h"

namespace ckm {
namespace {

using fold::Breakdowns;
using fold::ProfileState;

constexpr int kCases = 500;

ProfileState ProfileOf(const std::vector<Event>& events) {
  ProfileState state;
  for (const Event& e : events) fold::Join(state, fold::DeltaOf(e, "c-1"));
  return state;
}

Breakdowns BreakdownsOfAll(const std::vector<Event>& events) {
  Breakdowns state;
  for (const Event& e : events) fold::Join(state, fold::BreakdownsOf(e));
  return state;
}

TEST_CASE("Operands decode to the state the stored encoding gives") {
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 31000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    const std::vector<Event> events = gen.Events(gen.Pick(25));
    const ProfileState profile = ProfileOf(events);
    const std::string op = codec::EncodeOperand(profile);
    REQUIRE(codec::IsOperand(op));
    absl::StatusOr<ProfileState> decoded = codec::DecodeProfileOperand(op);
    REQUIRE_OK(decoded);
    REQUIRE(fold::Encode(*decoded) == fold::Encode(profile));
    REQUIRE(codec::EncodeOperand(*decoded) == op);  // canonical

    const Breakdowns breakdowns = BreakdownsOfAll(events);
    const std::string bop = codec::EncodeOperand(breakdowns);
    absl::StatusOr<Breakdowns> bdecoded = codec::DecodeBreakdownsOperand(bop);
    REQUIRE_OK(bdecoded);
    REQUIRE(fold::Encode(*bdecoded) == fold::Encode(breakdowns));
    REQUIRE(codec::EncodeOperand(*bdecoded) == bop);
    // Neither is taken for the other, nor a stored profile for an operand.
    // Stored breakdowns are the operand encoding (format 3.2); format 3.1's
    // FlatBuffers form decodes to the same rows.
    REQUIRE_FALSE(codec::IsOperand(fold::Encode(profile)));
    REQUIRE(fold::Encode(breakdowns) == bop);
    const std::string flat = fold::EncodeFlatBuffers(breakdowns);
    REQUIRE_FALSE(codec::IsOperand(flat));
    absl::StatusOr<Breakdowns> from_flat = fold::DecodeBreakdowns(flat);
    REQUIRE_OK(from_flat);
    REQUIRE(fold::Encode(*from_flat) == bop);
    REQUIRE(absl::IsDataLoss(codec::DecodeBreakdownsOperand(op).status()));
    REQUIRE(absl::IsDataLoss(codec::DecodeProfileOperand(bop).status()));
  }
}

TEST_CASE("An operand of one event is a fraction of its FlatBuffers encoding") {
  ckm_test::EventGen gen(7, 1);
  for (const Event& e : gen.Events(200)) {
    INFO("event " << e.id);
    const ProfileState delta = fold::DeltaOf(e, "customer-000123");
    CHECK(codec::EncodeOperand(delta).size() * 2 < fold::Encode(delta).size());
    const Breakdowns rows = fold::BreakdownsOf(e);
    if (!rows.empty()) {
      CHECK(codec::EncodeOperand(rows).size() * 2 <
            fold::EncodeFlatBuffers(rows).size());
    }
  }
}

// Every prefix of a valid operand fails; so does a trailing byte, an
// unknown version and an unknown kind. Any byte flipped either fails or
// decodes to a state that encodes back to exactly the flipped bytes.
template <typename Decode>
void CheckDamage(const std::string& op, Decode decode) {
  for (std::size_t n = 0; n < op.size(); ++n) {
    INFO("cut to " << n << " of " << op.size());
    REQUIRE(absl::IsDataLoss(decode(op.substr(0, n)).status()));
  }
  REQUIRE(absl::IsDataLoss(decode(op + '\0').status()));
  std::string version = op;
  version[4] = codec::kOperandVersion + 1;
  const absl::Status unknown = decode(version).status();
  REQUIRE(absl::IsDataLoss(unknown));
  REQUIRE(unknown.message().find(
              absl::StrCat("version ", codec::kOperandVersion + 1)) !=
          absl::string_view::npos);
  for (std::size_t i = 0; i < op.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = op;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      auto decoded = decode(flipped);
      if (decoded.ok()) {
        INFO("byte " << i << " bit " << bit);
        REQUIRE(codec::EncodeOperand(*decoded) == flipped);
      }
    }
  }
}

TEST_CASE("Damaged operands are DataLoss, never read past their end") {
  for (int c = 0; c < 40; ++c) {
    const std::uint64_t seed = 33000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    const std::vector<Event> events = gen.Events(1 + gen.Pick(4));
    CheckDamage(
        codec::EncodeOperand(ProfileOf(events)),
        [](std::string_view b) { return codec::DecodeProfileOperand(b); });
    const Breakdowns rows = BreakdownsOfAll(events);
    if (!rows.empty()) {
      CheckDamage(codec::EncodeOperand(rows), [](std::string_view b) {
        return codec::DecodeBreakdownsOperand(b);
      });
    }
  }
  // Values validation refuses are refused here too.
  ProfileState negative;
  negative.purchases.orders = -1;
  CHECK(absl::IsDataLoss(
      codec::DecodeProfileOperand(codec::EncodeOperand(negative)).status()));
  Breakdowns negative_rows;
  negative_rows.products["sku"].units = -3;
  CHECK(absl::IsDataLoss(
      codec::DecodeBreakdownsOperand(codec::EncodeOperand(negative_rows))
          .status()));
  // A stamp before 1970 would sort below the empty register and make the
  // join depend on order (found by fuzz_profile_bytes): refused in both
  // encodings, in every register.
  for (int which = 0; which < 4; ++which) {
    INFO("register " << which);
    ProfileState early;
    const fold::Stamp stamp{-5, 7};
    if (which == 0) early.attributes["k"].values[0].stamp = stamp;
    if (which == 1) early.attributes["k"].removals[2] = stamp;
    if (which == 2) early.consents["email"].stamp = stamp;
    if (which == 3) early.loyalty.tier.stamp = stamp;
    if (which == 0) early.attributes["k"].values[0].provenance = 1;
    CHECK(absl::IsDataLoss(
        codec::DecodeProfileOperand(codec::EncodeOperand(early)).status()));
    CHECK(absl::IsDataLoss(fold::DecodeProfile(fold::Encode(early)).status()));
  }
}

using ckm_test::FullMerge;
using ckm_test::PartialMerge;

// Splits `events` into random groups, encodes each as an operand (some as
// stored values, as an older store or a Put would hold them), partially
// merges random runs of them, shuffles, and fully merges the lot onto an
// optional base group.
std::string StoredOfOlderStore(const ProfileState& s) {
  return fold::Encode(s);
}
std::string StoredOfOlderStore(const Breakdowns& s) {
  return fold::EncodeFlatBuffers(s);
}

template <typename State, typename Of>
std::string MergeRandomly(const rocksdb::MergeOperator& op,
                          std::vector<Event> events, std::mt19937_64& rng,
                          Of of) {
  std::shuffle(events.begin(), events.end(), rng);
  std::vector<std::string> operands;
  std::size_t i = 0;
  while (i < events.size()) {
    const std::size_t n = 1 + rng() % 4;
    const std::vector<Event> group(
        events.begin() + i, events.begin() + std::min(events.size(), i + n));
    i += group.size();
    const State state = of(group);
    // A stored value of an older store (for breakdowns, format 3.1's
    // FlatBuffers) or an operand.
    operands.push_back(rng() % 5 == 0 ? StoredOfOlderStore(state)
                                      : codec::EncodeOperand(state));
  }
  std::vector<std::string> merged;
  for (std::size_t k = 0; k < operands.size();) {
    const std::size_t n = 1 + rng() % 3;
    std::vector<std::string> run(
        operands.begin() + k,
        operands.begin() + std::min(operands.size(), k + n));
    k += run.size();
    if (run.size() > 1 && rng() % 2) {
      merged.push_back(PartialMerge(op, run));
      REQUIRE(codec::IsOperand(merged.back()));
    } else {
      merged.insert(merged.end(), run.begin(), run.end());
    }
  }
  std::shuffle(merged.begin(), merged.end(), rng);
  if (!merged.empty() && rng() % 2) {
    const std::string base = FullMerge(op, nullptr, {merged.back()});
    merged.pop_back();
    return FullMerge(op, &base, merged);
  }
  return FullMerge(op, nullptr, merged);
}

TEST_CASE(
    "Operands and stored values merge in any order and split to the fold's "
    "bytes") {
  const auto profile_op = NewProfileMergeOperator();
  const auto breakdown_op = NewBreakdownMergeOperator();
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 35000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    const std::vector<Event> events = gen.Events(1 + gen.Pick(30));
    std::mt19937_64 rng(seed);
    REQUIRE(MergeRandomly<ProfileState>(*profile_op, events, rng, ProfileOf) ==
            fold::Encode(ProfileOf(events)));
    REQUIRE(MergeRandomly<Breakdowns>(*breakdown_op, events, rng,
                                      BreakdownsOfAll) ==
            fold::Encode(BreakdownsOfAll(events)));
  }
}

TEST_CASE("A damaged operand is counted, the others still merge") {
  const auto op = NewBreakdownMergeOperator();
  ckm_test::EventGen gen(99, 1);
  std::vector<Event> purchases;
  for (Event& e : gen.Events(200)) {
    if (std::holds_alternative<Purchase>(e.body) && purchases.size() < 3)
      purchases.push_back(std::move(e));
  }
  REQUIRE(purchases.size() == 3);
  std::string damaged = codec::EncodeOperand(fold::BreakdownsOf(purchases[2]));
  damaged.pop_back();
  const std::string merged = FullMerge(
      *op, nullptr,
      {codec::EncodeOperand(fold::BreakdownsOf(purchases[0])),
       fold::EncodeFlatBuffers(fold::BreakdownsOf(purchases[1])), damaged});
  Breakdowns expected = BreakdownsOfAll({purchases[0], purchases[1]});
  expected.corrupt_operands = 1;
  CHECK(merged == fold::Encode(expected));
}

TEST_CASE("The product check reads operands and stored values alike") {
  for (int c = 0; c < 200; ++c) {
    const std::uint64_t seed = 37000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    std::vector<std::string> values;
    Breakdowns all;
    for (int k = 0, n = gen.Pick(5); k < n; ++k) {
      const Breakdowns b = BreakdownsOfAll(gen.Events(gen.Pick(6)));
      fold::Join(all, b);
      // Operands, and stored values of format 3.1 (FlatBuffers).
      values.push_back(k % 2 ? codec::EncodeOperand(b)
                             : fold::EncodeFlatBuffers(b));
    }
    std::vector<std::string> expected;
    for (const auto& [sku, row] : all.products)
      if (row.orders > 0) expected.push_back(sku);
    const std::vector<std::string_view> views(values.begin(), values.end());
    REQUIRE(fold::OrderedSkus(views) == expected);
    std::vector<std::string> probe = expected;
    probe.push_back("no-such-sku");
    std::sort(probe.begin(), probe.end());
    const std::vector<std::string_view> probe_views(probe.begin(), probe.end());
    REQUIRE(fold::CountNewProducts(views, probe_views) == 1);
  }
}

TEST_CASE("Ordered SKUs read in place agree with decoding, or decline") {
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 38000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    const Breakdowns b = BreakdownsOfAll(gen.Events(gen.Pick(12)));
    const std::string value = fold::Encode(b);
    std::optional<std::vector<std::string_view>> skus =
        codec::OrderedSkusInPlace(value);
    REQUIRE(skus.has_value());
    std::vector<std::string_view> expected;
    for (const auto& [sku, row] : b.products)
      if (row.orders > 0) expected.push_back(sku);
    REQUIRE(*skus == expected);
    // Cut short, or with a byte more: declined, never read past the end.
    for (std::size_t n = 0; n < value.size(); ++n)
      REQUIRE_FALSE(codec::OrderedSkusInPlace(value.substr(0, n)).has_value());
    REQUIRE_FALSE(codec::OrderedSkusInPlace(value + '\0').has_value());
    // One dimension's rows: those of the whole decode; damage is DataLoss.
    for (Dimension d :
         {Dimension::kProduct, Dimension::kStore, Dimension::kCategory}) {
      absl::StatusOr<fold::BreakdownMap> rows =
          codec::DecodeBreakdownsDimension(value, d);
      REQUIRE_OK(rows);
      REQUIRE(fold::Encode(Breakdowns{*rows, {}, {}, 0}) ==
              fold::Encode(Breakdowns{b.of(d), {}, {}, 0}));
      for (std::size_t n = 0; n < value.size(); ++n) {
        REQUIRE(absl::IsDataLoss(
            codec::DecodeBreakdownsDimension(value.substr(0, n), d).status()));
      }
    }
    // Older versions and FlatBuffers are declined: the caller decodes them.
    REQUIRE_FALSE(codec::OrderedSkusInPlace(codec::EncodeOperandInVersion(b, 1))
                      .has_value());
    REQUIRE_FALSE(
        codec::OrderedSkusInPlace(fold::EncodeFlatBuffers(b)).has_value());
  }
}

TEST_CASE("Breakdowns operands merged row by row equal decode, join, encode") {
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 39000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    std::vector<std::string> operands;
    Breakdowns all;
    for (int k = 0, n = 1 + gen.Pick(5); k < n; ++k) {
      Breakdowns b = BreakdownsOfAll(gen.Events(gen.Pick(8)));
      b.corrupt_operands = gen.Pick(4) == 0 ? 1 : 0;
      fold::Join(all, b);
      operands.push_back(codec::EncodeOperand(b));
    }
    const std::vector<std::string_view> views(operands.begin(), operands.end());
    const std::optional<std::string> merged =
        codec::MergeBreakdownsOperands(views);
    REQUIRE(merged.has_value());
    REQUIRE(*merged == codec::EncodeOperand(all));
    // One damaged operand, and the merge declines (the caller decodes each).
    std::string damaged = operands[gen.Pick(operands.size())];
    const std::size_t cut = 6 + gen.Pick(damaged.size() - 6);
    std::vector<std::string_view> with_damage = views;
    const std::string truncated = damaged.substr(0, cut);
    with_damage.push_back(truncated);
    if (!codec::DecodeBreakdownsOperand(truncated).ok()) {
      CHECK_FALSE(codec::MergeBreakdownsOperands(with_damage).has_value());
    }
  }
  Breakdowns one_row;
  one_row.products["a"].orders = 1;
  std::string bytes = codec::EncodeOperand(one_row);
  CHECK(codec::MergeBreakdownsOperands({bytes, bytes}) ==
        codec::EncodeOperand([&] {
          Breakdowns twice = one_row;
          fold::Join(twice, one_row);
          return twice;
        }()));
}

// Version 1 operands (format 3, before discounts and attribute
// provenances) are still read: states such an operand could hold, written
// in version 1, decode to themselves.
TEST_CASE("Version 1 operands decode to the state they were written for") {
  int checked = 0;
  for (int c = 0; c < 300; ++c) {
    const std::uint64_t seed = 52000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    std::vector<Event> events = gen.Events(1 + gen.Pick(6));
    // What version 1 could hold: no discounts or line totals, no removals,
    // one provenance per attribute.
    bool representable = true;
    for (Event& e : events) {
      if (auto* p = std::get_if<Purchase>(&e.body)) {
        p->discount_micros = 0;
        for (PurchaseLine& line : p->lines) {
          line.line_total_micros.reset();
          line.discount_micros = 0;
        }
        p->total_micros.reset();
        if (p->lines.empty()) p->total_micros = 1'000'000;
      }
      if (auto* a = std::get_if<Attribute>(&e.body)) {
        representable &= !a->remove;
        a->provenance = Provenance::kImported;
      }
    }
    if (!representable) continue;
    const ProfileState profile = ProfileOf(events);
    absl::StatusOr<ProfileState> decoded =
        codec::DecodeProfileOperand(codec::EncodeOperandInVersion(profile, 1));
    REQUIRE_OK(decoded);
    REQUIRE(fold::Encode(*decoded) == fold::Encode(profile));
    const Breakdowns rows = BreakdownsOfAll(events);
    const std::string old_rows = codec::EncodeOperandInVersion(rows, 1);
    absl::StatusOr<Breakdowns> decoded_rows =
        codec::DecodeBreakdownsOperand(old_rows);
    REQUIRE_OK(decoded_rows);
    REQUIRE(fold::Encode(*decoded_rows) == fold::Encode(rows));
    // The row-by-row merge takes only the newest version; the merge as a
    // whole still reads them, through decoding.
    CHECK(!codec::MergeBreakdownsOperands({old_rows, old_rows}).has_value());
    Breakdowns twice = rows;
    fold::Join(twice, rows);
    CHECK(fold::JoinEncoded({old_rows, codec::EncodeOperand(rows)},
                            static_cast<Breakdowns*>(nullptr),
                            fold::Encoding::kOperand) ==
          codec::EncodeOperand(twice));
    ++checked;
  }
  CHECK(checked > 100);
}

}  // namespace
}  // namespace ckm
