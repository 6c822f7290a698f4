// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Events: everything that happens to a customer, as plain C++ value types.
// An Event is a set of common fields (id, customer, time, source) and one body:
// a Purchase, Interaction, Loyalty, Attribute, Consent or Identity.
//
// Plain values: copy, move and compare them freely; no method has hidden
// state. Store::Record() validates every field before anything is written;
// the limits are documented beside each field and in docs/errors.md.

#ifndef CKM_EVENT_H_
#define CKM_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ckm {

// Kinds of identity that can name a customer. Values are stored on disk:
// append only.
enum class IdentityType : std::uint8_t {
  kEmail = 1,
  kPhone = 2,
  kLoyaltyCard = 3,
  kExternalId = 4,
};

// Where something happened. Values are stored on disk: append only.
enum class Channel : std::uint8_t {
  kUnspecified = 0,
  kInStore = 1,
  kPhone = 2,
  kEmail = 3,
  kChat = 4,
  kWeb = 5,
  kApp = 6,
  kSocial = 7,
  kSelfService = 8,
};
inline constexpr int kChannelCount = 9;

// How a customer is named in an event: by customer id, or by an identity
// (email, phone, ...) that an earlier Identity event linked to the customer.
// An identity is resolved when the event is recorded; an unknown identity is
// rejected with InvalidArgument.
struct CustomerRef {
  // The customer id: 1..128 bytes of UTF-8 without NUL. Empty when the event
  // names the customer by identity.
  std::string id;
  // Set when the customer is named by identity instead of id.
  std::optional<IdentityType> identity_type;
  std::string identity_value;

  static CustomerRef Id(std::string_view customer_id) {
    return CustomerRef{std::string(customer_id), std::nullopt, {}};
  }
  static CustomerRef ByIdentity(IdentityType type, std::string_view value) {
    return CustomerRef{{}, type, std::string(value)};
  }
};

// One line of an order.
//
// The constructors (here and on the other event bodies) take the leading
// fields in member order, so that `{"tea", "drinks", 2, 4'500'000}` names
// every field it means to and the rest keep their defaults, without the
// -Wmissing-field-initializers warnings a partial aggregate gives.
struct PurchaseLine {
  PurchaseLine() = default;
  PurchaseLine(std::string sku, std::string category, std::int64_t quantity,
               std::int64_t unit_price_micros)
      : sku(std::move(sku)),
        category(std::move(category)),
        quantity(quantity),
        unit_price_micros(unit_price_micros) {}
  // A line with a total of its own ("3 for 10.00"), no unit price given.
  static PurchaseLine WithTotal(std::string sku, std::string category,
                                std::int64_t quantity,
                                std::int64_t line_total_micros) {
    PurchaseLine line(std::move(sku), std::move(category), quantity, 0);
    line.line_total_micros = line_total_micros;
    return line;
  }

  std::string sku;       // optional; 0..128 bytes of UTF-8
  std::string category;  // optional; 0..128 bytes of UTF-8
  // Units bought; negative for a return or cancellation; never 0.
  // |quantity| <= 10^9.
  std::int64_t quantity = 1;
  // Price of one unit in micros of the order's currency; >= 0, <= 10^15.
  // With line_total_micros set it is kept as given (the listed price, or 0)
  // and the line's amount is the line total.
  std::int64_t unit_price_micros = 0;
  // What the line came to before its discount, in micros, when that is not
  // quantity * unit price ("3 for 10.00"): the same sign as the quantity (or
  // 0), |line_total_micros| <= 10^18. Unset: quantity * unit_price_micros.
  std::optional<std::int64_t> line_total_micros;
  // A discount on this line in micros, 0 .. |line amount|: what the customer
  // paid for it (or got back, on a negative line) is the amount minus this.
  std::int64_t discount_micros = 0;

  // The line's amount before its discount: line_total_micros if set, else
  // quantity * unit_price_micros. Signed like the quantity.
  std::int64_t amount_micros() const {
    return line_total_micros ? *line_total_micros
                             : quantity * unit_price_micros;
  }
};

// An order, a return, or a cancellation. An order with any positive line
// counts as an order; every negative line counts as a returned line, and an
// event with any negative line counts as a return.
//
// Money of an event, per currency (docs/recording.md, "Money"):
//   gross    = sum of the amounts of positive lines
//   discount = their line discounts + the order-level discount
//   returned = sum over negative lines of |amount| - line discount
//   net      = gross - discount - returned
struct Purchase {
  Purchase() = default;
  Purchase(std::string order_id, std::string currency,
           Channel channel = Channel::kUnspecified, std::string store = {},
           std::vector<PurchaseLine> lines = {})
      : order_id(std::move(order_id)),
        currency(std::move(currency)),
        channel(channel),
        store(std::move(store)),
        lines(std::move(lines)) {}

