// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The JSON form of events (include/ckm/event_json.h, docs/json.md): a
// writer over json::Writer and a reader over json::Value. Each body kind has
// one Write* and one Read* function, next to each other, field for field.

#include "ckm/event_json.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ckm/money.h"
#include "codec/event_json.h"
#include "codec/json.h"
#include "codec/json_reader.h"
#include "enum_names.h"
#include "quote.h"
#include "string_util.h"

namespace ckm {
namespace {

std::string Amount(std::int64_t micros) { return FormatMicros(micros, 2); }

// Reads the members of one JSON object into fields, remembering the first
// error; Finish() also refuses members nobody asked for, so that a misspelt
// member is an error rather than silently a default.
class ObjectReader {
 public:
  ObjectReader(const json::Value& value, std::string path)
      : value_(value), path_(std::move(path)) {
    if (value.type() != json::Value::Type::kObject)
      Fail(path_, absl::StrCat("must be an object, not ",
                               json::Value::TypeName(value.type())));
  }

  const json::Value* Take(std::string_view key) {
    if (!status_.ok() || value_.type() != json::Value::Type::kObject)
      return nullptr;
    taken_.emplace_back(key);
    return value_.Find(key);
  }
  std::string PathOf(std::string_view key) const {
    return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", Av(key));
  }
  bool Required(std::string_view key, const json::Value* v) {
    if (v == nullptr && status_.ok()) Fail(PathOf(key), "missing");
    return v != nullptr;
  }
  bool Is(std::string_view key, const json::Value& v, json::Value::Type type,
          std::string_view want) {
    if (v.type() == type) return true;
    Fail(PathOf(key), absl::StrCat("must be ", Av(want), ", not ",
                                   json::Value::TypeName(v.type())));
    return false;
  }

  void String(std::string_view key, std::string& out, bool required = false) {
    const json::Value* v = Take(key);
    if (required && !Required(key, v)) return;
    if (v && Is(key, *v, json::Value::Type::kString, "a string"))
      out = v->string();
  }
  void OptionalString(std::string_view key, std::optional<std::string>& out) {
    const json::Value* v = Take(key);
    if (v && Is(key, *v, json::Value::Type::kString, "a string"))
      out = v->string();
  }
  void Bool(std::string_view key, bool& out, bool required = false) {
    const json::Value* v = Take(key);
    if (required && !Required(key, v)) return;
    if (v && Is(key, *v, json::Value::Type::kBool, "true or false"))
      out = v->boolean();
  }
  std::optional<std::int64_t> IntOf(std::string_view key, const json::Value& v,
                                    std::int64_t min, std::int64_t max) {
    if (!Is(key, v, json::Value::Type::kNumber, "an integer"))
      return std::nullopt;
    const std::optional<std::int64_t> n = json::ToInt64(v.number_text());
    if (!n || *n < min || *n > max) {
      Fail(PathOf(key), absl::StrCat(n ? "out of range: " : "not an integer: ",
                                     QuoteForError(v.number_text())));
      return std::nullopt;
    }
    return n;
  }
  template <typename T>
  void Int(std::string_view key, T& out, bool required = false) {
    const json::Value* v = Take(key);
    if (required && !Required(key, v)) return;
    if (!v) return;
    if (auto n = IntOf(key, *v, std::numeric_limits<T>::min(),
                       std::numeric_limits<T>::max()))
      out = static_cast<T>(*n);
  }
  void OptionalInt(std::string_view key, std::optional<int>& out) {
    const json::Value* v = Take(key);
    if (!v) return;
    if (auto n = IntOf(key, *v, std::numeric_limits<int>::min(),
                       std::numeric_limits<int>::max()))
      out = static_cast<int>(*n);
  }
  void OptionalAmount(std::string_view key, std::optional<std::int64_t>& out) {
    const json::Value* v = Take(key);
    if (!v || !Is(key, *v, json::Value::Type::kString,
                  "a decimal amount in a string"))
      return;
    absl::StatusOr<std::int64_t> micros = ParseMicros(v->string());
    if (!micros.ok()) {
      Fail(PathOf(key), micros.status().message());
      return;
    }
    out = *micros;
  }
  void Amount(std::string_view key, std::int64_t& out, bool required = false) {
    std::optional<std::int64_t> value;
    if (required && !Required(key, value_.Find(key))) return;
    OptionalAmount(key, value);
    if (value) out = *value;
  }
  template <typename E>
  void Enum(std::string_view key, E& out, int first, int end,
            bool required = false) {
    const json::Value* v = Take(key);
    if (required && !Required(key, v)) return;
    if (!v || !Is(key, *v, json::Value::Type::kString, "a string")) return;
    if (std::optional<E> e = EnumNamed<E>(v->string(), first, end)) {
      out = *e;
      return;
    }
    std::string names;
    for (int i = first; i < end; ++i)
      absl::StrAppend(&names, i == first ? "" : ", ",
                      Av(ToString(static_cast<E>(i))));
    Fail(PathOf(key), absl::StrCat("unknown name ", QuoteForError(v->string()),
                                   " (one of ", names, ")"));
  }

