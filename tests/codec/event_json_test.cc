// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The JSON form of events: every kind and field round-trips exactly, and
// every malformed input is refused with a message naming the field.

#include "ckm/event_json.h"

#include <random>
#include <string>

#include "catch2/catch.hpp"
#include "ckm/validate.h"
#include "codec/json_reader.h"
#include "event_gen.h"
#include "test_util.h"

namespace ckm {
namespace {

// Random valid events of every kind, with the corners EventGen leaves out:
// identity events, customers named by identity, ids past 2^53, text that
// needs escaping, and the extremes of each range.
Event RandomEvent(ckm_test::EventGen& gen) {
  Event e = gen.Next();
  std::mt19937_64& rng = gen.rng();
  if (gen.Pick(4) == 0) e.id = rng() | 1;  // any u64 but 0
  if (gen.Pick(10) == 0) e.ts_ms = gen.Pick(2) ? 0 : 253'402'300'799'999;
  if (gen.Pick(5) == 0) {
    e.customer = CustomerRef::ByIdentity(
        static_cast<IdentityType>(1 + gen.Pick(4)), "ü\"\\\t@x.org");
  }
  if (gen.Pick(8) == 0) {
    e.body = Identity{static_cast<IdentityType>(1 + gen.Pick(4)),
                      "+44 \u2603 " + std::to_string(gen.Pick(100))};
  }
  if (auto* p = std::get_if<Purchase>(&e.body); p && !p->lines.empty()) {
    if (gen.Pick(3) == 0) {
      p->lines[0].unit_price_micros = 1'000'000'000'000'000;
      p->lines[0].quantity = 1;
      p->lines[0].line_total_micros.reset();
      p->lines[0].discount_micros = 0;
      p->total_micros.reset();
    }
    if (gen.Pick(3) == 0) p->lines[0].sku = std::string("\x01\x1f/\x7f", 4);
  }
  if (auto* a = std::get_if<Attribute>(&e.body);
      a && !a->remove && gen.Pick(3) == 0) {
    a->value = gen.Pick(2) ? std::numeric_limits<std::int64_t>::min()
                           : std::numeric_limits<std::int64_t>::max();
  }
  return e;
}

TEST_CASE("Every event round-trips through its JSON form exactly") {
  const std::uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  ckm_test::EventGen gen(seed, 5);
  for (int i = 0; i < 3000; ++i) {
    const Event e = RandomEvent(gen);
    REQUIRE_OK(Validate(e));
    const std::string text = EventToJson(e);
    INFO(text);
    REQUIRE(text.find('\n') == std::string::npos);  // one JSON Lines line
    absl::StatusOr<Event> back = EventFromJson(text);
    REQUIRE_OK(back);
    REQUIRE(*back == e);
    REQUIRE(EventToJson(*back) == text);
  }
}

TEST_CASE("The JSON form is the documented one") {
  Event e;
  e.id = 18'446'744'073'709'551'615u;
  e.customer = CustomerRef::Id("c-1");
  e.ts_ms = 1'767'348'000'123;
  e.source = "pos-3";
  Purchase p;
  p.order_id = "A-1";
  p.currency = "GBP";
  p.channel = Channel::kInStore;
  p.lines.push_back({"tea", "", 2, 1'250'000});
  p.total_micros = 2'500'000;
  e.body = p;
  CHECK(EventToJson(e) ==
        R"({"v":1,"id":"18446744073709551615","customer":"c-1",)"
        R"("ts":"2026-01-02T10:00:00.123Z","source":"pos-3","purchase":)"
        R"({"order_id":"A-1","currency":"GBP","channel":"in_store",)"
        R"("store":"","lines":[{"sku":"tea","category":"","quantity":2,)"
        R"("unit_price":"1.25"}],"total":"2.50"}})");
}

TEST_CASE("Line totals and discounts are written only when set") {
  Event e;
  e.id = 1;
  e.customer = CustomerRef::Id("c");
  Purchase p("A", "GBP");
  p.lines.push_back(PurchaseLine::WithTotal("tea", "", 3, 10'000'000));
  p.lines.back().discount_micros = 500'000;
  p.discount_micros = 1'000'000;
  e.body = p;
  const std::string text = EventToJson(e);
  CHECK_THAT(text, Catch::Contains(
                       R"("quantity":3,"unit_price":"0.00","line_total":)"
                       R"("10.00","discount":"0.50"}],"discount":"1.00"})"));
  REQUIRE(*EventFromJson(text) == e);
  std::get<Purchase>(e.body).lines.back().discount_micros = 0;
  std::get<Purchase>(e.body).lines.back().line_total_micros.reset();
  std::get<Purchase>(e.body).discount_micros = 0;
  CHECK(EventToJson(e).find("discount") == std::string::npos);
  CHECK(EventToJson(e).find("line_total") == std::string::npos);
}

TEST_CASE("Members left out take their defaults; ids may be numbers") {
  absl::StatusOr<Event> e = EventFromJson(
      R"({"id":7,"customer":{"type":"email","value":"a@b.c"},)"
      R"("ts":"2026-01-02T10:00:00Z","consent":{"purpose":"marketing.email",)"
      R"("granted":false}})");
  REQUIRE_OK(e);
  CHECK(e->id == 7);
  CHECK(e->customer == CustomerRef::ByIdentity(IdentityType::kEmail, "a@b.c"));
  CHECK(e->ts_ms == 1'767'348'000'000);
  CHECK(e->source.empty());
  CHECK(std::get<Consent>(e->body) == Consent{"marketing.email", false});
}

TEST_CASE("Malformed JSON events are refused, naming the field") {
  const std::string head =
      R"({"id":"1","customer":"c","ts":"2026-01-02T10:00:00.000Z",)";
  const std::pair<std::string, std::string> cases[] = {
      {"{", "at byte 1: "},
      {"[]", "an event must be a JSON object, not an array"},
      {R"({"id":"1","customer":"c","ts":"2026-01-02T10:00:00Z"})",
       "the event has no body"},
      {R"({"customer":"c","ts":"2026-01-02T10:00:00Z","consent":{}})",
       "id: missing"},
      {head + R"("v":2,"consent":{"purpose":"p","granted":true}})",
       "v: version 2 is not known"},
      {head + R"("colour":1,"consent":{"purpose":"p","granted":true}})",
       "colour: unknown member"},
      {R"({"id":"-1","customer":"c","ts":"2026-01-02T10:00:00Z","consent":{}})",
       "id: must be an unsigned 64-bit integer"},
      {R"({"id":"1","customer":"c","ts":"2026-01-02 10:00","consent":{}})",
       "ts: must be ISO 8601 UTC"},
      {R"({"id":"1","customer":"c","ts":"2026-01-02T10:00:00.0001Z",)"
       R"("consent":{"purpose":"p","granted":true}})",
       "ts: finer than a millisecond"},
      {R"({"id":"1","customer":5,"ts":"2026-01-02T10:00:00Z","consent":{}})",
       "customer: must be an id (a string) or an identity"},
      {head + R"("consent":{"purpose":"p"}})", "consent.granted: missing"},
      {head + R"("consent":{"purpose":"p","granted":"yes"}})",
       "consent.granted: must be true or false, not a string"},
      {head + R"("purchase":{"currency":"GBP","lines":[{"quantity":1,)"
              R"("unit_price":"1.2.3"}]}})",
       "purchase.lines[0].unit_price: not a decimal amount"},
      {head + R"("purchase":{"currency":"GBP","lines":[{"quantity":1,)"
              R"("unit_price":1.25}]}})",
       "purchase.lines[0].unit_price: must be a decimal amount in a string"},
      {head + R"("purchase":{"currency":"GBP","lines":[{"quantity":1.5}]}})",
       "purchase.lines[0].quantity: not an integer"},
      {head + R"("purchase":{"currency":"GBP","channel":"fax"}})",
       "purchase.channel: unknown name \"fax\" (one of unspecified, in_store"},
      {head + R"("interaction":{"kind":"survey","rating":4294967306}})",
       "interaction.rating: out of range"},
      {head + R"("attribute":{"key":"custom.x","value":1.5}})",
       "attribute.value: not an integer"},
      {head + R"("attribute":{"key":"custom.x","value":[1]}})",
       "attribute.value: must be a string, an integer or a boolean"},
      {head + R"("consent":{"purpose":"p","granted":true},)"
              R"("identity":{"type":"email","value":"x"}})",
       "an event has one body"},
      {head + R"("consent":{"purpose":"p","granted":true,"granted":false}})",
       "given twice"},
      {head + R"("consent":{"purpose":"\ud800","granted":true}})",
       "a high surrogate without a low one"},
      {head + "\"consent\":{\"purpose\":\"\xff\",\"granted\":true}}",
       "not valid UTF-8"},
  };
  for (const auto& [text, message] : cases) {
    INFO(text);
    absl::StatusOr<Event> e = EventFromJson(text);
    REQUIRE(absl::IsInvalidArgument(e.status()));
    CHECK_THAT(std::string(e.status().message()), Catch::Contains(message));
  }
}

TEST_CASE("The JSON reader reads RFC 8259 strictly") {
  absl::StatusOr<json::Value> v =
      json::Parse(R"( {"a":[1,-0.5e+3,true,null,"\u00e9\ud83d\ude00\n"]} )");
  REQUIRE_OK(v);
  const json::Value& a = *v->Find("a");
  REQUIRE(a.array().size() == 5);
  CHECK(a.array()[1].number_text() == "-0.5e+3");
  CHECK(a.array()[4].string() == "\u00e9\U0001F600\n");
  for (const char* bad : {"", "01", "1.", "-", "[1,]", "{\"a\"}", "\"a\tb\"",
                          "tru", "[1] x", "\"\\x\""}) {
    INFO(bad);
    CHECK(absl::IsInvalidArgument(json::Parse(bad).status()));
  }
  CHECK(absl::IsInvalidArgument(json::Parse(std::string(100, '[')).status()));
  CHECK(json::ToInt64("-9223372036854775808") ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(!json::ToInt64("9223372036854775808"));
  CHECK(!json::ToInt64("1e3"));
}

}  // namespace
}  // namespace ckm
