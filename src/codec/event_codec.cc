// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "codec/event_codec.h"

#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codec/aligned.h"
#include "events_generated.h"
#include "fold/attribute_value.h"
#include "validate.h"

namespace ckm {
namespace {

namespace fb = ::ckm::fb;
using Builder = flatbuffers::FlatBufferBuilder;

std::string Str(const flatbuffers::String* s) {
  return s ? s->str() : std::string();
}

flatbuffers::Offset<void> EncodeBody(Builder& b, const Purchase& p) {
  std::vector<flatbuffers::Offset<fb::PurchaseLine>> lines;
  lines.reserve(p.lines.size());
  for (const PurchaseLine& line : p.lines) {
    lines.push_back(fb::CreatePurchaseLine(
        b, b.CreateString(line.sku), b.CreateString(line.category),
        line.quantity, line.unit_price_micros));
  }
  return fb::CreatePurchase(
             b, b.CreateString(p.order_id), b.CreateString(p.currency),
             static_cast<fb::Channel>(p.channel), b.CreateString(p.store),
             b.CreateVector(lines), p.total_micros.value_or(0),
             p.total_micros.has_value())
      .Union();
}

flatbuffers::Offset<void> EncodeBody(Builder& b, const Interaction& i) {
  return fb::CreateInteraction(
             b, static_cast<fb::Channel>(i.channel),
             static_cast<std::uint8_t>(i.kind), b.CreateString(i.topic),
             b.CreateString(i.agent), i.duration_s, i.sentiment.has_value(),
             static_cast<std::int8_t>(i.sentiment.value_or(0)),
             i.rating.has_value(),
             static_cast<std::int8_t>(i.rating.value_or(0)),
             i.text ? b.CreateString(*i.text) : 0)
      .Union();
}

flatbuffers::Offset<void> EncodeBody(Builder& b, const Loyalty& l) {
  return fb::CreateLoyalty(b, static_cast<std::uint8_t>(l.kind), l.points,
                           b.CreateString(l.tier), b.CreateString(l.program))
      .Union();
}

flatbuffers::Offset<void> EncodeBody(Builder& b, const Attribute& a) {
  const StoredAttributeValue value = ToStored(a.value);
  return fb::CreateAttribute(b, b.CreateString(a.key), value.type,
                             value.type == 0 ? b.CreateString(value.text) : 0,
                             value.number,
                             static_cast<std::uint8_t>(a.provenance),
                             static_cast<std::uint8_t>(a.confidence))
      .Union();
}

flatbuffers::Offset<void> EncodeBody(Builder& b, const Consent& c) {
  return fb::CreateConsent(b, b.CreateString(c.purpose), c.granted).Union();
}

flatbuffers::Offset<void> EncodeBody(Builder& b, const Identity& i) {
  return fb::CreateIdentity(b, static_cast<fb::IdentityType>(i.type),
                            b.CreateString(i.value))
      .Union();
}

// Union tags in the order of Event::Body's alternatives.
constexpr fb::Body kBodyTags[] = {fb::Body::Purchase, fb::Body::Interaction,
                                  fb::Body::Loyalty,  fb::Body::Attribute,
                                  fb::Body::Consent,  fb::Body::Identity};

absl::StatusOr<Event::Body> DecodeBody(const fb::Event* e) {
  // A union tag without its table passes the Verifier: check before use.
  if (e->body() == nullptr) {
    return absl::DataLossError("corrupt event: body missing");
  }
  switch (e->body_type()) {
    case fb::Body::Purchase: {
      const fb::Purchase* p = e->body_as_Purchase();
      Purchase out;
      out.order_id = Str(p->order_id());
      out.currency = Str(p->currency());
      out.channel = static_cast<Channel>(p->channel());
      out.store = Str(p->store());
      if (const auto* lines = p->lines()) {
        for (const fb::PurchaseLine* line : *lines) {
          out.lines.push_back({Str(line->sku()), Str(line->category()),
                               line->quantity(), line->unit_price_micros()});
        }
      }
      if (p->has_total()) out.total_micros = p->total_micros();
      return Event::Body(std::move(out));
    }
    case fb::Body::Interaction: {
      const fb::Interaction* i = e->body_as_Interaction();
      Interaction out;
      out.channel = static_cast<Channel>(i->channel());
      out.kind = static_cast<InteractionKind>(i->kind());
      out.topic = Str(i->topic());
      out.agent = Str(i->agent());
      out.duration_s = i->duration_s();
      if (i->has_sentiment()) out.sentiment = i->sentiment();
      if (i->has_rating()) out.rating = i->rating();
      if (i->text()) out.text = i->text()->str();
      return Event::Body(std::move(out));
    }
    case fb::Body::Loyalty: {
      const fb::Loyalty* l = e->body_as_Loyalty();
      return Event::Body(Loyalty{static_cast<LoyaltyKind>(l->kind()),
                                 l->points(), Str(l->tier()),
                                 Str(l->program())});
    }
    case fb::Body::Attribute: {
      const fb::Attribute* a = e->body_as_Attribute();
      Attribute out;
      out.key = Str(a->key());
      std::optional<AttributeValue> value =
          FromStored(a->value_type(), Str(a->string_value()), a->int_value());
      if (!value) {
        return absl::DataLossError(
            "corrupt event: unknown attribute value type");
      }
      out.value = *std::move(value);
      out.provenance = static_cast<Provenance>(a->provenance());
      out.confidence = a->confidence();
      return Event::Body(std::move(out));
    }
    case fb::Body::Consent: {
      const fb::Consent* c = e->body_as_Consent();
      return Event::Body(Consent{Str(c->purpose()), c->granted()});
    }
    case fb::Body::Identity: {
      const fb::Identity* i = e->body_as_Identity();
      return Event::Body(
          Identity{static_cast<IdentityType>(i->type()), Str(i->value())});
    }
    case fb::Body::NONE:
      break;
  }
  return absl::DataLossError("corrupt event: unknown body type");
}

}  // namespace

std::string EncodeEvent(const Event& event, std::string_view customer_id) {
  Builder b(256);
  const auto body =
      std::visit([&](const auto& v) { return EncodeBody(b, v); }, event.body);
  const auto customer = b.CreateString(customer_id.data(), customer_id.size());
  const auto source = b.CreateString(event.source);
  b.Finish(fb::CreateEvent(b, event.id, customer, event.ts_ms, source,
                           kBodyTags[event.body.index()], body),
           fb::EventIdentifier());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()),
                     b.GetSize());
}

absl::StatusOr<Event> DecodeEvent(std::string_view bytes) {
  const AlignedBytes aligned(bytes);
  const std::uint8_t* data = aligned.data();
  flatbuffers::Verifier verifier(data, aligned.size());
  if (bytes.size() < 8 || !fb::EventBufferHasIdentifier(data) ||
      !fb::VerifyEventBuffer(verifier)) {
    return absl::DataLossError("corrupt event: fails verification");
  }
  const fb::Event* e = fb::GetEvent(data);
  Event out;
  out.id = e->id();
  out.customer = CustomerRef::Id(Str(e->customer_id()));
  out.ts_ms = e->ts_ms();
  out.source = Str(e->source());
  absl::StatusOr<Event::Body> body = DecodeBody(e);
  if (!body.ok()) return body.status();
  out.body = *std::move(body);
  // History that would not pass validation cannot be folded safely.
  if (absl::Status s = ValidateEvent(out, 0); !s.ok()) {
    return absl::DataLossError(absl::StrCat("corrupt event: ", s.message()));
  }
  return out;
}

}  // namespace ckm
