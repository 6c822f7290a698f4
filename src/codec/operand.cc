// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The fields of profile and breakdowns states (codec/fields.h).

#include "codec/operand.h"

#include <algorithm>
#include <initializer_list>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "codec/fields.h"
#include "string_util.h"

namespace ckm::codec {
namespace {

using fold::kNoMax;
using fold::kNoMin;

constexpr char kProfileKind = 'P';
constexpr char kBreakdownsKind = 'B';

// ---- The fields of each state --------------------------------------------

template <typename IO>
void StampFields(IO& io, fold::Stamp& s) {
  io.I64(s.ts_ms);
  io.U64(s.event_id);
}

// A first and a last time: the first, then the distance to the last (modulo
// 2^64, so any pair round-trips), one byte when they are the same, as they
// are in every one-event delta.
template <typename IO>
void Span(IO& io, std::int64_t& first, std::int64_t& last) {
  io.I64(first);
  std::uint64_t width =
      static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(first);
  io.U64(width);
  if constexpr (IO::kReading) {
    last = static_cast<std::int64_t>(static_cast<std::uint64_t>(first) + width);
  }
}

// First and last purchase, present when there was an order (as in the
// FlatBuffers encoding, which stores 0 otherwise).
template <typename IO>
void PurchaseSpan(IO& io, std::int64_t orders, std::int64_t& first,
                  std::int64_t& last) {
  if (orders > 0) {
    Span(io, first, last);
  } else if (IO::kReading) {
    first = kNoMin;
    last = kNoMax;
  }
}

// Gross, discount (from version 2 on) and returned.
template <typename IO>
void MoneyFields(IO& io, std::int64_t& gross, std::int64_t& discount,
                 std::int64_t& returned) {
  io.I64(gross);
  if (io.version() >= 2) io.I64(discount);
  io.I64(returned);
}

template <typename IO>
void PurchaseFields(IO& io, fold::PurchaseAgg& p) {
  for (std::int64_t* v : {&p.orders, &p.returns, &p.lines, &p.returned_lines,
                          &p.units, &p.returned_units, &p.distinct_products})
    io.I64(*v);
  PurchaseSpan(io, p.orders, p.first_purchase_ms, p.last_purchase_ms);
  io.Entries(p.by_currency, [&](std::string& code, fold::CurrencyAgg& c) {
    io.Str(code);
    io.I64(c.orders);
    MoneyFields(io, c.gross_micros, c.discount_micros, c.returned_micros);
    io.I64(c.largest_order_micros);
  });
  io.Entries(p.by_channel, [&](std::pair<std::uint8_t, std::string>& key,
                               fold::ChannelAgg& c) {
    io.U8(key.first);
    io.Str(key.second);
    io.I64(c.orders);
    MoneyFields(io, c.gross_micros, c.discount_micros, c.returned_micros);
  });
}

template <typename IO>
void InteractionFields(IO& io, fold::InteractionAgg& i) {
  io.I64(i.count);
  for (std::int64_t& v : i.by_channel) io.I64(v);
  for (std::int64_t& v : i.by_kind) io.I64(v);
  io.I64(i.total_duration_s);
  StampFields(io, i.last);
  io.U8(i.last_channel);
  io.U8(i.last_kind);
  for (std::int64_t* v :
       {&i.sentiment_sum, &i.sentiment_count, &i.rating_sum, &i.rating_count,
        &i.promoters, &i.passives, &i.detractors})
    io.I64(*v);
}

// A register's value is kept only with its stamp, as in FlatBuffers.
template <typename IO>
void RegisterFields(IO& io, fold::StringRegister& r) {
  StampFields(io, r.stamp);
  if (!r.stamp.empty()) io.Str(r.value);
}

template <typename IO>
void LoyaltyFields(IO& io, fold::LoyaltyAgg& l) {
  bool enrolled = l.enrolled_ms != kNoMin;
  io.Bool(enrolled);
  if (enrolled) io.I64(l.enrolled_ms);
  if constexpr (IO::kReading) {
    if (enrolled && l.enrolled_ms == kNoMin) io.Invalid();  // reads as not
  }
  RegisterFields(io, l.program);
  for (std::int64_t* v :
       {&l.earned, &l.redeemed, &l.expired, &l.adjusted_up, &l.adjusted_down})
    io.I64(*v);
  RegisterFields(io, l.tier);
}

template <typename IO>
void ValueFields(IO& io, fold::AttributeRegister& a) {
  StampFields(io, a.stamp);
  io.Str(a.source);
  io.U8(a.value.type);
  io.Str(a.value.text);
  io.I64(a.value.number);
  io.U8(a.provenance);
  io.U8(a.confidence);
}

// From version 2 on: a presence flag and the fields of each provenance's
// value, then of each provenance's removal. Version 1 held one value, put
// here by its provenance.
template <typename IO>
void AttributeFields(IO& io, fold::AttributeRegisters& a) {
  if (io.version() < 2) {
    fold::AttributeRegister one;  // to write: the latest, as version 1 kept
    for (const fold::AttributeRegister& r : a.values) {
      if (one.Tie() < r.Tie()) one = r;
    }
    ValueFields(io, one);
    if constexpr (IO::kReading) {
      if (one.provenance < 1 || one.provenance > fold::kProvenanceCount ||
          one.stamp.empty()) {
        io.Invalid();
        return;
      }
      a.values[one.provenance - 1] = std::move(one);
    }
    return;
  }
  for (int i = 0; i < fold::kProvenanceCount; ++i) {
    fold::AttributeRegister& value = a.values[i];
    bool present = !value.stamp.empty();
    io.Bool(present);
    if (!present) continue;
    ValueFields(io, value);
    if constexpr (IO::kReading) {
      if (value.stamp.empty() || value.provenance != i + 1) io.Invalid();
    }
  }
  for (fold::Stamp& removal : a.removals) {
    bool present = !removal.empty();
    io.Bool(present);
    if (!present) continue;
    StampFields(io, removal);
    if constexpr (IO::kReading) {
      if (removal.empty()) io.Invalid();
    }
  }
}

// A generic lambda per section, so that FieldWriter::Section can run it on a
// default state of its own.
template <typename IO>
void ProfileFields(IO& io, fold::ProfileState& s) {
  io.Str(s.customer_id);
  io.I64(s.event_count);
  if (s.event_count > 0) Span(io, s.first_seen_ms, s.last_seen_ms);
  io.Section(s.identities, [](auto& io, auto& ids) {
    io.Entries(ids, [&](auto& key, std::int64_t& linked_ms) {
      io.U8(key.first);
      io.Str(key.second);
      io.I64(linked_ms);
    });
  });
  io.Section(s.attributes, [](auto& io, auto& attributes) {
    io.Entries(attributes, [&](std::string& key, auto& a) {
      io.Str(key);
      AttributeFields(io, a);
    });
  });
  io.Section(s.consents, [](auto& io, auto& consents) {
    io.Entries(consents, [&](std::string& purpose, auto& c) {
      io.Str(purpose);
      StampFields(io, c.stamp);
      io.Str(c.source);
      io.Bool(c.granted);
    });
  });
  io.Section(s.purchases, [](auto& io, auto& p) { PurchaseFields(io, p); });
  io.Section(s.interactions,
             [](auto& io, auto& i) { InteractionFields(io, i); });
  io.Section(s.loyalty, [](auto& io, auto& l) { LoyaltyFields(io, l); });
  io.I64(s.corrupt_operands);
  io.U64(s.last_corrupt_event_id);
}

template <typename IO>
void RowFields(IO& io, fold::BreakdownState& r) {
  for (std::int64_t* v : {&r.orders, &r.returns, &r.units, &r.returned_units})
    io.I64(*v);
  PurchaseSpan(io, r.orders, r.first_purchase_ms, r.last_purchase_ms);
  io.Entries(r.money, [&](std::string& currency, fold::BreakdownMoneyAgg& m) {
    io.Str(currency);
    MoneyFields(io, m.gross_micros, m.discount_micros, m.returned_micros);
  });
}

template <typename IO>
void BreakdownsFields(IO& io, fold::Breakdowns& s) {
  io.I64(s.corrupt_operands);
  for (fold::BreakdownMap* rows : {&s.products, &s.stores, &s.categories}) {
    io.Entries(*rows, [&](std::string& key, fold::BreakdownState& r) {
      io.Str(key);
      RowFields(io, r);
    });
  }
}

// ---- Checks on decoded values --------------------------------------------

bool NonNegative(std::initializer_list<std::int64_t> values) {
  return std::all_of(values.begin(), values.end(),
                     [](std::int64_t v) { return v >= 0; });
}

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(absl::StrCat("corrupt merge operand: ", Av(what)));
}

// What validation lets through and the FlatBuffers decoding checks too.
absl::Status Check(const fold::PurchaseAgg& p) {
  if (!NonNegative({p.orders, p.returns, p.lines, p.returned_lines, p.units,
                    p.returned_units, p.distinct_products}))
    return Corrupt("negative purchase count");
  for (const auto& [code, c] : p.by_currency) {
    if (!NonNegative({c.orders, c.gross_micros, c.discount_micros,
                      c.returned_micros, c.largest_order_micros}))
      return Corrupt("negative currency total");
  }
  for (const auto& [key, c] : p.by_channel) {
    if (key.first >= kChannelCount) return Corrupt("unknown channel");
    if (!NonNegative(
            {c.orders, c.gross_micros, c.discount_micros, c.returned_micros}))
      return Corrupt("negative channel total");
  }
  return absl::OkStatus();
}

absl::Status Check(const fold::ProfileState& s) {
  if (!NonNegative({s.event_count, s.corrupt_operands}))
    return Corrupt("negative event count");
  for (const auto& [key, a] : s.attributes) {
    for (const fold::AttributeRegister& value : a.values) {
      if (!FromStored(value.value.type, {}, 0))
        return Corrupt("unknown attribute value type");
    }
  }
  if (absl::Status st = fold::CheckStamps(s); !st.ok()) return st;
  if (absl::Status st = Check(s.purchases); !st.ok()) return st;
  const fold::InteractionAgg& i = s.interactions;
  if (!NonNegative({i.count, i.total_duration_s, i.sentiment_count,
                    i.rating_sum, i.rating_count, i.promoters, i.passives,
                    i.detractors}))
    return Corrupt("negative interaction count");
  const fold::LoyaltyAgg& l = s.loyalty;
  if (!NonNegative(
          {l.earned, l.redeemed, l.expired, l.adjusted_up, l.adjusted_down}))
    return Corrupt("negative points total");
  return absl::OkStatus();
}

absl::Status Check(const fold::Breakdowns& s) {
  if (s.corrupt_operands < 0) return Corrupt("negative corrupt-operand count");
  for (const fold::BreakdownMap* rows :
       {&s.products, &s.stores, &s.categories}) {
    for (const auto& [key, r] : *rows) {
      if (!NonNegative({r.orders, r.returns, r.units, r.returned_units}))
        return Corrupt("negative breakdown count");
      for (const auto& [currency, m] : r.money) {
        if (!NonNegative(
                {m.gross_micros, m.discount_micros, m.returned_micros}))
          return Corrupt("negative breakdown amount");
      }
    }
  }
  return absl::OkStatus();
}

// Room for most states in one allocation: a varint string grows byte by
// byte.
std::size_t SizeHint(const fold::ProfileState&) { return 160; }
std::size_t SizeHint(const fold::Breakdowns& s) {
  return 16 + 48 * (s.products.size() + s.stores.size() + s.categories.size());
}

template <typename State>
std::string Encode(char kind, const State& state,
                   void (*fields)(FieldWriter&, State&),
                   int version = kOperandVersion) {
  std::string out = CompactHeader(version, kind);
  out.reserve(SizeHint(state));
  FieldWriter writer(out, version);
  fields(writer, const_cast<State&>(state));
  return out;
}

template <typename State>
absl::StatusOr<State> Decode(char kind, std::string_view bytes,
                             void (*fields)(FieldReader&, State&)) {
  absl::StatusOr<CompactBody> body = CompactFields(
      bytes, kOldestOperandVersion, kOperandVersion, kind, "merge operand");
  if (!body.ok()) return body.status();
  State state;
  FieldReader reader(body->fields, body->version);
  fields(reader, state);
  if (!reader.ok()) return Corrupt("malformed");
  if (absl::Status st = Check(state); !st.ok()) return st;
  return state;
}

// ---- Merging breakdowns operands row by row ------------------------------

// Reads the fields of one row after its key (of the newest version),
// checking what decoding checks (RowFields and Check), without building the
// row. False if they fail.
bool SkipRowFields(VarintReader& in) {
  std::int64_t counts[4];
  for (std::int64_t& c : counts) c = in.Signed();
  if (!NonNegative({counts[0], counts[1], counts[2], counts[3]})) return false;
  if (counts[0] > 0) {  // orders: the span follows
    in.Signed();
    in.Varint();
  }
  const std::uint64_t n = in.Count();
  std::string_view previous;
  for (std::uint64_t i = 0; i < n && in.ok(); ++i) {
    const std::string_view currency = in.Bytes();
    if (i > 0 && !(previous < currency)) return false;
    previous = currency;
    if (!NonNegative({in.Signed(), in.Signed(), in.Signed()})) return false;
  }
  return in.ok();
}

// One operand's rows of one dimension, read in order.
struct RowCursor {
  RowCursor() = default;
  explicit RowCursor(VarintReader* in) : in(in) {}

