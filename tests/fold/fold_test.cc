// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The fold's laws, without RocksDB: Join is commutative and associative with
// the empty state as identity, encoding is canonical, and the merge operator
// (driven directly) gives the same bytes whether operands are partially
// merged first or folded in one full merge.

#include "fold/fold.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <random>

#include "catch2/catch.hpp"
#include "ckm/profile.h"
#include "event_gen.h"
#include "merge_driver.h"
#include "profile_generated.h"
#include "rocksdb/merge_operator.h"
#include "storage/merge_operator.h"
#include "test_util.h"
#include "validate.h"

namespace ckm {
namespace {

using fold::ProfileState;

constexpr int kCases = 1000;

ProfileState FoldAll(const std::vector<Event>& events) {
  ProfileState state;
  for (const Event& e : events) fold::Join(state, fold::DeltaOf(e, "c"));
  return state;
}

std::string Bytes(const ProfileState& s) { return fold::Encode(s); }

using ckm_test::FullMerge;
using ckm_test::PartialMerge;

TEST_CASE(
    "Join is commutative and associative, with the empty state as identity") {
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 1000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    const ProfileState a = FoldAll(gen.Events(1 + gen.Pick(6)));
    const ProfileState b = FoldAll(gen.Events(1 + gen.Pick(6)));
    const ProfileState x = FoldAll(gen.Events(1 + gen.Pick(6)));

    ProfileState ab = a, ba = b;
    fold::Join(ab, b);
    fold::Join(ba, a);
    REQUIRE(Bytes(ab) == Bytes(ba));

    ProfileState ab_x = ab, bx = b, a_bx = a;
    fold::Join(ab_x, x);
    fold::Join(bx, x);
    fold::Join(a_bx, bx);
    REQUIRE(Bytes(ab_x) == Bytes(a_bx));

    ProfileState a_empty = a;
    fold::Join(a_empty, ProfileState{});
    REQUIRE(Bytes(a_empty) == Bytes(a));
  }
}

TEST_CASE("Any order of events folds to the same bytes") {
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 5000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    std::vector<Event> events = gen.Events(1 + gen.Pick(30));
    const std::string expected = Bytes(FoldAll(events));
    std::shuffle(events.begin(), events.end(), gen.rng());
    REQUIRE(Bytes(FoldAll(events)) == expected);
  }
}

TEST_CASE("Encoding is canonical and decodes to the same state") {
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 9000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    const std::string bytes = Bytes(FoldAll(gen.Events(gen.Pick(25))));
    absl::StatusOr<ProfileState> decoded = fold::DecodeProfile(bytes);
    REQUIRE_OK(decoded);
    REQUIRE(Bytes(*decoded) == bytes);
  }
}

TEST_CASE("Breakdown deltas join order-free") {
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 13000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    std::vector<Event> events = gen.Events(1 + gen.Pick(20));
    auto fold_all = [](const std::vector<Event>& es) {
      fold::Breakdowns acc;
      for (const Event& e : es) fold::Join(acc, fold::BreakdownsOf(e));
      return fold::Encode(acc);
    };
    const std::string expected = fold_all(events);
    std::shuffle(events.begin(), events.end(), gen.rng());
    REQUIRE(fold_all(events) == expected);
    absl::StatusOr<fold::Breakdowns> decoded = fold::DecodeBreakdowns(expected);
    REQUIRE_OK(decoded);
    REQUIRE(fold::Encode(*decoded) == expected);
  }
}

// What BreakdownsBatch must give: per customer slot, Encode() of the Join of
// BreakdownsOf() over the customer's events, and its ordered SKUs.
struct ExpectedDelta {
  std::string encoded;
  std::vector<std::string> ordered_skus;
};
std::map<std::uint32_t, ExpectedDelta> FoldPerCustomer(
    const std::vector<std::pair<std::uint32_t, Event>>& events) {
  std::map<std::uint32_t, fold::Breakdowns> folded;
  for (const auto& [customer, e] : events) {
    fold::Breakdowns delta = fold::BreakdownsOf(e);
    if (!delta.empty()) fold::Join(folded[customer], delta);
  }
  std::map<std::uint32_t, ExpectedDelta> out;
  for (const auto& [customer, b] : folded) {
    ExpectedDelta& want = out[customer];
    want.encoded = fold::Encode(b);
    for (const auto& [sku, s] : b.products) {
      if (s.orders > 0) want.ordered_skus.push_back(sku);
    }
  }
  return out;
}

