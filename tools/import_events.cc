// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Import of interactions, loyalty events, attributes, consents and
// identities from CSV: one event per row, through CsvImport.

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "csv_import.h"
#include "enum_names.h"
#include "import.h"

namespace ckm::tools {
namespace {

absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Fields every kind reads, at these indices; a kind's own fields follow.
enum Common : int { kCustomer = 0, kTs, kId, kSource, kFirstOwn };

constexpr const char* kInteractionFields[] = {
    "customer", "ts",    "id",         "source",    "channel", "kind",
    "topic",    "agent", "duration_s", "sentiment", "rating",  "text"};
constexpr const char* kLoyaltyFields[] = {
    "customer", "ts", "id", "source", "kind", "points", "tier", "program"};
constexpr const char* kAttributeFields[] = {
    "customer", "ts",         "id",         "source",     "key",
    "value",    "value_type", "provenance", "confidence", "remove"};
constexpr const char* kConsentFields[] = {"customer", "ts",      "id",
                                          "source",   "purpose", "granted"};
constexpr const char* kIdentityFields[] = {"customer", "ts",   "id",
                                           "source",   "type", "value"};

// A value of an enum by its name (ToString), in any case; nullopt if none.
template <typename Enum>
std::optional<Enum> ByName(std::string_view text, int first, int count) {
  return EnumNamed<Enum>(absl::AsciiStrToLower(Av(Trim(text))), first, count);
}

std::optional<bool> ParseBool(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(Av(Trim(text)));
  for (const char* yes : {"true", "yes", "y", "1", "granted", "opt-in"}) {
    if (lower == yes) return true;
  }
  for (const char* no : {"false", "no", "n", "0", "withdrawn", "opt-out"}) {
    if (lower == no) return false;
  }
  return std::nullopt;
}

class EventImporter final : public CsvImport {
 public:
  EventImporter(Store& store, const ImportOptions& options, EventKind kind)
      : CsvImport(store, options, ImportFieldsOf(kind)), kind_(kind) {}

 private:
  absl::Status CheckColumns(const std::string& path) override {
    if (!Has(kCustomer)) return MissingField(path, "customer");
    if (!Has(kTs)) return MissingField(path, "ts");
    const std::vector<std::string_view> required =
        kind_ == EventKind::kInteraction ? std::vector<std::string_view>{"kind"}
        : kind_ == EventKind::kLoyalty   ? std::vector<std::string_view>{"kind"}
        : kind_ == EventKind::kAttribute ? std::vector<std::string_view>{"key"}
        : kind_ == EventKind::kConsent
            ? std::vector<std::string_view>{"purpose", "granted"}
            : std::vector<std::string_view>{"type", "value"};
    const auto fields = ImportFieldsOf(kind_);
    for (std::string_view name : required) {
      for (int f = 0; f < static_cast<int>(fields.size()); ++f) {
        if (fields[f] == name && !Has(f)) return MissingField(path, name);
      }
    }
    return absl::OkStatus();
  }

  absl::Status AddRow(const std::vector<std::string>& row,
                      const std::string& where) override {
    const std::string customer = Customer(row, kCustomer);
    if (customer.empty()) return absl::OkStatus();
    absl::StatusOr<std::int64_t> ts = Time(row, where, kTs);
    if (!ts.ok()) return ts.status();
    Event e;
    e.customer = CustomerRef::Id(customer);
    e.ts_ms = *ts;
    e.source = Has(kSource) ? std::string(Trim(Get(row, kSource))) : "import";
    absl::Status s = BodyOf(row, where, e.body);
    if (!s.ok()) return s;
    e.id = RowEventId(ToString(kind_), customer, row, kId);
    AddEvent(std::move(e), where);
    return absl::OkStatus();
  }

  absl::Status BodyOf(const std::vector<std::string>& row,
                      const std::string& where, Event::Body& body) {
    switch (kind_) {
      case EventKind::kInteraction:
        return InteractionOf(row, where, body.emplace<Interaction>());
      case EventKind::kLoyalty:
        return LoyaltyOf(row, where, body.emplace<Loyalty>());
      case EventKind::kAttribute:
        return AttributeOf(row, where, body.emplace<Attribute>());
      case EventKind::kConsent:
        return ConsentOf(row, where, body.emplace<Consent>());
      default:
        return IdentityOf(row, where, body.emplace<Identity>());
    }
  }

  // The text of field f, trimmed.
  std::string Text(const std::vector<std::string>& row, int f) const {
    return std::string(Trim(Get(row, f)));
  }

  // A whole number in field f into `out`; an empty cell leaves it as it is.
  template <typename Int>
  absl::Status Number(const std::vector<std::string>& row,
                      const std::string& where, int f, Int& out) {
    const std::string_view text = Trim(Get(row, f));
    if (text.empty()) return absl::OkStatus();
    std::int64_t value = 0;
    if (!absl::SimpleAtoi(Av(text), &value) ||
        value != static_cast<Int>(value)) {
      return Bad(where, f, "not a whole number", text);
    }
    out = static_cast<Int>(value);
    return absl::OkStatus();
  }

  // An enum by name in field f into `out`; an empty cell leaves it as it
  // is, unless the field is `required`.
  template <typename Enum>
  absl::Status Named(const std::vector<std::string>& row,
                     const std::string& where, int f, int first, int count,
                     Enum& out, bool required = false) {
    const std::string_view text = Trim(Get(row, f));
    if (text.empty() && !required) return absl::OkStatus();
    std::optional<Enum> value = ByName<Enum>(text, first, count);
    if (!value) return Bad(where, f, "not a known name", text);
    out = *value;
    return absl::OkStatus();
  }