  VarintReader* in = nullptr;
  std::uint64_t left = 0;  // rows not yet read
  bool has_row = false;
  bool started = false;
  std::string_view key;
  std::string_view fields;  // the row's bytes after its key

  // Reads the next row; false if the bytes are malformed or out of order.
  bool Next() {
    has_row = left > 0;
    if (!has_row) return true;
    --left;
    const std::string_view previous = key;
    key = in->Bytes();
    if (started && !(previous < key)) return false;
    started = true;
    const std::size_t start = in->position();
    if (!SkipRowFields(*in)) return false;
    fields = in->input().substr(start, in->position() - start);
    return true;
  }
};

// Merges one dimension of every operand into `out`: rows in key order, a
// row one operand holds copied, the others decoded and joined.
bool MergeDimension(std::vector<RowCursor>& rows, std::string& out) {
  std::string merged;
  std::uint64_t count = 0;
  for (RowCursor& r : rows) {
    r.left = r.in->Count();
    if (!r.Next()) return false;
  }
  std::vector<RowCursor*> same;
  while (true) {
    same.clear();
    for (RowCursor& r : rows) {
      if (!r.has_row) continue;
      if (!same.empty() && r.key > same.front()->key) continue;
      if (!same.empty() && r.key < same.front()->key) same.clear();
      same.push_back(&r);
    }
    if (same.empty()) break;
    ++count;
    PutBytes(merged, same.front()->key);
    if (same.size() == 1) {
      merged.append(same.front()->fields);
    } else {
      fold::BreakdownState joined;
      for (RowCursor* r : same) {
        fold::BreakdownState row;
        FieldReader reader(r->fields, kOperandVersion);
        RowFields(reader, row);
        fold::Join(joined, row);
      }
      FieldWriter writer(merged, kOperandVersion);
      RowFields(writer, joined);
    }
    for (RowCursor* r : same) {
      if (!r->Next()) return false;
    }
  }
  PutVarint(out, count);
  out.append(merged);
  return true;
}

}  // namespace