  void Fail(absl::string_view field, absl::string_view why) {
    if (status_.ok())
      status_ = absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
  }
  absl::Status Finish() {
    if (!status_.ok() || value_.type() != json::Value::Type::kObject)
      return status_;
    for (const auto& [key, unused] : value_.object()) {
      if (std::find(taken_.begin(), taken_.end(), key) == taken_.end()) {
        Fail(PathOf(key), "unknown member");
        break;
      }
    }
    return status_;
  }
  const absl::Status& status() const { return status_; }

 private:
  const json::Value& value_;
  std::string path_;
  std::vector<std::string> taken_;
  absl::Status status_;
};

// --- Purchase ---------------------------------------------------------------

void WritePurchase(const Purchase& p, json::Writer& w) {
  w.BeginObject();
  w.Key("order_id").String(p.order_id);
  w.Key("currency").String(p.currency);
  w.Key("channel").String(ToString(p.channel));
  w.Key("store").String(p.store);
  w.Key("lines").BeginArray();
  for (const PurchaseLine& line : p.lines) {
    w.BeginObject();
    w.Key("sku").String(line.sku);
    w.Key("category").String(line.category);
    w.Key("quantity").Int(line.quantity);
    w.Key("unit_price").String(Amount(line.unit_price_micros));
    // Left out when unset or 0, so that JSON written before they existed
    // reads the same.
    if (line.line_total_micros)
      w.Key("line_total").String(Amount(*line.line_total_micros));
    if (line.discount_micros != 0)
      w.Key("discount").String(Amount(line.discount_micros));
    w.EndObject();
  }
  w.EndArray();
  if (p.discount_micros != 0)
    w.Key("discount").String(Amount(p.discount_micros));
  if (p.total_micros) w.Key("total").String(Amount(*p.total_micros));
  w.EndObject();
}

absl::Status ReadLine(const json::Value& v, std::string path,
                      PurchaseLine& line) {
  ObjectReader r(v, std::move(path));
  r.String("sku", line.sku);
  r.String("category", line.category);
  r.Int("quantity", line.quantity);
  r.Amount("unit_price", line.unit_price_micros);
  r.OptionalAmount("line_total", line.line_total_micros);
  r.Amount("discount", line.discount_micros);
  return r.Finish();
}

absl::Status ReadPurchase(const json::Value& v, Purchase& p) {
  ObjectReader r(v, "purchase");
  r.String("order_id", p.order_id);
  r.String("currency", p.currency, /*required=*/true);
  r.Enum("channel", p.channel, 0, kChannelCount);
  r.String("store", p.store);
  if (const json::Value* lines = r.Take("lines");
      lines && r.Is("lines", *lines, json::Value::Type::kArray, "an array")) {
    for (std::size_t i = 0; i < lines->array().size(); ++i) {
      PurchaseLine line;
      if (absl::Status s = ReadLine(
              lines->array()[i], absl::StrCat("purchase.lines[", i, "]"), line);
          !s.ok())
        return s;
      p.lines.push_back(std::move(line));
    }
  }
  r.Amount("discount", p.discount_micros);
  r.OptionalAmount("total", p.total_micros);
  return r.Finish();
}

// --- Interaction ------------------------------------------------------------

void WriteInteraction(const Interaction& i, json::Writer& w) {
  w.BeginObject();
  w.Key("channel").String(ToString(i.channel));
  w.Key("kind").String(ToString(i.kind));
  w.Key("topic").String(i.topic);
  w.Key("agent").String(i.agent);
  w.Key("duration_s").Int(i.duration_s);
  if (i.sentiment) w.Key("sentiment").Int(*i.sentiment);
  if (i.rating) w.Key("rating").Int(*i.rating);
  if (i.text) w.Key("text").String(*i.text);
  w.EndObject();
}

absl::Status ReadInteraction(const json::Value& v, Interaction& i) {
  ObjectReader r(v, "interaction");
  r.Enum("channel", i.channel, 0, kChannelCount);
  r.Enum("kind", i.kind, 1, kInteractionKindCount, /*required=*/true);
  r.String("topic", i.topic);
  r.String("agent", i.agent);
  r.Int("duration_s", i.duration_s);
  r.OptionalInt("sentiment", i.sentiment);
  r.OptionalInt("rating", i.rating);
  r.OptionalString("text", i.text);
  return r.Finish();
}

// --- Loyalty, attribute, consent, identity ----------------------------------

constexpr int kLoyaltyKindEnd = 7;   // one past kTierChange
constexpr int kProvenanceEnd = 4;    // one past kImported
constexpr int kIdentityTypeEnd = 5;  // one past kExternalId
static_assert(static_cast<int>(LoyaltyKind::kTierChange) + 1 ==
              kLoyaltyKindEnd);
static_assert(static_cast<int>(Provenance::kImported) + 1 == kProvenanceEnd);
static_assert(static_cast<int>(IdentityType::kExternalId) + 1 ==
              kIdentityTypeEnd);

void WriteLoyalty(const Loyalty& l, json::Writer& w) {
  w.BeginObject();
  w.Key("kind").String(ToString(l.kind));
  w.Key("points").Int(l.points);
  w.Key("tier").String(l.tier);
  w.Key("program").String(l.program);
  w.EndObject();
}

absl::Status ReadLoyalty(const json::Value& v, Loyalty& l) {
  ObjectReader r(v, "loyalty");
  r.Enum("kind", l.kind, 1, kLoyaltyKindEnd, /*required=*/true);
  r.Int("points", l.points);
  r.String("tier", l.tier);
  r.String("program", l.program);
  return r.Finish();
}

void WriteAttribute(const Attribute& a, json::Writer& w) {
  w.BeginObject();
  w.Key("key").String(a.key);
  w.Key("value");
  if (const auto* s = std::get_if<std::string>(&a.value)) w.String(*s);
  if (const auto* i = std::get_if<std::int64_t>(&a.value)) w.Int(*i);
  if (const auto* b = std::get_if<bool>(&a.value)) w.Bool(*b);
  w.Key("provenance").String(ToString(a.provenance));
  w.Key("confidence").Int(a.confidence);
  if (a.remove) w.Key("remove").Bool(true);  // left out when false
  w.EndObject();
}

absl::Status ReadAttribute(const json::Value& v, Attribute& a) {
  ObjectReader r(v, "attribute");
  r.String("key", a.key, /*required=*/true);
  r.Bool("remove", a.remove);
  // A removal needs no value; anything else does.
  if (const json::Value* value = r.Take("value");
      a.remove ? value != nullptr : r.Required("value", value)) {
    switch (value->type()) {
      case json::Value::Type::kString:
        a.value = value->string();
        break;
      case json::Value::Type::kBool:
        a.value = value->boolean();
        break;
      case json::Value::Type::kNumber:
        if (auto n = r.IntOf("value", *value,
                             std::numeric_limits<std::int64_t>::min(),
                             std::numeric_limits<std::int64_t>::max()))
          a.value = *n;
        break;
      default:
        r.Fail("attribute.value",
               absl::StrCat("must be a string, an integer or a boolean, not ",
                            json::Value::TypeName(value->type())));
    }
  }
  r.Enum("provenance", a.provenance, 1, kProvenanceEnd);
  r.Int("confidence", a.confidence);
  return r.Finish();
}

void WriteConsent(const Consent& c, json::Writer& w) {
  w.BeginObject();
  w.Key("purpose").String(c.purpose);
  w.Key("granted").Bool(c.granted);
  w.EndObject();
}

absl::Status ReadConsent(const json::Value& v, Consent& c) {
  ObjectReader r(v, "consent");
  r.String("purpose", c.purpose, /*required=*/true);
  r.Bool("granted", c.granted, /*required=*/true);
  return r.Finish();
}

void WriteIdentity(const Identity& i, json::Writer& w) {
  w.BeginObject();
  w.Key("type").String(ToString(i.type));
  w.Key("value").String(i.value);
  w.EndObject();
}

absl::Status ReadIdentity(const json::Value& v, Identity& i) {
  ObjectReader r(v, "identity");
  r.Enum("type", i.type, 1, kIdentityTypeEnd, /*required=*/true);
  r.String("value", i.value, /*required=*/true);
  return r.Finish();
}

// --- The common fields ------------------------------------------------------

void WriteCustomer(const CustomerRef& c, json::Writer& w) {
  if (!c.identity_type) {
    w.String(c.id);
    return;
  }
  w.BeginObject();
  w.Key("type").String(ToString(*c.identity_type));
  w.Key("value").String(c.identity_value);
  w.EndObject();
}

absl::Status ReadCustomer(const json::Value& v, CustomerRef& c) {
  if (v.type() == json::Value::Type::kString) {
    c = CustomerRef::Id(v.string());
    return absl::OkStatus();
  }
  if (v.type() != json::Value::Type::kObject) {
    return absl::InvalidArgumentError(
        absl::StrCat("customer: must be an id (a string) or an identity "
                     "({\"type\":...,\"value\":...}), not ",
                     json::Value::TypeName(v.type())));
  }
  ObjectReader r(v, "customer");
  IdentityType type = IdentityType::kEmail;
  std::string value;
  r.Enum("type", type, 1, kIdentityTypeEnd, /*required=*/true);
  r.String("value", value, /*required=*/true);
  c = CustomerRef::ByIdentity(type, value);
  return r.Finish();
}

absl::StatusOr<std::uint64_t> ReadId(const json::Value& v) {
  std::uint64_t id = 0;
  const bool digits_only =
      (v.type() == json::Value::Type::kString ||
       v.type() == json::Value::Type::kNumber) &&
      !v.string().empty() &&
      v.string().find_first_not_of("0123456789") == std::string::npos;
  if (!digits_only || !absl::SimpleAtoi(v.string(), &id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "id: must be an unsigned 64-bit integer, as a decimal string or a "
        "number, not ",
        v.type() == json::Value::Type::kString
            ? QuoteForError(v.string())
            : json::Value::TypeName(v.type())));
  }
  return id;
}

absl::StatusOr<std::int64_t> ReadTime(const json::Value& v) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "ts: must be ISO 8601 UTC such as \"2026-01-02T10:00:00.000Z\", not ",
        v.type() == json::Value::Type::kString
            ? QuoteForError(v.string())
            : std::string(json::Value::TypeName(v.type()))));
  };
  if (v.type() != json::Value::Type::kString) return bad();
  absl::Time t;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", v.string(), absl::UTCTimeZone(),
                       &t, &error)) {
    return bad();
  }
  const std::int64_t ms = absl::ToUnixMillis(t);
  if (absl::FromUnixMillis(ms) != t) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ts: finer than a millisecond: ", QuoteForError(v.string())));
  }
  return ms;
}

