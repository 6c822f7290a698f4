// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// History values of formats 1 and 2 (schemas/events.fbs), read when a store
// of those formats is migrated.

#include "codec/event_flatbuffers.h"

#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "codec/aligned.h"
#include "events_generated.h"
#include "fold/attribute_value.h"

namespace ckm {
namespace {

namespace fb = ::ckm::fb;

std::string Str(const flatbuffers::String* s) {
  return s ? s->str() : std::string();
}

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

absl::StatusOr<Event> DecodeFlatBuffersEvent(std::string_view bytes) {
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
  return out;
}

}  // namespace ckm
