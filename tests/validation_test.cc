// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Bad input through the public API: a table of malformed events, each
// recorded through Store::Record() on a real store, alone and in the middle
// of a batch of valid events. Every one must be rejected with InvalidArgument
// whose message starts "events[<index>].<field path>: ", and must leave the
// store exactly as it was: empty.
//
// Adding a case is one line in BadEvents().

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "catch2/catch.hpp"
#include "ckm/event.h"
#include "ckm/options.h"
#include "ckm/store.h"
#include "ckm/validate.h"
#include "test_util.h"

namespace {

using ckm::Attribute;
using ckm::Channel;
using ckm::Consent;
using ckm::CustomerRef;
using ckm::Event;
using ckm::EventKind;
using ckm::Identity;
using ckm::IdentityType;
using ckm::Interaction;
using ckm::InteractionKind;
using ckm::Loyalty;
using ckm::LoyaltyKind;
using ckm::Provenance;
using ckm::Purchase;
using ckm::PurchaseLine;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxTsMs = 253'402'300'799'999;
constexpr std::int64_t kBaseTsMs = 1'700'000'000'000;

// The customers and identities of the valid events around the bad one.
constexpr char kAlice[] = "c-alice";
constexpr char kBob[] = "c-bob";
constexpr char kCarol[] = "c-carol";  // the customer of the bad event
constexpr char kAliceEmail[] = "alice@example.com";
constexpr char kBobPhone[] = "+447700900123";
constexpr char kCarolExternalId[] = "crm-42";

// Malformed text.
const std::string kBadUtf8 = "\xff\xfe";
const std::string kOverlong = "\xc0\xaf";           // '/' in two bytes
const std::string kLoneSurrogate = "\xed\xa0\x80";  // U+D800
const std::string kTruncated = "ab\xe2\x82";        // '€' cut short
const std::string kWithNul = std::string("a\0b", 3);

std::string Bytes(std::size_t n, char c = 'x') { return std::string(n, c); }

Event MakeEvent(std::uint64_t id, CustomerRef customer, Event::Body body) {
  Event e;
  e.id = id;
  e.customer = std::move(customer);
  e.ts_ms = kBaseTsMs + static_cast<std::int64_t>(id) * 1'000;
  e.source = "pos-17";
  e.body = std::move(body);
  return e;
}

// Valid bodies of each kind; the table's cases break one field of them.
Purchase ValidPurchase() {
  Purchase p;
  p.order_id = "o-1001";
  p.currency = "GBP";
  p.channel = Channel::kInStore;
  p.store = "london-01";
  p.lines = {
      PurchaseLine{"sku-1", "books", 2, 12'340'000},
      PurchaseLine{"sku-2", "music", 1, 5'000'000},
      PurchaseLine{"sku-3", "books", -1, 1'000},  // a returned line
  };
  // total_micros unset, so that breaking a line breaks only that line.
  return p;
}

Interaction ValidInteraction() {
  Interaction i;
  i.channel = Channel::kChat;
  i.kind = InteractionKind::kComplaint;
  i.topic = "delivery";
  i.agent = "agent-7";
  i.duration_s = 300;
  i.sentiment = -40;
  i.rating = 3;
  i.text = "The parcel arrived late.";
  return i;
}

Loyalty ValidLoyalty() {
  Loyalty l;
  l.kind = LoyaltyKind::kEarn;
  l.points = 250;
  l.program = "stars";
  return l;
}

Attribute ValidAttribute() {
  Attribute a;
  a.key = "custom.invoice.project_number";
  a.value = std::string("P-77");
  a.provenance = Provenance::kImported;
  a.confidence = 90;
  return a;
}

Consent ValidConsent() { return Consent{"marketing.email", true}; }

Identity ValidIdentity() {
  return Identity{IdentityType::kExternalId, kCarolExternalId};
}

// The valid event of `kind` that a case breaks: event id 3, for carol.
Event ValidEvent(EventKind kind) {
  Event::Body body;
  switch (kind) {
    case EventKind::kPurchase:
      body = ValidPurchase();
      break;
    case EventKind::kInteraction:
      body = ValidInteraction();
      break;
    case EventKind::kLoyalty:
      body = ValidLoyalty();
      break;
    case EventKind::kAttribute:
      body = ValidAttribute();
      break;
    case EventKind::kConsent:
      body = ValidConsent();
      break;
    case EventKind::kIdentity:
      body = ValidIdentity();
      break;
  }
  return MakeEvent(3, CustomerRef::Id(kCarol), std::move(body));
}

constexpr std::size_t kBadIndex = 2;

// Four events: alice links her email and then buys by it (resolved within
// the batch), `middle` at index 2, and bob links his phone.
std::vector<Event> Batch(Event middle) {
  Purchase alice_purchase = ValidPurchase();
  alice_purchase.order_id = "o-1000";
  alice_purchase.total_micros = 29'679'000;  // 2 * 12.34 + 5 - 0.001
  std::vector<Event> batch;
  batch.push_back(MakeEvent(1, CustomerRef::Id(kAlice),
                            Identity{IdentityType::kEmail, kAliceEmail}));
  batch.push_back(
      MakeEvent(2, CustomerRef::ByIdentity(IdentityType::kEmail, kAliceEmail),
                std::move(alice_purchase)));
  batch.push_back(std::move(middle));
  batch.push_back(MakeEvent(4, CustomerRef::Id(kBob),
                            Identity{IdentityType::kPhone, kBobPhone}));
  return batch;
}

struct BadEvent {
  std::string name;
  EventKind kind;  // of the valid event that `mutate` breaks
  std::function<void(Event&)> mutate;
  std::string field;  // the path after "events[i]."
  // Only invalid next to the batch's other events, not on its own.
  bool batch_only = false;
};

// A case that breaks a common field (of a valid purchase).
BadEvent Common(std::string name, std::function<void(Event&)> mutate,
                std::string field) {
  return BadEvent{std::move(name), EventKind::kPurchase, std::move(mutate),
                  std::move(field)};
}

// A case that breaks a field of the body `T`.
template <typename T>
BadEvent On(std::string name, std::function<void(T&)> mutate, std::string field,
            bool batch_only = false) {
  const EventKind kind = static_cast<EventKind>(Event::Body(T{}).index());
  return BadEvent{
      std::move(name), kind,
      [mutate = std::move(mutate)](Event& e) { mutate(std::get<T>(e.body)); },
      std::move(field), batch_only};
}

CustomerRef ByEmail(std::string value) {
  return CustomerRef::ByIdentity(IdentityType::kEmail, value);
}

std::vector<PurchaseLine> ManyLines(std::size_t n) {
  return std::vector<PurchaseLine>(n, PurchaseLine{"", "", 1, 1'000});
}

std::vector<BadEvent> BadEvents() {
  using P = Purchase;
  using I = Interaction;
  using L = Loyalty;
  using A = Attribute;
  using C = Consent;
  using Id = Identity;
  return {
      // --- Common fields ---
      Common(
          "id 0", [](Event& e) { e.id = 0; }, "id"),
      Common(
          "customer id empty", [](Event& e) { e.customer.id = ""; },
          "customer.id"),
      Common(
          "customer id 129 bytes", [](Event& e) { e.customer.id = Bytes(129); },
          "customer.id"),
      Common(
          "customer id invalid UTF-8",
          [](Event& e) { e.customer.id = kBadUtf8; }, "customer.id"),
      Common(
          "customer id overlong UTF-8",
          [](Event& e) { e.customer.id = "c" + kOverlong; }, "customer.id"),
      Common(
          "customer id lone surrogate",
          [](Event& e) { e.customer.id = kLoneSurrogate; }, "customer.id"),
      Common(
          "customer id truncated UTF-8",
          [](Event& e) { e.customer.id = kTruncated; }, "customer.id"),
      Common(
          "customer id with NUL", [](Event& e) { e.customer.id = kWithNul; },
          "customer.id"),
      Common(
          "customer both id and identity",
          [](Event& e) {
            e.customer.identity_type = IdentityType::kEmail;
            e.customer.identity_value = kAliceEmail;
          },
          "customer.id"),
      Common(
          "identity value empty", [](Event& e) { e.customer = ByEmail(""); },
          "customer.identity_value"),
      Common(
          "identity value 257 bytes",
          [](Event& e) { e.customer = ByEmail(Bytes(257)); },
          "customer.identity_value"),
      Common(
          "identity value with NUL",
          [](Event& e) { e.customer = ByEmail(kWithNul); },
          "customer.identity_value"),
      Common(
          "identity value invalid UTF-8",
          [](Event& e) { e.customer = ByEmail(kBadUtf8); },
          "customer.identity_value"),
      Common(
          "identity type 0",
          [](Event& e) {
            e.customer = CustomerRef::ByIdentity(static_cast<IdentityType>(0),
                                                 kAliceEmail);
          },
          "customer.identity_type"),
      Common(
          "identity type 99",
          [](Event& e) {
            e.customer = CustomerRef::ByIdentity(static_cast<IdentityType>(99),
                                                 kAliceEmail);
          },
          "customer.identity_type"),
      Common(
          "unknown identity",
          [](Event& e) { e.customer = ByEmail("nobody@example.com"); },
          "customer"),
      Common(
          "identity of another type",  // alice's email, but as a phone
          [](Event& e) {
            e.customer =
                CustomerRef::ByIdentity(IdentityType::kPhone, kAliceEmail);
          },
          "customer"),
      Common(
          "identity linked only later in the batch",
          [](Event& e) {
            e.customer =
                CustomerRef::ByIdentity(IdentityType::kPhone, kBobPhone);
          },
          "customer"),
      Common(
          "ts_ms -1", [](Event& e) { e.ts_ms = -1; }, "ts_ms"),
      Common(
          "ts_ms after 9999", [](Event& e) { e.ts_ms = kMaxTsMs + 1; },
          "ts_ms"),
      Common(
          "ts_ms INT64_MIN", [](Event& e) { e.ts_ms = kMin; }, "ts_ms"),
      Common(
          "source 129 bytes", [](Event& e) { e.source = Bytes(129); },
          "source"),
      Common(
          "source invalid UTF-8", [](Event& e) { e.source = kBadUtf8; },
          "source"),
      Common(
          "source with NUL", [](Event& e) { e.source = kWithNul; }, "source"),

      // --- Purchase ---
      On<P>(
          "currency empty", [](P& p) { p.currency = ""; }, "purchase.currency"),
      On<P>(
          "currency lower case", [](P& p) { p.currency = "gbp"; },
          "purchase.currency"),
      On<P>(
          "currency XXX", [](P& p) { p.currency = "XXX"; },
          "purchase.currency"),
      On<P>(
          "currency 2 letters", [](P& p) { p.currency = "GB"; },
          "purchase.currency"),
      On<P>(
          "currency 4 letters", [](P& p) { p.currency = "GBPX"; },
          "purchase.currency"),
      On<P>(
          "channel 9", [](P& p) { p.channel = static_cast<Channel>(9); },
          "purchase.channel"),
      On<P>(
          "channel 255", [](P& p) { p.channel = static_cast<Channel>(255); },
          "purchase.channel"),
      On<P>(
          "order_id 129 bytes", [](P& p) { p.order_id = Bytes(129); },
          "purchase.order_id"),
      On<P>(
          "order_id invalid UTF-8", [](P& p) { p.order_id = kTruncated; },
          "purchase.order_id"),
      On<P>(
          "store 129 bytes", [](P& p) { p.store = Bytes(129); },
          "purchase.store"),
      On<P>(
          "store with NUL", [](P& p) { p.store = kWithNul; }, "purchase.store"),
      On<P>(
          "10001 lines", [](P& p) { p.lines = ManyLines(10'001); },
          "purchase.lines"),
      On<P>(
          "sku 129 bytes", [](P& p) { p.lines[1].sku = Bytes(129); },
          "purchase.lines[1].sku"),
      On<P>(
          "sku overlong UTF-8", [](P& p) { p.lines[1].sku = kOverlong; },
          "purchase.lines[1].sku"),
      On<P>(
          "category 129 bytes", [](P& p) { p.lines[1].category = Bytes(129); },
          "purchase.lines[1].category"),
      On<P>(
          "category with NUL", [](P& p) { p.lines[1].category = kWithNul; },
          "purchase.lines[1].category"),
      On<P>(
          "quantity 0", [](P& p) { p.lines[1].quantity = 0; },
          "purchase.lines[1].quantity"),
      On<P>(
          "quantity 10^9 + 1",
          [](P& p) { p.lines[1].quantity = 1'000'000'001; },
          "purchase.lines[1].quantity"),
      On<P>(
          "quantity -10^9 - 1",
          [](P& p) { p.lines[1].quantity = -1'000'000'001; },
          "purchase.lines[1].quantity"),
      On<P>(
          "quantity INT64_MIN", [](P& p) { p.lines[1].quantity = kMin; },
          "purchase.lines[1].quantity"),
      On<P>(
          "unit price -1", [](P& p) { p.lines[1].unit_price_micros = -1; },
          "purchase.lines[1].unit_price_micros"),
      On<P>(
          "unit price 10^15 + 1",
          [](P& p) { p.lines[1].unit_price_micros = 1'000'000'000'000'001; },
          "purchase.lines[1].unit_price_micros"),
      // Each within its limit, but 10^9 * 10^15 = 10^24 does not fit.
      On<P>(
          "line amount overflows",
          [](P& p) {
            p.lines[1].quantity = 1'000'000'000;
            p.lines[1].unit_price_micros = 1'000'000'000'000'000;
          },
          "purchase.lines[1].quantity"),
      // 9 * 10^18 fits; twice that does not.
      On<P>(
          "lines' sum overflows",
          [](P& p) {
            for (int j : {0, 1}) {
              p.lines[j].quantity = 1'000'000'000;
              p.lines[j].unit_price_micros = 9'000'000'000;
            }
          },
          "purchase.lines[1].quantity"),
      // The net fits (9 * 10^18 - 9 * 10^18 + 9 * 10^18), but the gross part
      // (18 * 10^18) does not: the profile sums gross and returned apart.
      On<P>(
          "gross part overflows while the net fits",
          [](P& p) {
            p.lines = {PurchaseLine{"", "", 1'000'000'000, 9'000'000'000},
                       PurchaseLine{"", "", -1'000'000'000, 9'000'000'000},
                       PurchaseLine{"", "", 1'000'000'000, 9'000'000'000}};
            p.total_micros.reset();
          },
          "purchase.lines[2].quantity"),
      On<P>(
          "total does not equal the lines",
          [](P& p) { p.total_micros = 29'679'001; }, "purchase.total_micros"),
      On<P>(
          "total of the lines negated",
          [](P& p) { p.total_micros = -29'679'000; }, "purchase.total_micros"),
      On<P>(
          "total 0 with lines", [](P& p) { p.total_micros = 0; },
          "purchase.total_micros"),
      On<P>(
          "no lines and no total", [](P& p) { p.lines.clear(); },
          "purchase.total_micros"),
      // --- Line totals and discounts ---
      On<P>(
          "line total of the other sign",
          [](P& p) { p.lines[0].line_total_micros = -10'000'000; },
          "purchase.lines[0].line_total_micros"),
      On<P>(
          "line total past 10^18",
          [](P& p) {
            p.lines[0].unit_price_micros = 0;
            p.lines[0].line_total_micros = 1'000'000'000'000'000'001;
          },
          "purchase.lines[0].line_total_micros"),
      On<P>(
          "line discount negative",
          [](P& p) { p.lines[1].discount_micros = -1; },
          "purchase.lines[1].discount_micros"),
      On<P>(
          "line discount over the line's amount",
          [](P& p) { p.lines[1].discount_micros = 5'000'001; },
          "purchase.lines[1].discount_micros"),
      On<P>(
          "discount on a returned line over its amount",
          [](P& p) { p.lines[2].discount_micros = 1'001; },
          "purchase.lines[2].discount_micros"),
      On<P>(
          "order discount negative", [](P& p) { p.discount_micros = -1; },
          "purchase.discount_micros"),
      On<P>(
          "order discount over what the positive lines came to",
          [](P& p) {  // 2 * 12.34 + 5 - 1.00 (a line discount) = 28.68
            p.lines[0].discount_micros = 1'000'000;
            p.discount_micros = 28'680'001;
          },
          "purchase.discount_micros"),
      On<P>(
          "order discount on a refund without lines",
          [](P& p) {
            p.lines.clear();
            p.total_micros = -5'000'000;
            p.discount_micros = 1;
          },
          "purchase.discount_micros"),
      On<P>(
          "total that leaves out the order discount",
          [](P& p) {
            p.discount_micros = 1'000'000;
            p.total_micros = 29'679'000;
          },
          "purchase.total_micros"),
      On<P>(
          "total that leaves out a line discount",
          [](P& p) {
            p.lines[2].discount_micros = 1'000;  // refunds nothing
            p.total_micros = 29'679'000;
          },
          "purchase.total_micros"),
      On<P>(
          "no lines and total 0",
          [](P& p) {
            p.lines.clear();
            p.total_micros = 0;
          },
          "purchase.total_micros"),

      // --- Interaction ---
      On<I>(
          "interaction channel 9",
          [](I& i) { i.channel = static_cast<Channel>(9); },
          "interaction.channel"),
      On<I>(
          "kind 0", [](I& i) { i.kind = static_cast<InteractionKind>(0); },
          "interaction.kind"),
      On<I>(
          "kind 7", [](I& i) { i.kind = static_cast<InteractionKind>(7); },
          "interaction.kind"),
      On<I>(
          "topic 129 bytes", [](I& i) { i.topic = Bytes(129); },
          "interaction.topic"),
      On<I>(
          "topic invalid UTF-8", [](I& i) { i.topic = kLoneSurrogate; },
          "interaction.topic"),
      On<I>(
          "agent 129 bytes", [](I& i) { i.agent = Bytes(129); },
          "interaction.agent"),
      On<I>(
          "agent with NUL", [](I& i) { i.agent = kWithNul; },
          "interaction.agent"),
      On<I>(
          "duration -1", [](I& i) { i.duration_s = -1; },
          "interaction.duration_s"),
      On<I>(
          "duration 10^7 + 1", [](I& i) { i.duration_s = 10'000'001; },
          "interaction.duration_s"),
      On<I>(
          "sentiment -101", [](I& i) { i.sentiment = -101; },
          "interaction.sentiment"),
      On<I>(
          "sentiment 101", [](I& i) { i.sentiment = 101; },
          "interaction.sentiment"),
      On<I>(
          "rating -1", [](I& i) { i.rating = -1; }, "interaction.rating"),
      On<I>(
          "rating 11", [](I& i) { i.rating = 11; }, "interaction.rating"),
      On<I>(
          "text 65537 bytes", [](I& i) { i.text = Bytes(65'537); },
          "interaction.text"),
      On<I>(
          "text lone surrogate",
          [](I& i) { i.text = "late " + kLoneSurrogate; }, "interaction.text"),
      On<I>(
          "text with NUL", [](I& i) { i.text = kWithNul; }, "interaction.text"),

      // --- Loyalty ---
      On<L>(
          "loyalty kind 0", [](L& l) { l.kind = static_cast<LoyaltyKind>(0); },
          "loyalty.kind"),
      On<L>(
          "loyalty kind 7", [](L& l) { l.kind = static_cast<LoyaltyKind>(7); },
          "loyalty.kind"),
      On<L>(
          "earn 0 points", [](L& l) { l.points = 0; }, "loyalty.points"),
      On<L>(
          "earn negative points", [](L& l) { l.points = -5; },
          "loyalty.points"),
      On<L>(
          "redeem 0 points",
          [](L& l) {
            l.kind = LoyaltyKind::kRedeem;
            l.points = 0;
          },
          "loyalty.points"),
      On<L>(
          "expire negative points",
          [](L& l) {
            l.kind = LoyaltyKind::kExpire;
            l.points = -1;
          },
          "loyalty.points"),
      On<L>(
          "adjust 0 points",
          [](L& l) {
            l.kind = LoyaltyKind::kAdjust;
            l.points = 0;
          },
          "loyalty.points"),
      On<L>(
          "enroll with points",
          [](L& l) {
            l.kind = LoyaltyKind::kEnroll;
            l.points = 10;
          },
          "loyalty.points"),
      On<L>(
          "tier change with points",
          [](L& l) {
            l.kind = LoyaltyKind::kTierChange;
            l.tier = "gold";
            l.points = 5;
          },
          "loyalty.points"),
      On<L>(
          "tier change without tier",
          [](L& l) {
            l.kind = LoyaltyKind::kTierChange;
            l.points = 0;
          },
          "loyalty.tier"),
      On<L>(
          "earn 10^12 + 1 points", [](L& l) { l.points = 1'000'000'000'001; },
          "loyalty.points"),
      On<L>(
          "adjust -10^12 - 1 points",
          [](L& l) {
            l.kind = LoyaltyKind::kAdjust;
            l.points = -1'000'000'000'001;
          },
          "loyalty.points"),
      On<L>(
          "adjust INT64_MIN points",
          [](L& l) {
            l.kind = LoyaltyKind::kAdjust;
            l.points = kMin;
          },
          "loyalty.points"),
      On<L>(
          "tier 65 bytes", [](L& l) { l.tier = Bytes(65); }, "loyalty.tier"),
      On<L>(
          "tier invalid UTF-8", [](L& l) { l.tier = kOverlong; },
          "loyalty.tier"),
      On<L>(
          "program 65 bytes", [](L& l) { l.program = Bytes(65); },
          "loyalty.program"),
      On<L>(
          "program with NUL", [](L& l) { l.program = kWithNul; },
          "loyalty.program"),

      // --- Attribute ---
      On<A>(
          "removal with a value",
          [](A& a) {
            a.remove = true;
            a.value = std::int64_t{0};
          },
          "attribute.value"),
      On<A>(
          "removal with text",
          [](A& a) {
            a.remove = true;
            a.value = std::string("x");
          },
          "attribute.value"),
      On<A>(
          "key empty", [](A& a) { a.key = ""; }, "attribute.key"),
      On<A>(
          "key namespace only", [](A& a) { a.key = "custom."; },
          "attribute.key"),
      On<A>(
          "key without dot", [](A& a) { a.key = "personal"; }, "attribute.key"),
      On<A>(
          "key empty segment", [](A& a) { a.key = "custom..x"; },
          "attribute.key"),
      On<A>(
          "key trailing dot", [](A& a) { a.key = "custom.x."; },
          "attribute.key"),
      On<A>(
          "key leading dot", [](A& a) { a.key = ".custom.x"; },
          "attribute.key"),
      On<A>(
          "key capitalised namespace", [](A& a) { a.key = "Custom.x"; },
          "attribute.key"),
      On<A>(
          "key upper case segment", [](A& a) { a.key = "custom.X"; },
          "attribute.key"),
      On<A>(
          "key unknown namespace", [](A& a) { a.key = "other.x"; },
          "attribute.key"),
      On<A>(
          "key with hyphen", [](A& a) { a.key = "custom.a-b"; },
          "attribute.key"),
      On<A>(
          "key with space", [](A& a) { a.key = "custom.x y"; },
          "attribute.key"),
      On<A>(
          "key 129 bytes", [](A& a) { a.key = "custom." + Bytes(122, 'a'); },
          "attribute.key"),
      On<A>(
          "value 4097 bytes", [](A& a) { a.value = Bytes(4'097); },
          "attribute.value"),
      On<A>(
          "value invalid UTF-8", [](A& a) { a.value = kBadUtf8; },
          "attribute.value"),
      On<A>(
          "value with NUL", [](A& a) { a.value = kWithNul; },
          "attribute.value"),
      On<A>(
          "provenance 0",
          [](A& a) { a.provenance = static_cast<Provenance>(0); },
          "attribute.provenance"),
      On<A>(
          "provenance 4",
          [](A& a) { a.provenance = static_cast<Provenance>(4); },
          "attribute.provenance"),
      On<A>(
          "confidence -1", [](A& a) { a.confidence = -1; },
          "attribute.confidence"),
      On<A>(
          "confidence 101", [](A& a) { a.confidence = 101; },
          "attribute.confidence"),

      // --- Consent ---
      On<C>(
          "purpose empty", [](C& c) { c.purpose = ""; }, "consent.purpose"),
      On<C>(
          "purpose 129 bytes", [](C& c) { c.purpose = Bytes(129); },
          "consent.purpose"),
      On<C>(
          "purpose upper case", [](C& c) { c.purpose = "Marketing.email"; },
          "consent.purpose"),
      On<C>(
          "purpose with space", [](C& c) { c.purpose = "marketing email"; },
          "consent.purpose"),
      On<C>(
          "purpose with slash", [](C& c) { c.purpose = "marketing/email"; },
          "consent.purpose"),
      On<C>(
          "purpose non-ASCII", [](C& c) { c.purpose = "marketing.\xc3\xa9"; },
          "consent.purpose"),
      On<C>(
          "purpose with NUL", [](C& c) { c.purpose = kWithNul; },
          "consent.purpose"),

      // --- Identity ---
      On<Id>(
          "identity type 0",
          [](Id& i) { i.type = static_cast<IdentityType>(0); },
          "identity.type"),
      On<Id>(
          "identity type 5",
          [](Id& i) { i.type = static_cast<IdentityType>(5); },
          "identity.type"),
      On<Id>(
          "identity value empty", [](Id& i) { i.value = ""; },
          "identity.value"),
      On<Id>(
          "identity value 257 bytes", [](Id& i) { i.value = Bytes(257); },
          "identity.value"),
      On<Id>(
          "identity value with NUL", [](Id& i) { i.value = kWithNul; },
          "identity.value"),
      On<Id>(
          "identity value invalid UTF-8", [](Id& i) { i.value = kTruncated; },
          "identity.value"),
      // Index 0 of the batch links this email to alice.
      On<Id>(
          "identity linked to alice earlier in the batch",
          [](Id& i) {
            i.type = IdentityType::kEmail;
            i.value = kAliceEmail;
          },
          "identity.value", /*batch_only=*/true),
  };
}

std::unique_ptr<ckm::Store> OpenStore(const std::string& path) {
  absl::StatusOr<std::unique_ptr<ckm::Store>> store = ckm::Store::Open(path);
  REQUIRE_OK(store);
  return std::move(*store);
}

// The rejection Record() must return for a bad event at `index`.
void CheckRejected(const absl::StatusOr<ckm::RecordResult>& result,
                   std::size_t index, const std::string& field) {
  // CHECK, not REQUIRE: one wrongly accepted case must not hide the others.
  CHECK_FALSE(result.ok());
  if (result.ok()) return;
  const std::string message(result.status().message());
  INFO("status: " << result.status().ToString());
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  const std::string prefix =
      "events[" + std::to_string(index) + "]." + field + ": ";
  CHECK_THAT(message, Catch::Matchers::StartsWith(prefix));
  CHECK(message.size() > prefix.size());  // and says why
  if (field == "customer") {
    CHECK_THAT(message,
               Catch::Matchers::StartsWith(prefix + "unknown identity"));
  }
}

// Nothing of any customer or identity the batch names was written.
void CheckEmpty(const ckm::Store& store) {
  for (const char* customer : {kAlice, kBob, kCarol}) {
    INFO("customer " << customer);
    CHECK(store.Get(customer).status().code() == absl::StatusCode::kNotFound);
    const absl::StatusOr<ckm::Events> history = store.History(customer);
    CHECK_OK(history);
    if (history.ok()) CHECK(history->empty());
    const absl::StatusOr<ckm::Events> timeline = store.Timeline(customer);
    CHECK_OK(timeline);
    if (timeline.ok()) CHECK(timeline->empty());
  }
  CHECK(store.Resolve(IdentityType::kEmail, kAliceEmail).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(store.Resolve(IdentityType::kPhone, kBobPhone).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(store.Resolve(IdentityType::kExternalId, kCarolExternalId)
            .status()
            .code() == absl::StatusCode::kNotFound);
  const absl::StatusOr<ckm::StoreReport> report = store.VerifyAll();
  CHECK_OK(report);
  if (report.ok()) {
    CHECK(report->customers == 0);
    CHECK(report->ok());
  }
}

}  // namespace

TEST_CASE("Record rejects malformed events and writes nothing",
          "[validation]") {
  const std::vector<BadEvent> cases = BadEvents();
  REQUIRE(cases.size() >= 45);
  ckm_test::TempDir dir;
  for (std::size_t n = 0; n < cases.size(); ++n) {
    const BadEvent& c = cases[n];
    INFO("case " << n << ": " << c.name << " (" << c.field << ")");
    Event bad = ValidEvent(c.kind);
    c.mutate(bad);
    std::unique_ptr<ckm::Store> store =
        OpenStore(dir.sub("case-" + std::to_string(n)));

    const std::vector<Event> batch = Batch(bad);
    CheckRejected(store->Record(absl::MakeConstSpan(batch)), kBadIndex,
                  c.field);
    CheckEmpty(*store);

    if (!c.batch_only) {
      INFO("recorded alone");
      CheckRejected(store->Record(bad), 0, c.field);
      CheckEmpty(*store);
    }
  }
}

TEST_CASE("ckm::ValidateBatch gives Record's answer without a store",
          "[validation]") {
  const std::vector<BadEvent> cases = BadEvents();
  ckm_test::TempDir dir;
  std::size_t caught = 0;
  for (std::size_t n = 0; n < cases.size(); ++n) {
    const BadEvent& c = cases[n];
    INFO("case " << n << ": " << c.name << " (" << c.field << ")");
    Event bad = ValidEvent(c.kind);
    c.mutate(bad);
    const std::vector<Event> batch = Batch(bad);
    const absl::Status validated = ckm::ValidateBatch(batch);
    // Only identity resolution needs the store; everything else is caught.
    if (validated.ok()) {
      CHECK((c.field == "customer" || c.field == "identity.value"));
      continue;
    }
    ++caught;
    std::unique_ptr<ckm::Store> store =
        OpenStore(dir.sub("case-" + std::to_string(n)));
    CHECK(store->Record(absl::MakeConstSpan(batch)).status() == validated);
    if (!c.batch_only) CHECK(ckm::Validate(bad) == store->Record(bad).status());
  }
  CHECK(caught + 6 >= cases.size());
}

TEST_CASE("A 10 MB value gives an error under 1 KB naming field and index",
          "[validation]") {
  const std::string huge(10'000'000, 'x');
  struct Case {
    const char* field;
    std::function<void(Event&)> mutate;
  };
  const Case cases[] = {
      {"customer.id", [&](Event& e) { e.customer = CustomerRef::Id(huge); }},
      {"purchase.currency",
       [&](Event& e) { std::get<Purchase>(e.body).currency = huge; }},
      {"purchase.lines[0].sku",
       [&](Event& e) { std::get<Purchase>(e.body).lines[0].sku = huge; }},
      {"attribute.key",
       [&](Event& e) {
         e.body = Attribute{huge, std::string("v"), ckm::Provenance::kExpressed,
                            100};
       }},
  };
  ckm_test::TempDir dir;
  std::unique_ptr<ckm::Store> store = OpenStore(dir.path());
  for (const Case& c : cases) {
    INFO(c.field);
    Event bad = ValidEvent(EventKind::kPurchase);
    c.mutate(bad);
    const std::vector<Event> batch = Batch(bad);
    const absl::Status status =
        store->Record(absl::MakeConstSpan(batch)).status();
    REQUIRE(absl::IsInvalidArgument(status));
    INFO(std::string(status.message().substr(0, 300)));
    CHECK(status.message().size() < 1024);
    CHECK(status.message().find("events[" + std::to_string(kBadIndex) + "]." +
                                c.field + ": ") == 0);
    CHECK(ckm::ValidateBatch(batch) == status);
  }
  CheckEmpty(*store);
  // Reads that name a customer say what is wrong without echoing it.
  for (const absl::Status& status :
       {store->Get(huge).status(), store->History(huge).status(),
        store->Verify(huge).status()}) {
    CHECK(absl::IsInvalidArgument(status));
    CHECK(status.message().size() < 1024);
  }
}

TEST_CASE("The events the table breaks are valid", "[validation]") {
  ckm_test::TempDir dir;
  for (EventKind kind :
       {EventKind::kPurchase, EventKind::kInteraction, EventKind::kLoyalty,
        EventKind::kAttribute, EventKind::kConsent, EventKind::kIdentity}) {
    INFO("kind " << ckm::ToString(kind));
    std::unique_ptr<ckm::Store> store =
        OpenStore(dir.sub("kind-" + std::to_string(static_cast<int>(kind))));
    const std::vector<Event> batch = Batch(ValidEvent(kind));
    const absl::StatusOr<ckm::RecordResult> result =
        store->Record(absl::MakeConstSpan(batch));
    REQUIRE_OK(result);
    CHECK(result->recorded == 4);
    CHECK(result->already_recorded == 0);

    // Alice's purchase by email resolved to her within the batch.
    const absl::StatusOr<ckm::Profile> alice = store->Get(kAlice);
    REQUIRE_OK(alice);
    CHECK(alice->event_count() == 2);
    CHECK(alice->purchases().orders == 1);
    const absl::StatusOr<ckm::Profile> carol = store->Get(kCarol);
    REQUIRE_OK(carol);
    CHECK(carol->event_count() == 1);
    const absl::StatusOr<std::string> bob =
        store->Resolve(IdentityType::kPhone, kBobPhone);
    REQUIRE_OK(bob);
    CHECK(*bob == kBob);

    const absl::StatusOr<ckm::StoreReport> report = store->VerifyAll();
    REQUIRE_OK(report);
    CHECK(report->customers == 3);
    CHECK(report->ok());
  }
}

TEST_CASE("Values at the limits are accepted", "[validation]") {
  const std::string kEuro = "\xe2\x82\xac";       // 3 bytes
  const std::string kEmoji = "\xf0\x9f\x98\x80";  // 4 bytes
  std::vector<Event> events;
  std::uint64_t id = 100;
  auto add = [&](Event::Body body) {
    events.push_back(MakeEvent(++id, CustomerRef::Id(kCarol), std::move(body)));
    return &events.back();
  };

  add(ValidConsent())->customer.id = Bytes(128);
  add(ValidConsent())->customer.id = kEuro + kEmoji;
  add(ValidConsent())->ts_ms = 0;
  add(ValidConsent())->ts_ms = kMaxTsMs;
  add(ValidConsent())->source = Bytes(128);
  add(ValidConsent())->source = "";

  Purchase purchase = ValidPurchase();
  purchase.order_id = Bytes(128);
  purchase.store = Bytes(128);
  purchase.channel = Channel::kSelfService;
  purchase.lines = {
      PurchaseLine{Bytes(128), Bytes(128), 1'000'000'000, 1'000'000},
      PurchaseLine{"", "", -1'000'000'000, 1'000'000},
      PurchaseLine{"", "", 1, 1'000'000'000'000'000},
      // The positive lines sum to 9.223 * 10^18, just under INT64_MAX.
      PurchaseLine{"", "", 9'221, 1'000'000'000'000'000},
      PurchaseLine{"", "", 1, 0},  // free
  };
  add(purchase);
  purchase.lines = ManyLines(10'000);
  purchase.total_micros = 10'000'000;
  add(purchase);
  // "3 for 10.00" at a listed 3.50; a line given only its total;
  // a line discounted to nothing; a return refunded in part; an order
  // discount of everything left.
  PurchaseLine deal("", "", 3, 3'500'000);
  deal.line_total_micros = 10'000'000;
  PurchaseLine free("", "", 2, 1'000'000);
  free.discount_micros = 2'000'000;
  PurchaseLine part_refund("", "", -1, 4'000'000);
  part_refund.discount_micros = 1'500'000;
  purchase.lines = {
      deal, PurchaseLine::WithTotal("", "", 3, 10'000'000), free, part_refund,
      PurchaseLine::WithTotal("", "", -1, -1'000'000'000'000'000'000)};
  purchase.discount_micros = 20'000'000;
  purchase.total_micros = -1'000'000'000'000'000'000 - 2'500'000;
  add(purchase);
  purchase.discount_micros = 0;
  purchase.lines.clear();
  purchase.total_micros = 7'000'000;  // paid after a discount without lines
  purchase.discount_micros = 3'000'000;
  add(purchase);
  purchase.discount_micros = 0;
  purchase.total_micros = -12'340'000;  // a refund without lines
  add(purchase);
  purchase.total_micros = 1'000'000'000'000'000'000;
  add(purchase);

  Interaction interaction = ValidInteraction();
  interaction.channel = Channel::kSelfService;
  interaction.kind = InteractionKind::kSurvey;
  interaction.topic = Bytes(128);
  interaction.agent = Bytes(128);
  interaction.duration_s = 10'000'000;
  interaction.sentiment = -100;
  interaction.rating = 0;
  interaction.text = Bytes(65'536);
  add(interaction);
  interaction.duration_s = 0;
  interaction.sentiment = 100;
  interaction.rating = 10;
  interaction.text = "";
  add(interaction);

  Loyalty loyalty;
  loyalty.kind = LoyaltyKind::kEnroll;
  loyalty.points = 0;
  loyalty.tier = Bytes(64);
  loyalty.program = Bytes(64);
  add(loyalty);
  loyalty = Loyalty{LoyaltyKind::kEarn, 1'000'000'000'000, "", ""};
  add(loyalty);
  loyalty = Loyalty{LoyaltyKind::kRedeem, 1, "", ""};
  add(loyalty);
  loyalty = Loyalty{LoyaltyKind::kExpire, 1, "", ""};
  add(loyalty);
  loyalty = Loyalty{LoyaltyKind::kAdjust, -1'000'000'000'000, "", ""};
  add(loyalty);
  loyalty = Loyalty{LoyaltyKind::kTierChange, 0, kEmoji, ""};
  add(loyalty);

  Attribute attribute = ValidAttribute();
  attribute.key = "custom." + Bytes(121, 'a');  // 128 bytes
  attribute.value = Bytes(4'096);
  attribute.confidence = 0;
  add(attribute);
  for (const char* key : {"personal.first_name", "demographic.age_band",
                          "psychographic.values.green_2", "custom.x"}) {
    attribute.key = key;
    attribute.value = std::int64_t{-1};
    attribute.provenance = Provenance::kImplied;
    attribute.confidence = 100;
    add(attribute);
  }
  attribute.value = true;
  add(attribute);

  add(Consent{Bytes(128, 'a'), false});
  add(Consent{"a.b-c_d.0", true});

  add(Identity{IdentityType::kLoyaltyCard, Bytes(256)});
  add(Identity{IdentityType::kEmail, kEmoji + "@example.com"});

  ckm_test::TempDir dir;
  std::unique_ptr<ckm::Store> store = OpenStore(dir.path());
  for (std::size_t i = 0; i < events.size(); ++i) {
    INFO("event " << i << " (id " << events[i].id << ")");
    const absl::StatusOr<ckm::RecordResult> result = store->Record(events[i]);
    CHECK_OK(result);
  }
}

TEST_CASE("Linking an identity of another customer writes nothing",
          "[validation]") {
  ckm_test::TempDir dir;
  std::unique_ptr<ckm::Store> store = OpenStore(dir.path());
  REQUIRE_OK(
      store->Record(MakeEvent(1, CustomerRef::Id(kAlice),
                              Identity{IdentityType::kEmail, kAliceEmail})));

  Consent consent = ValidConsent();
  const std::vector<Event> batch = {
      MakeEvent(2, CustomerRef::Id(kBob), consent),
      MakeEvent(3, CustomerRef::Id(kBob), ValidLoyalty()),
      MakeEvent(4, CustomerRef::Id(kBob),
                Identity{IdentityType::kEmail, kAliceEmail}),
      MakeEvent(5, CustomerRef::Id(kCarol), ValidInteraction()),
  };
  CheckRejected(store->Record(absl::MakeConstSpan(batch)), 2, "identity.value");
  CheckRejected(store->Record(batch[2]), 0, "identity.value");

  for (const char* customer : {kBob, kCarol}) {
    INFO("customer " << customer);
    CHECK(store->Get(customer).status().code() == absl::StatusCode::kNotFound);
    const absl::StatusOr<ckm::Events> history = store->History(customer);
    REQUIRE_OK(history);
    CHECK(history->empty());
    const absl::StatusOr<ckm::Events> timeline = store->Timeline(customer);
    REQUIRE_OK(timeline);
    CHECK(timeline->empty());
  }
  const absl::StatusOr<std::string> owner =
      store->Resolve(IdentityType::kEmail, kAliceEmail);
  REQUIRE_OK(owner);
  CHECK(*owner == kAlice);
  const absl::StatusOr<ckm::Profile> alice = store->Get(kAlice);
  REQUIRE_OK(alice);
  CHECK(alice->event_count() == 1);
  const absl::StatusOr<ckm::StoreReport> report = store->VerifyAll();
  REQUIRE_OK(report);
  CHECK(report->customers == 1);
  CHECK(report->ok());

  // Linking it to its own customer again is no conflict.
  REQUIRE_OK(
      store->Record(MakeEvent(6, CustomerRef::Id(kAlice),
                              Identity{IdentityType::kEmail, kAliceEmail})));
  // And the rest of the rejected batch is valid.
  const std::vector<Event> fixed = {batch[0], batch[1], batch[3]};
  REQUIRE_OK(store->Record(absl::MakeConstSpan(fixed)));
}