bool IsOperand(std::string_view bytes) { return HasCompactMagic(bytes); }

std::string EncodeOperand(const fold::ProfileState& state) {
  return Encode(kProfileKind, state, &ProfileFields<FieldWriter>);
}

std::string EncodeOperand(const fold::Breakdowns& state) {
  return Encode(kBreakdownsKind, state, &BreakdownsFields<FieldWriter>);
}

std::string EncodeOperandInVersion(const fold::ProfileState& state,
                                   int version) {
  return Encode(kProfileKind, state, &ProfileFields<FieldWriter>, version);
}

std::string EncodeOperandInVersion(const fold::Breakdowns& state, int version) {
  return Encode(kBreakdownsKind, state, &BreakdownsFields<FieldWriter>,
                version);
}

absl::StatusOr<fold::ProfileState> DecodeProfileOperand(
    std::string_view bytes) {
  return Decode(kProfileKind, bytes, &ProfileFields<FieldReader>);
}

absl::StatusOr<fold::Breakdowns> DecodeBreakdownsOperand(
    std::string_view bytes) {
  return Decode(kBreakdownsKind, bytes, &BreakdownsFields<FieldReader>);
}

absl::StatusOr<fold::BreakdownMap> DecodeBreakdownsDimension(
    std::string_view bytes, Dimension dimension) {
  const int wanted = dimension == Dimension::kProduct ? 0
                     : dimension == Dimension::kStore ? 1
                                                      : 2;
  absl::StatusOr<CompactBody> body =
      CompactFields(bytes, kOperandVersion, kOperandVersion, kBreakdownsKind,
                    "breakdowns value");
  if (body.ok()) {
    VarintReader in(body->fields);
    fold::BreakdownMap out;
    bool clean = in.Signed() >= 0 && in.ok();
    for (int d = 0; d < 3 && clean; ++d) {
      RowCursor rows(&in);
      rows.left = in.Count();
      while ((clean = rows.Next()) && rows.has_row) {
        if (d != wanted) continue;
        fold::BreakdownState row;
        FieldReader reader(rows.fields, kOperandVersion);
        RowFields(reader, row);
        clean = reader.ok();
        if (!clean) break;
        out.emplace_hint(out.end(), rows.key, std::move(row));
      }
    }
    if (clean && in.done()) return out;
  }
  // An older version, or damage: the whole decode says what is wrong.
  absl::StatusOr<fold::Breakdowns> all = DecodeBreakdownsOperand(bytes);
  if (!all.ok()) return all.status();
  return std::move(all->of(dimension));
}