  std::string order_id;  // optional; 0..128 bytes of UTF-8
  std::string currency;  // required; an active ISO 4217 code such as "GBP"
  Channel channel = Channel::kUnspecified;
  std::string store;                // optional; 0..128 bytes of UTF-8
  std::vector<PurchaseLine> lines;  // 0..10'000 lines
  // An order-level discount in micros ("10% off the basket"), >= 0. With
  // lines: at most what the positive lines came to after their own
  // discounts. Without lines: only on a positive total, which is then what
  // was paid after it. Not shared out among products or categories.
  std::int64_t discount_micros = 0;
  // The event's net total in micros. When lines are given it is optional
  // and, if set, must equal the lines' amounts less every discount (positive
  // lines add, negative lines subtract). When there are no lines it is
  // required and non-zero (negative: a refund).
  std::optional<std::int64_t> total_micros;
};

// Values are stored on disk: append only.
enum class InteractionKind : std::uint8_t {
  kInquiry = 1,
  kComplaint = 2,
  kSupport = 3,
  kVisit = 4,
  kCampaignResponse = 5,
  kSurvey = 6,
};
inline constexpr int kInteractionKindCount = 7;  // including unused 0

// A contact with the customer: a call, a chat, a visit, a survey answer.
struct Interaction {
  Interaction() = default;
  Interaction(Channel channel, InteractionKind kind, std::string topic = {},
              std::string agent = {})
      : channel(channel),
        kind(kind),
        topic(std::move(topic)),
        agent(std::move(agent)) {}

  Channel channel = Channel::kUnspecified;
  InteractionKind kind = InteractionKind::kInquiry;
  std::string topic;                // optional; 0..128 bytes of UTF-8
  std::string agent;                // optional; 0..128 bytes of UTF-8
  std::int64_t duration_s = 0;      // 0..10^7
  std::optional<int> sentiment;     // -100..100
  std::optional<int> rating;        // 0..10, the NPS scale
  std::optional<std::string> text;  // 0..65'536 bytes of UTF-8
};

// Values are stored on disk: append only.
enum class LoyaltyKind : std::uint8_t {
  kEnroll = 1,
  kEarn = 2,
  kRedeem = 3,
  kExpire = 4,
  kAdjust = 5,
  kTierChange = 6,
};

// A loyalty-programme event.
//   kEnroll: points 0, tier optional (the starting tier).
//   kEarn, kRedeem, kExpire: points > 0 (a redemption is written positive).
//   kAdjust: points != 0, either sign.
//   kTierChange: points 0, tier required.
// |points| <= 10^12.
struct Loyalty {
  Loyalty() = default;
  Loyalty(LoyaltyKind kind, std::int64_t points, std::string tier = {},
          std::string program = {})
      : kind(kind),
        points(points),
        tier(std::move(tier)),
        program(std::move(program)) {}
  static Loyalty Enroll(std::string tier = {}) {
    return Loyalty(LoyaltyKind::kEnroll, 0, std::move(tier));
  }
  static Loyalty Earn(std::int64_t points) {
    return Loyalty(LoyaltyKind::kEarn, points);
  }
  static Loyalty Redeem(std::int64_t points) {
    return Loyalty(LoyaltyKind::kRedeem, points);
  }
  static Loyalty Expire(std::int64_t points) {
    return Loyalty(LoyaltyKind::kExpire, points);
  }
  static Loyalty Adjust(std::int64_t points) {
    return Loyalty(LoyaltyKind::kAdjust, points);
  }
  static Loyalty TierChange(std::string tier) {
    return Loyalty(LoyaltyKind::kTierChange, 0, std::move(tier));
  }

  LoyaltyKind kind = LoyaltyKind::kEarn;
  std::int64_t points = 0;
  std::string tier;     // 0..64 bytes of UTF-8
  std::string program;  // optional; 0..64 bytes of UTF-8
};

// Values are stored on disk: append only.
enum class Provenance : std::uint8_t {
  kExpressed = 1,  // the customer said so
  kImplied = 2,    // inferred from behaviour
  kImported = 3,   // loaded from another system
};

// A value of a customer attribute.
using AttributeValue = std::variant<std::string, std::int64_t, bool>;

