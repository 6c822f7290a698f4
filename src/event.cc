// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "ckm/event.h"

#include <tuple>

namespace ckm {

bool operator==(const CustomerRef& a, const CustomerRef& b) {
  return std::tie(a.id, a.identity_type, a.identity_value) ==
         std::tie(b.id, b.identity_type, b.identity_value);
}
bool operator==(const PurchaseLine& a, const PurchaseLine& b) {
  return std::tie(a.sku, a.category, a.quantity, a.unit_price_micros,
                  a.line_total_micros, a.discount_micros) ==
         std::tie(b.sku, b.category, b.quantity, b.unit_price_micros,
                  b.line_total_micros, b.discount_micros);
}
bool operator==(const Purchase& a, const Purchase& b) {
  return std::tie(a.order_id, a.currency, a.channel, a.store, a.lines,
                  a.discount_micros, a.total_micros) ==
         std::tie(b.order_id, b.currency, b.channel, b.store, b.lines,
                  b.discount_micros, b.total_micros);
}
bool operator==(const Interaction& a, const Interaction& b) {
  return std::tie(a.channel, a.kind, a.topic, a.agent, a.duration_s,
                  a.sentiment, a.rating, a.text) ==
         std::tie(b.channel, b.kind, b.topic, b.agent, b.duration_s,
                  b.sentiment, b.rating, b.text);
}
bool operator==(const Loyalty& a, const Loyalty& b) {
  return std::tie(a.kind, a.points, a.tier, a.program) ==
         std::tie(b.kind, b.points, b.tier, b.program);
}
bool operator==(const Attribute& a, const Attribute& b) {
  return std::tie(a.key, a.value, a.provenance, a.confidence, a.remove) ==
         std::tie(b.key, b.value, b.provenance, b.confidence, b.remove);
}
bool operator==(const Consent& a, const Consent& b) {
  return std::tie(a.purpose, a.granted) == std::tie(b.purpose, b.granted);
}
bool operator==(const Identity& a, const Identity& b) {
  return std::tie(a.type, a.value) == std::tie(b.type, b.value);
}
bool operator==(const Event& a, const Event& b) {
  return std::tie(a.id, a.customer, a.ts_ms, a.source, a.body) ==
         std::tie(b.id, b.customer, b.ts_ms, b.source, b.body);
}

std::string_view ToString(Channel channel) {
  switch (channel) {
    case Channel::kUnspecified:
      return "unspecified";
    case Channel::kInStore:
      return "in_store";
    case Channel::kPhone:
      return "phone";
    case Channel::kEmail:
      return "email";
    case Channel::kChat:
      return "chat";
    case Channel::kWeb:
      return "web";
    case Channel::kApp:
      return "app";
    case Channel::kSocial:
      return "social";
    case Channel::kSelfService:
      return "self_service";
  }
  return "invalid";
}

std::string_view ToString(InteractionKind kind) {
  switch (kind) {
    case InteractionKind::kInquiry:
      return "inquiry";
    case InteractionKind::kComplaint:
      return "complaint";
    case InteractionKind::kSupport:
      return "support";
    case InteractionKind::kVisit:
      return "visit";
    case InteractionKind::kCampaignResponse:
      return "campaign_response";
    case InteractionKind::kSurvey:
      return "survey";
  }
  return "invalid";
}

std::string_view ToString(LoyaltyKind kind) {
  switch (kind) {
    case LoyaltyKind::kEnroll:
      return "enroll";
    case LoyaltyKind::kEarn:
      return "earn";
    case LoyaltyKind::kRedeem:
      return "redeem";
    case LoyaltyKind::kExpire:
      return "expire";
    case LoyaltyKind::kAdjust:
      return "adjust";
    case LoyaltyKind::kTierChange:
      return "tier_change";
  }
  return "invalid";
}

std::string_view ToString(Provenance provenance) {
  switch (provenance) {
    case Provenance::kExpressed:
      return "expressed";
    case Provenance::kImplied:
      return "implied";
    case Provenance::kImported:
      return "imported";
  }
  return "invalid";
}

std::string_view ToString(IdentityType type) {
  switch (type) {
    case IdentityType::kEmail:
      return "email";
    case IdentityType::kPhone:
      return "phone";
    case IdentityType::kLoyaltyCard:
      return "loyalty_card";
    case IdentityType::kExternalId:
      return "external_id";
  }
  return "invalid";
}

std::string_view ToString(EventKind kind) {
  switch (kind) {
    case EventKind::kPurchase:
      return "purchase";
    case EventKind::kInteraction:
      return "interaction";
    case EventKind::kLoyalty:
      return "loyalty";
    case EventKind::kAttribute:
      return "attribute";
    case EventKind::kConsent:
      return "consent";
    case EventKind::kIdentity:
      return "identity";
  }
  return "invalid";
}

}  // namespace ckm