void RequireBatchEquals(
    const std::vector<fold::BreakdownsBatch::CustomerDelta>& got,
    const std::map<std::uint32_t, ExpectedDelta>& want) {
  REQUIRE(got.size() == want.size());
  auto it = want.begin();
  for (const fold::BreakdownsBatch::CustomerDelta& delta : got) {
    INFO("customer slot " << delta.customer);
    REQUIRE(delta.customer == it->first);
    REQUIRE(fold::Encode(delta.state) == it->second.encoded);
    REQUIRE(std::vector<std::string>(delta.ordered_skus.begin(),
                                     delta.ordered_skus.end()) ==
            it->second.ordered_skus);
    ++it;
  }
}

TEST_CASE(
    "A batch's breakdowns deltas equal each customer's joined event deltas") {
  fold::BreakdownsBatch batch;  // reused: Finish() leaves it empty
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 21000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 4);
    std::vector<std::pair<std::uint32_t, Event>> events;
    for (Event& e : gen.Events(1 + gen.Pick(40))) {
      const auto slot = static_cast<std::uint32_t>(gen.Pick(5));
      events.emplace_back(slot, std::move(e));
    }
    for (const auto& [slot, e] : events) batch.Add(slot, e);
    RequireBatchEquals(batch.Finish(), FoldPerCustomer(events));
  }
  REQUIRE(batch.Finish().empty());
}

TEST_CASE("A batch's breakdowns deltas saturate like Join") {
  std::vector<std::pair<std::uint32_t, Event>> events;
  for (std::uint64_t id = 1; id <= 3; ++id) {
    Purchase p{"o-" + std::to_string(id), "GBP", Channel::kWeb, "s"};
    // 9.2e18 micros per order: each valid, any two overflow int64.
    p.lines = {{"sku", "cat", 1'000'000'000, 9'200'000'000}};
    events.emplace_back(7, Event{id, CustomerRef::Id("c"),
                                 static_cast<std::int64_t>(id), "", p});
  }
  fold::BreakdownsBatch batch;
  for (const auto& [slot, e] : events) batch.Add(slot, e);
  const std::vector<fold::BreakdownsBatch::CustomerDelta> got = batch.Finish();
  RequireBatchEquals(got, FoldPerCustomer(events));
  absl::StatusOr<fold::Breakdowns> decoded =
      fold::DecodeBreakdowns(fold::Encode(got.at(0).state));
  REQUIRE_OK(decoded);
  REQUIRE(decoded->products.at("sku").money.at("GBP").gross_micros ==
          std::numeric_limits<std::int64_t>::max());
}

// A breakdowns value with these products, in this order (canonical only if
// they are sorted and unique).
std::string BreakdownsWithSkus(std::vector<const char*> skus) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::BreakdownRow>> rows;
  for (const char* sku : skus) {
    const auto money =
        b.CreateVector(std::vector<flatbuffers::Offset<fb::BreakdownMoney>>{
            fb::CreateBreakdownMoney(b, b.CreateString("GBP"), 5'000'000, 0)});
    rows.push_back(fb::CreateBreakdownRow(b, b.CreateString(sku), 1, 0, 2, 0,
                                          1'000, 2'000, money));
  }
  b.Finish(fb::CreateBreakdowns(b, b.CreateVector(rows)), "CKMB");
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()),
                     b.GetSize());
}

// Decodable, but not canonical.
std::string UnsortedBreakdowns() {
  return BreakdownsWithSkus({"zz", "aa", "mm"});
}
// Corrupt: DecodeBreakdowns refuses a key twice, sorted or not.
std::string DuplicateBreakdowns() { return BreakdownsWithSkus({"aa", "aa"}); }