// Sets, or removes, one attribute of the customer.
//
// Values of each provenance are kept apart: the latest expressed, the latest
// imported and the latest implied value, each by (ts_ms, event id), whatever
// order the events arrive in. Which one is in effect is decided when the
// profile is read (Profile::attribute): expressed over imported over
// implied, and implied values only at a confidence of at least
// kMinImpliedConfidence (or the threshold the reader gives). A removal
// hides the values of its own provenance and of every lower one that are
// older than it; a later value shows again. docs/recording.md has examples.
struct Attribute {
  Attribute() = default;
  Attribute(std::string key, AttributeValue value,
            Provenance provenance = Provenance::kExpressed,
            int confidence = 100)
      : key(std::move(key)),
        value(std::move(value)),
        provenance(provenance),
        confidence(confidence) {}
  // Text given as a literal is text: without this, a C++17 variant would
  // take "Ada" for the bool alternative.
  Attribute(std::string key, const char* text,
            Provenance provenance = Provenance::kExpressed,
            int confidence = 100)
      : Attribute(std::move(key), AttributeValue(std::string(text)), provenance,
                  confidence) {}

  // Namespaced key: "personal.", "demographic.", "psychographic." or
  // "custom." followed by 1+ segments of [a-z0-9_] separated by '.'; at most
  // 128 bytes. Example: "custom.invoice.project_number".
  std::string key;
  AttributeValue value = std::string();  // a string is 0..4'096 bytes UTF-8
  Provenance provenance = Provenance::kExpressed;
  int confidence = 100;  // 0..100
  // Removes the attribute (as said above) instead of setting it; the value
  // must then be left empty (an empty string).
  bool remove = false;

  // A removal of `key` by a write of `provenance`.
  static Attribute Remove(std::string key,
                          Provenance provenance = Provenance::kExpressed) {
    Attribute a(std::move(key), AttributeValue(std::string()), provenance);
    a.remove = true;
    return a;
  }
};

// Implied values below this confidence are not in effect (by default).
inline constexpr int kMinImpliedConfidence = 50;

// Grants or withdraws consent for one purpose ("marketing.email", ...).
// The latest write wins, ordered by (ts_ms, event id).
struct Consent {
  std::string purpose;  // 1..128 bytes of [a-z0-9_.-]
  bool granted = true;
};

// Links an identity to the customer, so that later events may name the
// customer by it. An identity belongs to one customer: linking it to a second
// customer is rejected.
struct Identity {
  IdentityType type = IdentityType::kEmail;
  std::string value;  // 1..256 bytes of UTF-8 without NUL
};

// The kinds of event, in the order of Event::Body's alternatives. Values are
// stored on disk: append only.
enum class EventKind : std::uint8_t {
  kPurchase = 0,
  kInteraction = 1,
  kLoyalty = 2,
  kAttribute = 3,
  kConsent = 4,
  kIdentity = 5,
};
inline constexpr int kEventKindCount = 6;

struct Event {
  using Body = std::variant<Purchase, Interaction, Loyalty, Attribute, Consent,
                            Identity>;

  // Caller-chosen, non-zero. Together with the customer, the kind and ts_ms
  // it names the event: recording an event with the same (customer, kind,
  // ts_ms, id) again is recognised and not counted twice. Derive it from the
  // source's own key (an order number, a message id) so that retries carry
  // the same id. Events of different kinds may share an id.
  std::uint64_t id = 0;
  CustomerRef customer;
  // When it happened: UTC milliseconds since 1970-01-01, 0 ..
  // 253'402'300'799'999 (9999-12-31T23:59:59.999Z).
  std::int64_t ts_ms = 0;
  // The terminal, store or system that produced it; 0..128 bytes of UTF-8.
  std::string source;
  Body body;

  EventKind kind() const { return static_cast<EventKind>(body.index()); }
};

bool operator==(const CustomerRef& a, const CustomerRef& b);
bool operator==(const PurchaseLine& a, const PurchaseLine& b);
bool operator==(const Purchase& a, const Purchase& b);
bool operator==(const Interaction& a, const Interaction& b);
bool operator==(const Loyalty& a, const Loyalty& b);
bool operator==(const Attribute& a, const Attribute& b);
bool operator==(const Consent& a, const Consent& b);
bool operator==(const Identity& a, const Identity& b);
bool operator==(const Event& a, const Event& b);
inline bool operator!=(const Event& a, const Event& b) { return !(a == b); }

// Names of the enums' values as used in JSON and on the command line
// ("in_store", "campaign_response", ...).
std::string_view ToString(Channel channel);
std::string_view ToString(InteractionKind kind);
std::string_view ToString(LoyaltyKind kind);
std::string_view ToString(Provenance provenance);
std::string_view ToString(IdentityType type);
std::string_view ToString(EventKind kind);

}  // namespace ckm

#endif  // CKM_EVENT_H_