  absl::Status InteractionOf(const std::vector<std::string>& row,
                             const std::string& where, Interaction& i);
  absl::Status LoyaltyOf(const std::vector<std::string>& row,
                         const std::string& where, Loyalty& l);
  absl::Status AttributeOf(const std::vector<std::string>& row,
                           const std::string& where, Attribute& a);
  absl::Status ConsentOf(const std::vector<std::string>& row,
                         const std::string& where, Consent& c);
  absl::Status IdentityOf(const std::vector<std::string>& row,
                          const std::string& where, Identity& i);

  EventKind kind_;
};

absl::Status EventImporter::InteractionOf(const std::vector<std::string>& row,
                                          const std::string& where,
                                          Interaction& i) {
  const int f = kFirstOwn;  // channel, kind, topic, agent, duration_s,
                            // sentiment, rating, text
  if (absl::Status s = Named(row, where, f, 0, kChannelCount, i.channel);
      !s.ok())
    return s;
  if (absl::Status s = Named(row, where, f + 1, 1, kInteractionKindCount,
                             i.kind, /*required=*/true);
      !s.ok())
    return s;
  i.topic = Text(row, f + 2);
  i.agent = Text(row, f + 3);
  if (absl::Status s = Number(row, where, f + 4, i.duration_s); !s.ok())
    return s;
  // Sentiment and rating: unset when their cell is empty.
  for (auto [field, target] :
       {std::pair{f + 5, &i.sentiment}, std::pair{f + 6, &i.rating}}) {
    if (Trim(Get(row, field)).empty()) continue;
    if (absl::Status s = Number(row, where, field, target->emplace()); !s.ok())
      return s;
  }
  if (!Get(row, f + 7).empty()) i.text = std::string(Get(row, f + 7));
  return absl::OkStatus();
}

absl::Status EventImporter::LoyaltyOf(const std::vector<std::string>& row,
                                      const std::string& where, Loyalty& l) {
  const int f = kFirstOwn;  // kind, points, tier, program
  if (absl::Status s = Named(row, where, f, 1, 7, l.kind, /*required=*/true);
      !s.ok())
    return s;
  if (absl::Status s = Number(row, where, f + 1, l.points); !s.ok()) return s;
  l.tier = Text(row, f + 2);
  l.program = Text(row, f + 3);
  return absl::OkStatus();
}

absl::Status EventImporter::AttributeOf(const std::vector<std::string>& row,
                                        const std::string& where,
                                        Attribute& a) {
  const int f = kFirstOwn;  // key, value, value_type, provenance,
                            // confidence, remove
  a.key = Text(row, f);
  a.provenance = Provenance::kImported;
  if (absl::Status s = Named(row, where, f + 3, 1, 4, a.provenance); !s.ok())
    return s;
  if (absl::Status s = Number(row, where, f + 4, a.confidence); !s.ok())
    return s;
  const std::string_view remove = Trim(Get(row, f + 5));
  if (!remove.empty()) {
    std::optional<bool> yes = ParseBool(remove);
    if (!yes) return Bad(where, f + 5, "not true or false", remove);
    a.remove = *yes;
  }
  const std::string value(Get(row, f + 1));
  const std::string type = absl::AsciiStrToLower(Av(Trim(Get(row, f + 2))));
  if (a.remove || type.empty() || type == "string" || type == "text") {
    a.value = a.remove ? std::string() : value;
  } else if (type == "int" || type == "integer") {
    std::int64_t number = 0;
    if (!absl::SimpleAtoi(Av(Trim(value)), &number))
      return Bad(where, f + 1, "not a whole number", value);
    a.value = number;
  } else if (type == "bool" || type == "boolean") {
    std::optional<bool> b = ParseBool(value);
    if (!b) return Bad(where, f + 1, "not true or false", value);
    a.value = *b;
  } else {
    return Bad(where, f + 2, "not string, int or bool", type);
  }
  return absl::OkStatus();
}

absl::Status EventImporter::ConsentOf(const std::vector<std::string>& row,
                                      const std::string& where, Consent& c) {
  c.purpose = Text(row, kFirstOwn);
  const std::string_view granted = Trim(Get(row, kFirstOwn + 1));
  std::optional<bool> yes = ParseBool(granted);
  if (!yes) return Bad(where, kFirstOwn + 1, "not true or false", granted);
  c.granted = *yes;
  return absl::OkStatus();
}

absl::Status EventImporter::IdentityOf(const std::vector<std::string>& row,
                                       const std::string& where, Identity& i) {
  if (absl::Status s =
          Named(row, where, kFirstOwn, 1, 5, i.type, /*required=*/true);
      !s.ok())
    return s;
  i.value = Text(row, kFirstOwn + 1);
  return absl::OkStatus();
}

}  // namespace

absl::Span<const char* const> ImportFieldsOf(EventKind kind) {
  switch (kind) {
    case EventKind::kPurchase:
      return kImportFields;
    case EventKind::kInteraction:
      return kInteractionFields;
    case EventKind::kLoyalty:
      return kLoyaltyFields;
    case EventKind::kAttribute:
      return kAttributeFields;
    case EventKind::kConsent:
      return kConsentFields;
    case EventKind::kIdentity:
      return kIdentityFields;
  }
  return {};
}

absl::StatusOr<ImportSummary> ImportEvents(
    Store& store, EventKind kind, const std::vector<std::string>& files,
    const ImportOptions& options) {
  if (kind == EventKind::kPurchase)
    return ImportPurchases(store, files, options);
  if (options.batch_size == 0)
    return absl::InvalidArgumentError("batch_size: must be > 0");
  return EventImporter(store, options, kind).Run(files);
}

}  // namespace ckm::tools