TEST_CASE(
    "Breakdowns merge row by row into the bytes of decode, join, encode") {
  REQUIRE_OK(fold::DecodeBreakdowns(UnsortedBreakdowns()));
  REQUIRE(
      absl::IsDataLoss(fold::DecodeBreakdowns(DuplicateBreakdowns()).status()));
  REQUIRE(absl::IsDataLoss(
      fold::DecodeBreakdowns(BreakdownsWithSkus({"zz", "aa", "zz"})).status()));
  CHECK(fold::OrderedSkus({DuplicateBreakdowns()}).empty());
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 14000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    std::vector<std::string> values;
    const std::size_t n = gen.Pick(6);
    for (std::size_t k = 0; k < n; ++k) {
      switch (gen.Pick(10)) {
        case 0:
          values.push_back("not a flatbuffer");
          break;
        case 1: {
          fold::Breakdowns quarantined;
          quarantined.corrupt_operands = 1 + gen.Pick(3);
          values.push_back(fold::Encode(quarantined));
          break;
        }
        case 2:
          if (c % 10 == 0) {  // the odd path is the old one: test it less
            values.push_back(UnsortedBreakdowns());
            break;
          }
          if (c % 10 == 1) {
            values.push_back(DuplicateBreakdowns());
            break;
          }
          [[fallthrough]];
        default: {
          fold::Breakdowns value;
          for (const Event& e : gen.Events(gen.Pick(8))) {
            fold::Join(value, fold::BreakdownsOf(e));
          }
          // Stored compact (format 3.2) or as FlatBuffers (3.1).
          values.push_back(gen.Pick(2) == 0 ? fold::Encode(value)
                                            : fold::EncodeFlatBuffers(value));
        }
      }
    }
    fold::Breakdowns expected;
    for (const std::string& value : values) {
      absl::StatusOr<fold::Breakdowns> decoded = fold::DecodeBreakdowns(value);
      // One dimension alone decodes to the same rows, or fails the same way.
      for (Dimension d :
           {Dimension::kProduct, Dimension::kStore, Dimension::kCategory}) {
        absl::StatusOr<fold::BreakdownMap> rows =
            fold::DecodeBreakdowns(value, d);
        REQUIRE(rows.ok() == decoded.ok());
        if (rows.ok()) {
          REQUIRE(fold::Encode(fold::Breakdowns{*rows, {}, {}, 0}) ==
                  fold::Encode(fold::Breakdowns{decoded->of(d), {}, {}, 0}));
        }
      }
      if (decoded.ok()) {
        fold::Join(expected, *decoded);
      } else {
        ++expected.corrupt_operands;
      }
    }
    const std::vector<std::string_view> views(values.begin(), values.end());
    REQUIRE(fold::JoinEncoded(views, static_cast<fold::Breakdowns*>(nullptr)) ==
            fold::Encode(expected));
  }
}

