// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "codec/event_codec.h"

#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codec/event_flatbuffers.h"
#include "codec/fields.h"
#include "fold/attribute_value.h"
#include "validate.h"

namespace ckm {
namespace {

using codec::EnumField;
using codec::FieldReader;
using codec::FieldWriter;
using codec::NarrowField;
using codec::OptionalField;

constexpr char kEventKind = 'E';

template <typename IO>
void BodyFields(IO& io, Purchase& p) {
  io.Str(p.order_id);
  io.Str(p.currency);
  EnumField(io, p.channel);
  io.Str(p.store);
  const bool discounts = io.version() >= 2;  // and line totals
  io.Items(p.lines, [&](PurchaseLine& line) {
    io.Str(line.sku);
    io.Str(line.category);
    io.I64(line.quantity);
    io.I64(line.unit_price_micros);
    if (discounts) {
      OptionalField(io, line.line_total_micros,
                    [](IO& io, auto& v) { io.I64(v); });
      io.I64(line.discount_micros);
    }
  });
  if (discounts) io.I64(p.discount_micros);
  OptionalField(io, p.total_micros, [](IO& io, auto& v) { io.I64(v); });
}

template <typename IO>
void BodyFields(IO& io, Interaction& i) {
  EnumField(io, i.channel);
  EnumField(io, i.kind);
  io.Str(i.topic);
  io.Str(i.agent);
  io.I64(i.duration_s);
  OptionalField(io, i.sentiment, [](IO& io, auto& v) { NarrowField(io, v); });
  OptionalField(io, i.rating, [](IO& io, auto& v) { NarrowField(io, v); });
  OptionalField(io, i.text, [](IO& io, auto& v) { io.Str(v); });
}

template <typename IO>
void BodyFields(IO& io, Loyalty& l) {
  EnumField(io, l.kind);
  io.I64(l.points);
  io.Str(l.tier);
  io.Str(l.program);
}

// The value as its stored type, then its text or its number.
template <typename IO>
void ValueFields(IO& io, AttributeValue& value) {
  StoredAttributeValue stored = ToStored(value);
  io.U8(stored.type);
  if (stored.type == 0) {
    io.Str(stored.text);
  } else {
    io.I64(stored.number);
  }
  if constexpr (IO::kReading) {
    const bool boolean = stored.type == 2;
    std::optional<AttributeValue> read =
        FromStored(stored.type, stored.text, stored.number);
    if (!read || (boolean && (stored.number < 0 || stored.number > 1))) {
      io.Invalid();
    } else {
      value = *std::move(read);
    }
  }
}

template <typename IO>
void BodyFields(IO& io, Attribute& a) {
  io.Str(a.key);
  ValueFields(io, a.value);
  EnumField(io, a.provenance);
  NarrowField(io, a.confidence);
  if (io.version() >= 2) io.Bool(a.remove);
}

template <typename IO>
void BodyFields(IO& io, Consent& c) {
  io.Str(c.purpose);
  io.Bool(c.granted);
}

template <typename IO>
void BodyFields(IO& io, Identity& i) {
  EnumField(io, i.type);
  io.Str(i.value);
}

// Makes `body` hold a default alternative number `index`; false if there is
// none.
template <std::size_t... I>
bool EmplaceBody(Event::Body& body, std::size_t index,
                 std::index_sequence<I...>) {
  return ((index == I ? (body.emplace<I>(), true) : false) || ...);
}

// `Id` is std::string_view to write, std::string to read.
template <typename IO, typename Id>
void EventFields(IO& io, Event& e, Id& customer_id) {
  io.U64(e.id);
  io.Str(customer_id);
  io.I64(e.ts_ms);
  io.Str(e.source);
  auto kind = static_cast<std::uint8_t>(e.body.index());
  io.U8(kind);
  if constexpr (IO::kReading) {
    if (!EmplaceBody(e.body, kind,
                     std::make_index_sequence<kEventKindCount>())) {
      io.Invalid();
      return;
    }
  }
  std::visit([&](auto& body) { BodyFields(io, body); }, e.body);
}

}  // namespace

std::string EncodeEvent(const Event& event, std::string_view customer_id) {
  std::string out = codec::CompactHeader(kEventEncodingVersion, kEventKind);
  out.reserve(160);
  FieldWriter writer(out, kEventEncodingVersion);
  EventFields(writer, const_cast<Event&>(event), customer_id);
  return out;
}

absl::StatusOr<Event> DecodeEvent(std::string_view bytes) {
  Event out;
  if (codec::HasCompactMagic(bytes)) {
    absl::StatusOr<codec::CompactBody> body =
        codec::CompactFields(bytes, kOldestEventEncodingVersion,
                             kEventEncodingVersion, kEventKind, "event");
    if (!body.ok()) return body.status();
    FieldReader reader(body->fields, body->version);
    std::string customer_id;
    EventFields(reader, out, customer_id);
    if (!reader.ok()) return absl::DataLossError("corrupt event: malformed");
    out.customer = CustomerRef::Id(customer_id);
  } else {
    absl::StatusOr<Event> old = DecodeFlatBuffersEvent(bytes);
    if (!old.ok()) return old.status();
    out = *std::move(old);
  }
  // History that would not pass validation cannot be folded safely.
  if (absl::Status s = ValidateEvent(out, 0); !s.ok()) {
    return absl::DataLossError(absl::StrCat("corrupt event: ", s.message()));
  }
  return out;
}

}  // namespace ckm
