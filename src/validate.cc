// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "validate.h"

#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ckm/money.h"
#include "ckm/validate.h"
#include "quote.h"
#include "string_util.h"

namespace ckm {
namespace {

// Checks a text field: length in [min_bytes, max_bytes], UTF-8, no NUL.
std::optional<std::string> TextProblem(std::string_view text,
                                       std::size_t min_bytes,
                                       std::size_t max_bytes) {
  if (text.size() < min_bytes) {
    return min_bytes == 1
               ? std::string("must not be empty")
               : absl::StrCat("must have at least ", min_bytes, " bytes");
  }
  if (text.size() > max_bytes) {
    return absl::StrCat("has ", text.size(), " bytes; at most ", max_bytes,
                        " allowed");
  }
  if (text.find('\0') != std::string_view::npos)
    return std::string("contains a NUL byte");
  if (!IsValidUtf8(text)) return std::string("is not valid UTF-8");
  return std::nullopt;
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

// "personal.", "demographic.", "psychographic." or "custom." then segments of
// [a-z0-9_]+ joined by single dots.
bool IsAttributeKey(std::string_view key) {
  if (key.size() > kMaxIdBytes) return false;
  std::string_view rest;
  for (std::string_view ns :
       {"personal.", "demographic.", "psychographic.", "custom."}) {
    if (key.substr(0, ns.size()) == ns) {
      rest = key.substr(ns.size());
      break;
    }
  }
  if (rest.empty()) return false;
  bool segment_empty = true;
  for (char c : rest) {
    if (c == '.') {
      if (segment_empty) return false;
      segment_empty = true;
    } else if (IsKeyChar(c)) {
      segment_empty = false;
    } else {
      return false;
    }
  }
  return !segment_empty;
}

bool IsPurpose(std::string_view purpose) {
  if (purpose.empty() || purpose.size() > kMaxIdBytes) return false;
  for (char c : purpose) {
    if (!IsKeyChar(c) && c != '.' && c != '-') return false;
  }
  return true;
}

namespace {

bool IsChannel(Channel c) { return static_cast<int>(c) < kChannelCount; }

bool IsIdentityType(IdentityType t) {
  const int v = static_cast<int>(t);
  return v >= 1 && v <= 4;
}

class Validator {
 public:
  explicit Validator(std::size_t index) : index_(index) {}

  absl::Status Error(std::string_view field, std::string_view why) const {
    return FieldError(index_, field, why);
  }
  absl::Status Text(std::string_view field, std::string_view text,
                    std::size_t min_bytes, std::size_t max_bytes) const {
    if (auto problem = TextProblem(text, min_bytes, max_bytes))
      return Error(field, *problem);
    return absl::OkStatus();
  }

  absl::Status Check(const Event& e) const {
    if (e.id == 0) return Error("id", "must not be 0");
    if (absl::Status s = CheckCustomer(e.customer); !s.ok()) return s;
    if (e.ts_ms < 0 || e.ts_ms > kMaxTsMs) {
      return Error("ts_ms", absl::StrCat(e.ts_ms, " is outside 0..", kMaxTsMs,
                                         " (1970-01-01 .. 9999-12-31)"));
    }
    if (absl::Status s = Text("source", e.source, 0, kMaxIdBytes); !s.ok())
      return s;
    return std::visit([this](const auto& body) { return CheckBody(body); },
                      e.body);
  }

 private:
  absl::Status CheckCustomer(const CustomerRef& c) const {
    if (c.identity_type.has_value()) {
      if (!c.id.empty()) {
        return Error("customer.id",
                     "must be empty when the customer is named by identity");
      }
      if (!IsIdentityType(*c.identity_type)) {
        return Error("customer.identity_type", "is not a known identity type");
      }
      return Text("customer.identity_value", c.identity_value, 1,
                  kMaxIdentityBytes);
    }
    if (!c.identity_value.empty()) {
      return Error("customer.identity_value",
                   "is set but identity_type is not");
    }
    return Text("customer.id", c.id, 1, kMaxIdBytes);
  }

  absl::Status CheckBody(const Purchase& p) const {
    if (!IsIsoCurrency(p.currency)) {
      return Error("purchase.currency",
                   absl::StrCat(QuoteForError(p.currency),
                                " is not an ISO 4217 currency code"));
    }
    if (!IsChannel(p.channel))
      return Error("purchase.channel", "is not a known channel");
    if (absl::Status s = Text("purchase.order_id", p.order_id, 0, kMaxIdBytes);
        !s.ok())
      return s;
    if (absl::Status s = Text("purchase.store", p.store, 0, kMaxIdBytes);
        !s.ok())
      return s;
    if (p.lines.size() > kMaxLines) {
      return Error(
          "purchase.lines",
          absl::StrCat("has ", p.lines.size(), " lines; at most ", kMaxLines));
    }
    // The fold sums gross, discounts and returned separately, so each part,
    // not just the net, must fit in int64.
    Sums sums;
    for (std::size_t j = 0; j < p.lines.size(); ++j) {
      if (absl::Status s = CheckLine(p.lines[j], j, sums); !s.ok()) return s;
    }
    return CheckOrderMoney(p, sums);
  }

  // What an event's lines came to: every part the fold keeps.
  struct Sums {
    std::int64_t total = 0;     // signed: positive lines add
    std::int64_t gross = 0;     // positive lines, before discounts
    std::int64_t paid = 0;      // positive lines, after their discounts
    std::int64_t returned = 0;  // negative lines, after their discounts
  };

  // A line's field is named only when it is wrong: building
  // "purchase.lines[j].sku" for every line that is right cost more than
  // checking it.
  absl::Status LineError(std::size_t j, std::string_view field,
                         std::string_view why) const {
    return Error(absl::StrCat("purchase.lines[", j, "].", Av(field)), why);
  }

  absl::Status CheckLine(const PurchaseLine& line, std::size_t j,
                         Sums& sums) const {
    for (const auto& [field, text] :
         {std::pair<std::string_view, std::string_view>{"sku", line.sku},
          {"category", line.category}}) {
      if (auto problem = TextProblem(text, 0, kMaxIdBytes))
        return LineError(j, field, *problem);
    }
    if (line.quantity == 0) return LineError(j, "quantity", "must not be 0");
    if (line.quantity > kMaxQuantity || line.quantity < -kMaxQuantity) {
      return LineError(j, "quantity",
                       absl::StrCat(line.quantity, " is outside -",
                                    kMaxQuantity, "..", kMaxQuantity));
    }
    if (line.unit_price_micros < 0 ||
        line.unit_price_micros > kMaxUnitPriceMicros) {
      return LineError(j, "unit_price_micros",
                       absl::StrCat(line.unit_price_micros, " is outside 0..",
                                    kMaxUnitPriceMicros));
    }
    absl::StatusOr<std::int64_t> amount = LineAmount(line, j);
    if (!amount.ok()) return amount.status();
    const std::int64_t magnitude = *amount < 0 ? -*amount : *amount;
    if (line.discount_micros < 0 || line.discount_micros > magnitude) {
      return LineError(
          j, "discount_micros",
          absl::StrCat(FormatMicros(line.discount_micros), " is outside 0..",
                       FormatMicros(magnitude), " (the line's amount)"));
    }
    const std::int64_t paid = magnitude - line.discount_micros;
    const bool positive = line.quantity > 0;
    if (__builtin_add_overflow(sums.total, positive ? paid : -paid,
                               &sums.total) ||
        (positive &&
         __builtin_add_overflow(sums.gross, magnitude, &sums.gross)) ||
        (positive && __builtin_add_overflow(sums.paid, paid, &sums.paid)) ||
        (!positive &&
         __builtin_add_overflow(sums.returned, paid, &sums.returned))) {
      return LineError(j, "quantity", "the line's amount overflows the order");
    }
    return absl::OkStatus();
  }

  // The line's amount before its discount, signed like its quantity.
  absl::StatusOr<std::int64_t> LineAmount(const PurchaseLine& line,
                                          std::size_t j) const {
    if (!line.line_total_micros.has_value()) {
      std::int64_t product = 0;
      if (__builtin_mul_overflow(line.quantity, line.unit_price_micros,
                                 &product)) {
        return LineError(
            j, "quantity",
            "quantity * unit_price_micros overflows the order total");
      }
      return product;
    }
    const std::int64_t total = *line.line_total_micros;
    if (total > kMaxLineTotalMicros || total < -kMaxLineTotalMicros) {
      return LineError(j, "line_total_micros",
                       absl::StrCat(total, " is outside -", kMaxLineTotalMicros,
                                    "..", kMaxLineTotalMicros));
    }
    if (total != 0 && (total > 0) != (line.quantity > 0)) {
      return LineError(
          j, "line_total_micros",
          absl::StrCat(FormatMicros(total),
                       " has not the sign of the quantity ", line.quantity));
    }
    return total;
  }

  absl::Status CheckOrderMoney(const Purchase& p, const Sums& sums) const {
    const std::int64_t discount = p.discount_micros;
    if (discount < 0) {
      return Error("purchase.discount_micros",
                   absl::StrCat(FormatMicros(discount), " is negative"));
    }
    if (p.lines.empty()) {
      if (!p.total_micros.has_value() || *p.total_micros == 0) {
        return Error("purchase.total_micros",
                     "is required and non-zero when there are no lines");
      }
      if (*p.total_micros == std::numeric_limits<std::int64_t>::min()) {
        return Error("purchase.total_micros", "is out of range");
      }
      std::int64_t gross = 0;
      if (discount > 0 &&
          (*p.total_micros < 0 ||
           __builtin_add_overflow(*p.total_micros, discount, &gross))) {
        return Error("purchase.discount_micros",
                     "needs a positive total_micros (what was paid after it) "
                     "when there are no lines");
      }
      return absl::OkStatus();
    }
    if (discount > sums.paid) {
      return Error("purchase.discount_micros",
                   absl::StrCat(FormatMicros(discount),
                                " is more than the positive lines came to (",
                                FormatMicros(sums.paid), ")"));
    }
    const std::int64_t total = sums.total - discount;  // >= -returned
    if (p.total_micros.has_value() && *p.total_micros != total) {
      return Error(
          "purchase.total_micros",
          absl::StrCat(FormatMicros(*p.total_micros),
                       " does not equal the lines' sum less discounts ",
                       FormatMicros(total)));
    }
    return absl::OkStatus();
  }

  absl::Status CheckBody(const Interaction& i) const {
    if (!IsChannel(i.channel))
      return Error("interaction.channel", "is not a known channel");
    const int kind = static_cast<int>(i.kind);
    if (kind < 1 || kind >= kInteractionKindCount) {
      return Error("interaction.kind", "is not a known interaction kind");
    }
    if (absl::Status s = Text("interaction.topic", i.topic, 0, kMaxIdBytes);
        !s.ok())
      return s;
    if (absl::Status s = Text("interaction.agent", i.agent, 0, kMaxIdBytes);
        !s.ok())
      return s;
    if (i.duration_s < 0 || i.duration_s > 10'000'000) {
      return Error("interaction.duration_s",
                   absl::StrCat(i.duration_s, " is outside 0..10000000"));
    }
    if (i.sentiment && (*i.sentiment < -100 || *i.sentiment > 100)) {
      return Error("interaction.sentiment",
                   absl::StrCat(*i.sentiment, " is outside -100..100"));
    }
    if (i.rating && (*i.rating < 0 || *i.rating > 10)) {
      return Error("interaction.rating",
                   absl::StrCat(*i.rating, " is outside 0..10"));
    }
    if (i.text) return Text("interaction.text", *i.text, 0, 65'536);
    return absl::OkStatus();
  }

  absl::Status CheckBody(const Loyalty& l) const {
    const int kind = static_cast<int>(l.kind);
    if (kind < 1 || kind > 6)
      return Error("loyalty.kind", "is not a known loyalty kind");
    if (l.points > kMaxPoints || l.points < -kMaxPoints) {
      return Error("loyalty.points",
                   absl::StrCat(l.points, " is outside -", kMaxPoints, "..",
                                kMaxPoints));
    }
    switch (l.kind) {
      case LoyaltyKind::kEarn:
      case LoyaltyKind::kRedeem:
      case LoyaltyKind::kExpire:
        if (l.points <= 0) {
          return Error("loyalty.points",
                       absl::StrCat("must be > 0 for ", Av(ToString(l.kind)),
                                    " (got ", l.points, ")"));
        }
        break;
      case LoyaltyKind::kAdjust:
        if (l.points == 0)
          return Error("loyalty.points", "must not be 0 for adjust");
        break;
      case LoyaltyKind::kEnroll:
      case LoyaltyKind::kTierChange:
        if (l.points != 0) {
          return Error("loyalty.points",
                       absl::StrCat("must be 0 for ", Av(ToString(l.kind))));
        }
        break;
    }
    if (l.kind == LoyaltyKind::kTierChange && l.tier.empty()) {
      return Error("loyalty.tier", "is required for tier_change");
    }
    if (absl::Status s = Text("loyalty.tier", l.tier, 0, 64); !s.ok()) return s;
    return Text("loyalty.program", l.program, 0, 64);
  }

  absl::Status CheckBody(const Attribute& a) const {
    if (!IsAttributeKey(a.key)) {
      return Error(
          "attribute.key",
          absl::StrCat(
              QuoteForError(a.key),
              " is not personal.*, demographic.*, psychographic.* or "
              "custom.* with segments of [a-z0-9_] (at most 128 bytes)"));
    }
    if (const auto* text = std::get_if<std::string>(&a.value)) {
      if (absl::Status s = Text("attribute.value", *text, 0, 4'096); !s.ok())
        return s;
    }
    const int provenance = static_cast<int>(a.provenance);
    if (provenance < 1 || provenance > 3) {
      return Error("attribute.provenance", "is not a known provenance");
    }
    if (a.confidence < 0 || a.confidence > 100) {
      return Error("attribute.confidence",
                   absl::StrCat(a.confidence, " is outside 0..100"));
    }
    if (a.remove && a.value != AttributeValue(std::string())) {
      return Error("attribute.value",
                   "must be empty (\"\") when the attribute is removed");
    }
    return absl::OkStatus();
  }

  absl::Status CheckBody(const Consent& c) const {
    if (!IsPurpose(c.purpose)) {
      return Error("consent.purpose", "must be 1..128 bytes of [a-z0-9_.-]");
    }
    return absl::OkStatus();
  }

  absl::Status CheckBody(const Identity& i) const {
    if (!IsIdentityType(i.type))
      return Error("identity.type", "is not a known identity type");
    return Text("identity.value", i.value, 1, kMaxIdentityBytes);
  }

  std::size_t index_;
};

}  // namespace

absl::Status FieldError(std::size_t index, std::string_view field,
                        std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("events[", index, "].", Av(field), ": ", Av(why)));
}

absl::Status ValidateEvent(const Event& event, std::size_t index) {
  return Validator(index).Check(event);
}

absl::Status Validate(const Event& event) { return ValidateEvent(event, 0); }

absl::Status ValidateBatch(absl::Span<const Event> events) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (absl::Status s = ValidateEvent(events[i], i); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;  // continuation byte, overlong lead (C0, C1) or > F4
    }
    if (n - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;  // overlong, out of range, or a surrogate
    }
    i += len;
  }
  return true;
}

}  // namespace ckm