TEST_CASE("Ordered SKUs are read from every stored operand") {
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 15000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    // Stored: a few operands (the first plays the base), each the fold of some
    // events.
    std::vector<std::string> stored;
    fold::Breakdowns all_stored;
    const std::size_t operands = gen.Pick(4);
    for (std::size_t k = 0; k < operands; ++k) {
      fold::Breakdowns operand;
      for (const Event& e : gen.Events(gen.Pick(6))) {
        fold::Join(operand, fold::BreakdownsOf(e));
      }
      fold::Join(all_stored, operand);
      stored.push_back(k % 2 ? fold::Encode(operand)
                             : fold::EncodeFlatBuffers(operand));
    }
    std::vector<std::string> expected;
    for (const auto& [sku, s] : all_stored.products) {
      if (s.orders > 0) expected.push_back(sku);
    }
    const std::vector<std::string_view> views(stored.begin(), stored.end());
    CHECK(fold::OrderedSkus(views) == expected);
    // The same, once the operands are merged into one value.
    const std::string merged = fold::Encode(all_stored);
    CHECK(fold::OrderedSkus({merged}) == expected);
    // Bytes that fail verification know no product.
    std::vector<std::string_view> with_garbage = views;
    with_garbage.push_back("garbage");
    CHECK(fold::OrderedSkus(with_garbage) == expected);
    CHECK(fold::OrderedSkus({std::string_view("garbage")}).empty());

    // Counting new products in place agrees with the loaded set, for SKUs
    // stored and not, and whatever else lies beside the values.
    std::vector<std::string> probe_storage = expected;
    for (int k = 0; k < 3; ++k)
      probe_storage.push_back("p-new-" + std::to_string(k));
    for (const Event& e : gen.Events(2)) {
      for (const auto& [sku, s] : fold::BreakdownsOf(e).products) {
        probe_storage.push_back(sku);
      }
    }
    std::sort(probe_storage.begin(), probe_storage.end());
    probe_storage.erase(std::unique(probe_storage.begin(), probe_storage.end()),
                        probe_storage.end());
    const std::vector<std::string_view> probe(probe_storage.begin(),
                                              probe_storage.end());
    std::int64_t absent = 0;
    for (std::string_view sku : probe) {
      absent += !std::binary_search(expected.begin(), expected.end(), sku);
    }
    CHECK(fold::CountNewProducts(views, probe) == absent);
    CHECK(fold::CountNewProducts({merged}, probe) == absent);
    CHECK(fold::CountNewProducts(with_garbage, probe) == absent);
    // Every truncation of the merged value is read without a crash, and
    // knows no more than the whole.
    for (std::size_t n = 0; n < merged.size(); n += 7) {
      CHECK(fold::CountNewProducts({std::string_view(merged).substr(0, n)},
                                   probe) >= absent);
    }
  }
}

TEST_CASE(
    "Partial merges then a full merge equal one full merge, in any split") {
  const auto op = NewProfileMergeOperator();
  for (int c = 0; c < kCases; ++c) {
    const std::uint64_t seed = 17000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 1);
    const std::vector<Event> events = gen.Events(2 + gen.Pick(20));
    std::vector<std::string> operands;
    for (const Event& e : events)
      operands.push_back(fold::Encode(fold::DeltaOf(e, "c")));
    const std::string base = operands.front();
    const std::vector<std::string> rest(operands.begin() + 1, operands.end());

    const std::string one_full = FullMerge(*op, &base, rest);
    REQUIRE(one_full == Bytes(FoldAll(events)));

    // Split the operands into random runs, partially merge each run, then
    // fully merge the partial results in shuffled order.
    std::vector<std::string> partials;
    for (std::size_t i = 0; i < rest.size();) {
      const std::size_t n = 1 + gen.Pick(static_cast<int>(rest.size() - i));
      partials.push_back(
          PartialMerge(*op, {rest.begin() + i, rest.begin() + i + n}));
      i += n;
    }
    std::shuffle(partials.begin(), partials.end(), gen.rng());
    REQUIRE(FullMerge(*op, &base, partials) == one_full);
    REQUIRE(FullMerge(*op, nullptr, operands) == one_full);
  }
}

TEST_CASE("A corrupt operand or base is skipped and counted, never fatal") {
  const auto op = NewProfileMergeOperator();
  ckm_test::EventGen gen(42, 1);
  const std::vector<Event> events = gen.Events(5);
  std::vector<std::string> operands;
  for (const Event& e : events)
    operands.push_back(fold::Encode(fold::DeltaOf(e, "c")));

  std::vector<std::string> with_garbage = operands;
  with_garbage.insert(with_garbage.begin() + 2,
                      std::string("\x01\x02garbage", 9));
  std::string flipped = operands[0];
  flipped[flipped.size() / 2] ^= 0x5a;
  with_garbage.push_back(std::string());  // empty operand
  const std::string merged = FullMerge(*op, nullptr, with_garbage);
  absl::StatusOr<ProfileState> state = fold::DecodeProfile(merged);
  REQUIRE_OK(state);
  CHECK(state->corrupt_operands == 2);
  CHECK(state->event_count == 5);

  const std::string bad_base = "not a profile";
  const std::string on_bad_base = FullMerge(*op, &bad_base, operands);
  state = fold::DecodeProfile(on_bad_base);
  REQUIRE_OK(state);
  CHECK(state->corrupt_operands == 1);
  CHECK(state->event_count == 5);

  // A flipped byte either fails verification (counted) or still decodes; it
  // never crashes and the merge never fails.
  const std::string maybe = FullMerge(*op, nullptr, {flipped});
  REQUIRE_OK(fold::DecodeProfile(maybe));
}