using BodyReader = absl::Status (*)(const json::Value&, Event::Body&);

template <typename T, absl::Status (*Read)(const json::Value&, T&)>
absl::Status ReadBody(const json::Value& v, Event::Body& body) {
  T value;
  if (absl::Status s = Read(v, value); !s.ok()) return s;
  body = std::move(value);
  return absl::OkStatus();
}

// One member per kind, in the order of EventKind.
constexpr std::pair<const char*, BodyReader> kBodies[] = {
    {"purchase", ReadBody<Purchase, ReadPurchase>},
    {"interaction", ReadBody<Interaction, ReadInteraction>},
    {"loyalty", ReadBody<Loyalty, ReadLoyalty>},
    {"attribute", ReadBody<Attribute, ReadAttribute>},
    {"consent", ReadBody<Consent, ReadConsent>},
    {"identity", ReadBody<Identity, ReadIdentity>},
};
static_assert(std::size(kBodies) == kEventKindCount);

absl::Status ReadEvent(const json::Value& v, Event& e) {
  ObjectReader r(v, "");
  if (!r.status().ok())
    return absl::InvalidArgumentError(
        absl::StrCat("an event must be a JSON object, not ",
                     json::Value::TypeName(v.type())));
  std::int64_t version = kEventJsonVersion;
  r.Int("v", version);
  if (r.status().ok() && version != kEventJsonVersion) {
    r.Fail("v", absl::StrCat("version ", version,
                             " is not known (this build "
                             "reads version ",
                             kEventJsonVersion, ")"));
  }
  const json::Value* id = r.Take("id");
  const json::Value* customer = r.Take("customer");
  const json::Value* ts = r.Take("ts");
  if (!r.Required("id", id) || !r.Required("customer", customer) ||
      !r.Required("ts", ts))
    return r.status();
  absl::StatusOr<std::uint64_t> event_id = ReadId(*id);
  if (!event_id.ok()) return event_id.status();
  e.id = *event_id;
  if (absl::Status s = ReadCustomer(*customer, e.customer); !s.ok()) return s;
  absl::StatusOr<std::int64_t> ts_ms = ReadTime(*ts);
  if (!ts_ms.ok()) return ts_ms.status();
  e.ts_ms = *ts_ms;
  r.String("source", e.source);
  const json::Value* body = nullptr;
  for (const auto& [name, read] : kBodies) {
    const json::Value* b = r.Take(name);
    if (b == nullptr) continue;
    if (body != nullptr)
      r.Fail(name,
             "an event has one body (purchase, interaction, loyalty, "
             "attribute, consent or identity), and this one has two");
    body = b;
    if (!r.status().ok()) break;
    if (absl::Status s = read(*b, e.body); !s.ok()) return s;
  }
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  if (body == nullptr) {
    return absl::InvalidArgumentError(
        "the event has no body: one of purchase, interaction, loyalty, "
        "attribute, consent or identity");
  }
  return absl::OkStatus();
}

}  // namespace