std::optional<std::vector<std::string_view>> OrderedSkusInPlace(
    std::string_view bytes) {
  absl::StatusOr<CompactBody> body =
      CompactFields(bytes, kOperandVersion, kOperandVersion, kBreakdownsKind,
                    "breakdowns value");
  if (!body.ok()) return std::nullopt;
  VarintReader in(body->fields);
  if (in.Signed() < 0 || !in.ok()) return std::nullopt;
  std::vector<std::string_view> skus;
  for (int dimension = 0; dimension < 3; ++dimension) {
    RowCursor rows(&in);
    rows.left = in.Count();
    for (;;) {
      if (!rows.Next()) return std::nullopt;
      if (!rows.has_row) break;
      if (dimension > 0) continue;
      VarintReader fields(rows.fields);
      if (fields.Signed() > 0) skus.push_back(rows.key);  // orders
    }
  }
  if (!in.done()) return std::nullopt;
  return skus;
}

std::optional<std::string> MergeBreakdownsOperands(
    const std::vector<std::string_view>& operands) {
  std::vector<VarintReader> inputs;
  inputs.reserve(operands.size());
  std::int64_t corrupt = 0;
  std::size_t size = 0;
  for (std::string_view bytes : operands) {
    // Rows are copied as they lie: only operands of the newest version.
    absl::StatusOr<CompactBody> body =
        CompactFields(bytes, kOperandVersion, kOperandVersion, kBreakdownsKind,
                      "merge operand");
    if (!body.ok()) return std::nullopt;
    VarintReader& in = inputs.emplace_back(body->fields);
    const std::int64_t count = in.Signed();
    if (count < 0 || !in.ok()) return std::nullopt;
    corrupt = fold::SaturatingAdd(corrupt, count);
    size += bytes.size();
  }
  std::string out = CompactHeader(kOperandVersion, kBreakdownsKind);
  out.reserve(size);
  PutSigned(out, corrupt);
  std::vector<RowCursor> rows(inputs.size());
  for (int dimension = 0; dimension < 3; ++dimension) {
    for (std::size_t k = 0; k < inputs.size(); ++k)
      rows[k] = RowCursor(&inputs[k]);
    if (!MergeDimension(rows, out)) return std::nullopt;
  }
  for (const VarintReader& in : inputs) {
    if (!in.done()) return std::nullopt;
  }
  return out;
}

}  // namespace ckm::codec