TEST_CASE("Money sums saturate instead of wrapping, in any order") {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::vector<ProfileState> deltas;
  for (int i = 0; i < 12; ++i) {
    Event e;
    e.id = i + 1;
    e.customer = CustomerRef::Id("c");
    e.ts_ms = 1000 * i;
    Purchase p;
    p.currency = "GBP";
    // 10^9 units at 1,000 each: 10^18 micros per order; twelve pass INT64_MAX.
    p.lines.push_back({"sku", "", 1'000'000'000, 1'000'000'000});
    e.body = p;
    deltas.push_back(fold::DeltaOf(e, "c"));
  }
  ProfileState forward, backward;
  for (const auto& d : deltas) fold::Join(forward, d);
  for (auto it = deltas.rbegin(); it != deltas.rend(); ++it)
    fold::Join(backward, *it);
  REQUIRE(Bytes(forward) == Bytes(backward));
  CHECK(forward.purchases.by_currency["GBP"].gross_micros == kMax);
  CHECK(forward.purchases.units == 12'000'000'000);
  CHECK(fold::SaturatingAdd(kMax, 1) == kMax);
  CHECK(fold::SaturatingAdd(std::numeric_limits<std::int64_t>::min(), -1) ==
        std::numeric_limits<std::int64_t>::min());
}

// A till's receipt: "3 for 10.00" (a line total), a line discounted by
// 1.50, an order-level discount of 2.00, and a return refunded less a 0.25
// restocking discount.
Event Receipt() {
  Event e;
  e.id = 7;
  e.customer = CustomerRef::Id("c");
  e.ts_ms = 1'700'000'000'000;
  Purchase p;
  p.currency = "GBP";
  p.channel = Channel::kInStore;
  p.store = "leeds";
  PurchaseLine three_for_ten{"mug", "kitchen", 3, 3'333'333};
  three_for_ten.line_total_micros = 10'000'000;
  PurchaseLine discounted{"tea", "food", 2, 4'000'000};
  discounted.discount_micros = 1'500'000;
  PurchaseLine returned{"mug", "kitchen", -1, 4'000'000};
  returned.discount_micros = 250'000;
  p.lines = {three_for_ten, discounted, returned};
  p.discount_micros = 2'000'000;
  p.total_micros = 10'000'000 + 6'500'000 - 2'000'000 - 3'750'000;
  e.body = p;
  return e;
}

TEST_CASE("Line totals and discounts: gross, discount, returned and net") {
  const Event e = Receipt();
  REQUIRE_OK(ValidateEvent(e, 0));
  const ProfileState state = fold::DeltaOf(e, "c");
  const fold::CurrencyAgg& gbp = state.purchases.by_currency.at("GBP");
  CHECK(gbp.gross_micros == 18'000'000);    // 10.00 + 2 * 4.00
  CHECK(gbp.discount_micros == 3'500'000);  // 1.50 + 2.00
  CHECK(gbp.returned_micros == 3'750'000);  // 4.00 - 0.25
  CHECK(gbp.largest_order_micros == 18'000'000);
  const fold::ChannelAgg& in_store = state.purchases.by_channel.at(
      {static_cast<std::uint8_t>(Channel::kInStore), "GBP"});
  CHECK(in_store.discount_micros == 3'500'000);

  // Read back through the stored encoding, as a Profile.
  absl::StatusOr<Profile> profile = Profile::FromBytes(Bytes(state));
  REQUIRE_OK(profile);
  const PurchaseSummary purchases = profile->purchases();  // a copy: keep it
  const CurrencyTotals& totals = purchases.by_currency.at(0);
  CHECK(totals.discount_micros == 3'500'000);
  CHECK(totals.net_micros() == 10'750'000);  // what the receipt's total says
  CHECK(profile->purchases().by_channel.at(0).net_micros() == 10'750'000);
  CHECK(profile->rfm(0).monetary_micros == 10'750'000);

  // Line discounts go to the line's product and category; the order's only
  // to the store, whose row then nets to the receipt's total.
  const fold::Breakdowns rows = fold::BreakdownsOf(e);
  const auto money = [&](Dimension d, const std::string& key) {
    return rows.of(d).at(key).money.at("GBP");
  };
  CHECK(money(Dimension::kProduct, "mug").gross_micros == 10'000'000);
  CHECK(money(Dimension::kProduct, "mug").returned_micros == 3'750'000);
  CHECK(money(Dimension::kProduct, "tea").discount_micros == 1'500'000);
  CHECK(money(Dimension::kCategory, "food").discount_micros == 1'500'000);
  const fold::BreakdownMoneyAgg store = money(Dimension::kStore, "leeds");
  CHECK(store.gross_micros == 18'000'000);
  CHECK(store.discount_micros == 3'500'000);
  CHECK(fold::NetMicros(store.gross_micros, store.discount_micros,
                        store.returned_micros) == 10'750'000);
  CHECK(rows.of(Dimension::kStore).at("leeds").orders == 1);
  CHECK(rows.of(Dimension::kStore).at("leeds").units == 5);

  // The batch path gives the same rows.
  fold::BreakdownsBatch batch;
  batch.Add(0, e);
  const auto deltas = batch.Finish();
  REQUIRE(deltas.size() == 1);
  CHECK(fold::Encode(deltas[0].state) == fold::Encode(rows));
}

TEST_CASE("A total without lines may carry the discount it was paid after") {
  Event e = Receipt();
  Purchase& p = std::get<Purchase>(e.body);
  p.lines.clear();
  p.total_micros = 7'000'000;
  p.discount_micros = 3'000'000;
  REQUIRE_OK(ValidateEvent(e, 0));
  const fold::CurrencyAgg gbp =
      fold::DeltaOf(e, "c").purchases.by_currency.at("GBP");
  CHECK(gbp.gross_micros == 10'000'000);
  CHECK(gbp.discount_micros == 3'000'000);
  const fold::BreakdownMoneyAgg store =
      fold::BreakdownsOf(e).stores.at("leeds").money.at("GBP");
  CHECK(store.gross_micros == 10'000'000);
  CHECK(store.discount_micros == 3'000'000);
}

// An attribute write of `key` at time `ts` (also its id).
Event AttributeWrite(std::int64_t ts, Provenance provenance, int confidence,
                     std::string value, bool remove = false) {
  Event e;
  e.id = static_cast<std::uint64_t>(ts);
  e.customer = CustomerRef::Id("c");
  e.ts_ms = ts;
  Attribute a("personal.city", std::move(value), provenance, confidence);
  a.remove = remove;
  if (remove) a.value = std::string();
  e.body = a;
  return e;
}

// The value in effect after `events`, folded in every order (each must give
// the same bytes); "" when none is.
std::string Effective(std::vector<Event> events,
                      int threshold = kMinImpliedConfidence) {
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.id < b.id; });
  std::string first;
  do {
    const std::string bytes = Bytes(FoldAll(events));
    if (first.empty()) first = bytes;
    REQUIRE(bytes == first);
  } while (std::next_permutation(
      events.begin(), events.end(),
      [](const Event& a, const Event& b) { return a.id < b.id; }));
  absl::StatusOr<Profile> p = Profile::FromBytes(first);
  REQUIRE_OK(p);
  const auto value = p->attribute("personal.city", threshold);
  return value ? std::get<std::string>(value->value) : std::string();
}