namespace codec {

void WriteEventJson(const Event& event, json::Writer& w) {
  w.BeginObject();
  w.Key("v").Int(kEventJsonVersion);
  w.Key("id").String(absl::StrCat(event.id));
  w.Key("customer");
  WriteCustomer(event.customer, w);
  w.Key("ts").Time(event.ts_ms);
  w.Key("source").String(event.source);
  w.Key(ToString(event.kind()));
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Purchase>) WritePurchase(body, w);
        if constexpr (std::is_same_v<T, Interaction>) WriteInteraction(body, w);
        if constexpr (std::is_same_v<T, Loyalty>) WriteLoyalty(body, w);
        if constexpr (std::is_same_v<T, Attribute>) WriteAttribute(body, w);
        if constexpr (std::is_same_v<T, Consent>) WriteConsent(body, w);
        if constexpr (std::is_same_v<T, Identity>) WriteIdentity(body, w);
      },
      event.body);
  w.EndObject();
}

}  // namespace codec

std::string EventToJson(const Event& event) {
  json::Writer w;
  codec::WriteEventJson(event, w);
  return w.Take();
}

absl::StatusOr<std::vector<Event>> EventsFromJson(std::string_view text) {
  absl::StatusOr<json::Value> value = json::Parse(text);
  if (!value.ok()) return value.status();
  std::vector<Event> events;
  const json::Value* format = value->Find("format");
  if (format == nullptr) {
    events.emplace_back();
    if (absl::Status s = ReadEvent(*value, events.back()); !s.ok()) return s;
    return events;
  }
  if (format->type() != json::Value::Type::kString ||
      format->string() != codec::kExportFormat) {
    return absl::InvalidArgumentError(
        "format: an event has no \"format\" member, and this is not a ckm "
        "export (\"format\":\"ckm.export\")");
  }
  const json::Value* list = value->Find("events");
  if (list == nullptr || list->type() != json::Value::Type::kArray)
    return absl::InvalidArgumentError("events: an export needs an array");
  for (std::size_t i = 0; i < list->array().size(); ++i) {
    events.emplace_back();
    if (absl::Status s = ReadEvent(list->array()[i], events.back()); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[", i, "].", s.message()));
    }
  }
  return events;
}

absl::StatusOr<ExportedMerges> MergesFromJson(std::string_view text) {
  absl::StatusOr<json::Value> value = json::Parse(text);
  if (!value.ok()) return value.status();
  ExportedMerges out;
  if (value->type() != json::Value::Type::kObject ||
      value->Find("format") == nullptr)
    return out;  // an event
  const json::Value* survivor = value->Find("survivor");
  const json::Value* aliases = value->Find("aliases");
  if (survivor == nullptr && aliases == nullptr) return out;  // version 1
  if (survivor == nullptr || survivor->type() != json::Value::Type::kString)
    return absl::InvalidArgumentError("survivor: an export needs a string");
  if (aliases == nullptr || aliases->type() != json::Value::Type::kArray)
    return absl::InvalidArgumentError("aliases: an export needs an array");
  for (std::size_t i = 0; i < aliases->array().size(); ++i) {
    const json::Value& alias = aliases->array()[i];
    if (alias.type() != json::Value::Type::kString) {
      return absl::InvalidArgumentError(
          absl::StrCat("aliases[", i, "]: not a string"));
    }
    out.aliases.push_back(alias.string());
  }
  if (!out.aliases.empty()) out.survivor = survivor->string();
  return out;
}

absl::StatusOr<Event> EventFromJson(std::string_view text) {
  absl::StatusOr<json::Value> value = json::Parse(text);
  if (!value.ok()) return value.status();
  Event event;
  if (absl::Status s = ReadEvent(*value, event); !s.ok()) return s;
  return event;
}

}  // namespace ckm