TEST_CASE(
    "Attribute precedence: expressed over imported over implied, a confidence "
    "threshold, and removals, in any order") {
  constexpr auto kExpressed = Provenance::kExpressed;
  constexpr auto kImported = Provenance::kImported;
  constexpr auto kImplied = Provenance::kImplied;
  // The customer's own answer is not overwritten by a later guess.
  CHECK(Effective({AttributeWrite(1, kExpressed, 100, "Leeds"),
                   AttributeWrite(3, kImplied, 20, "York")}) == "Leeds");
  CHECK(Effective({AttributeWrite(1, kExpressed, 100, "Leeds"),
                   AttributeWrite(3, kImplied, 95, "York")}) == "Leeds");
  CHECK(Effective({AttributeWrite(2, kImported, 100, "Hull"),
                   AttributeWrite(3, kImplied, 95, "York")}) == "Hull");
  // Newest within a provenance.
  CHECK(Effective({AttributeWrite(2, kImported, 100, "Hull"),
                   AttributeWrite(5, kImported, 100, "Bath")}) == "Bath");
  // Implied values only from the threshold up, which the reader may lower.
  CHECK(Effective({AttributeWrite(3, kImplied, 40, "York")}).empty());
  CHECK(Effective({AttributeWrite(3, kImplied, 40, "York")}, 30) == "York");
  CHECK(Effective({AttributeWrite(3, kImplied, 50, "York")}) == "York");
  // A removal hides older values of its own and lower provenances...
  const std::vector<Event> three = {AttributeWrite(1, kExpressed, 100, "Leeds"),
                                    AttributeWrite(2, kImported, 100, "Hull"),
                                    AttributeWrite(3, kImplied, 90, "York")};
  auto with = [&](std::vector<Event> more) {
    std::vector<Event> all = three;
    all.insert(all.end(), more.begin(), more.end());
    return all;
  };
  CHECK(Effective(with({AttributeWrite(4, kExpressed, 0, "", true)})).empty());
  CHECK(Effective(with({AttributeWrite(4, kImported, 0, "", true)})) ==
        "Leeds");
  CHECK(Effective({AttributeWrite(2, kImported, 100, "Hull"),
                   AttributeWrite(3, kImplied, 90, "York"),
                   AttributeWrite(4, kImported, 0, "", true)})
            .empty());
  // ...never a higher one...
  CHECK(Effective({AttributeWrite(2, kImported, 100, "Hull"),
                   AttributeWrite(4, kImplied, 0, "", true)}) == "Hull");
  // ...and never a newer value, whichever arrives first.
  CHECK(Effective(with({AttributeWrite(4, kExpressed, 0, "", true),
                        AttributeWrite(5, kImplied, 90, "Bath")})) == "Bath");
  CHECK(Effective({AttributeWrite(5, kExpressed, 100, "Leeds"),
                   AttributeWrite(4, kExpressed, 0, "", true)}) == "Leeds");

  // Every value and removal stays readable.
  absl::StatusOr<Profile> p = Profile::FromBytes(
      Bytes(FoldAll(with({AttributeWrite(4, kImported, 0, "", true)}))));
  REQUIRE_OK(p);
  const std::vector<AttributeLayers> layers = p->attribute_layers();
  REQUIRE(layers.size() == 1);
  REQUIRE(layers[0].values.size() == 3);
  CHECK(layers[0].values[0].provenance == kExpressed);
  CHECK(layers[0].values[1].provenance == kImported);
  CHECK(layers[0].values[2].provenance == kImplied);
  REQUIRE(layers[0].removals.size() == 1);
  CHECK(layers[0].removals[0].provenance == kImported);
  CHECK(layers[0].removals[0].ts_ms == 4);
  CHECK(p->attributes().size() == 1);
}

TEST_CASE("Decoding rejects bytes that are not a profile") {
  CHECK(absl::IsDataLoss(fold::DecodeProfile("").status()));
  CHECK(absl::IsDataLoss(fold::DecodeProfile("short").status()));
  CHECK(
      absl::IsDataLoss(fold::DecodeProfile(std::string(64, '\xff')).status()));
  // A breakdown is not a profile and vice versa (a compact value's kind, a
  // FlatBuffers value's file identifier).
  const std::string breakdowns = fold::Encode(fold::Breakdowns{});
  CHECK(absl::IsDataLoss(fold::DecodeProfile(breakdowns).status()));
  CHECK(absl::IsDataLoss(
      fold::DecodeBreakdowns(fold::Encode(ProfileState{})).status()));
  // Every truncation of a real profile is rejected or decodes; none crashes.
  ckm_test::EventGen gen(7, 1);
  const std::string bytes = Bytes(FoldAll(gen.Events(10)));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    (void)fold::DecodeProfile(std::string_view(bytes.data(), n));
  }
}

}  // namespace
}  // namespace ckm
