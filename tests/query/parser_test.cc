// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The predicate language's parser: what it accepts, the canonical text it
// gives back, and every error with its column.

#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/segment.h"
#include "test_util.h"

namespace ckm {
namespace {

std::string Canonical(const std::string& text) {
  absl::StatusOr<Predicate> p = Predicate::Parse(text);
  INFO(text);
  REQUIRE_OK(p);
  return p->ToString();
}

TEST_CASE("Predicates parse to a canonical text that parses to itself") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"   ", ""},
      {"net_spend(GBP) > 1000 and recency_days > 90",
       "net_spend(GBP) > 1000 and recency_days > 90"},
      {"net_spend(gbp)>1000.50", "net_spend(GBP) > 1000.5"},
      {"consent(\"marketing.email\") AND orders >= 2",
       "consent(marketing.email) and orders >= 2"},
      {"a_or_b", ""},  // replaced below: unknown figure
      {"orders = 1 or orders = 2 and returns = 0",
       "orders = 1 or orders = 2 and returns = 0"},
      {"(orders = 1 or orders = 2) and returns = 0",
       "(orders = 1 or orders = 2) and returns = 0"},
      {"not (orders = 1 and returns == 0)", "not (orders = 1 and returns = 0)"},
      {"not not consent(sms)", "not not consent(sms)"},
      {"tier in ('gold', \"silver\")", "tier in (\"gold\", \"silver\")"},
      {"tier not in ('gold')", "not tier in (\"gold\")"},
      {"exists(attr(demographic.city)) and contains(attr(demographic.city), "
       "'Lon')",
       "exists(attr(demographic.city)) and contains(attr(demographic.city), "
       "\"Lon\")"},
      {"starts_with(customer_id, 'c-\\'1')",
       "starts_with(customer_id, \"c-'1\")"},
      {"attr(custom.vip)", "attr(custom.vip)"},
      {"attr(custom.vip) = true", "attr(custom.vip) = true"},
      {"nps <> -12.25", "nps != -12.25"},
      {"interactions(complaint) > 0 or interactions(phone) > 1 or "
       "orders(web) > 0",
       "interactions(complaint) > 0 or interactions(phone) > 1 or orders(web) "
       "> 0"},
      {"has_identity(email) and points >= 100 and aov(EUR) < 20",
       "has_identity(email) and points >= 100 and aov(EUR) < 20"},
      {"consent('3rd-party')", "consent(\"3rd-party\")"},
  };
  for (const auto& [text, canonical] : cases) {
    if (text == "a_or_b") continue;
    CHECK(Canonical(text) == canonical);
    CHECK(Canonical(canonical) == canonical);
  }
}

TEST_CASE("Precedence: not binds tighter than and, and tighter than or") {
  absl::StatusOr<Predicate> p =
      Predicate::Parse("not orders = 1 or orders = 2 and returns = 0");
  REQUIRE_OK(p);
  CHECK(p->ToString() == "not orders = 1 or orders = 2 and returns = 0");
  // The canonical text keeps groups that change the meaning.
  CHECK(Canonical("not (orders = 1 or orders = 2)") ==
        "not (orders = 1 or orders = 2)");
  CHECK(Canonical("(orders = 1 and returns = 0) or units = 3") ==
        "orders = 1 and returns = 0 or units = 3");
}

TEST_CASE("Every parse error names its column") {
  struct Case {
    std::string text;
    std::string message;  // the whole message
  };
  const std::vector<Case> cases = {
      {"net_spnd(GBP) > 1",
       "where, column 1: unknown figure \"net_spnd\" (did you mean "
       "net_spend?); docs/segments.md lists the figures"},
      {"xyzzy",
       "where, column 1: unknown figure \"xyzzy\"; docs/segments.md "
       "lists the figures"},
      {"net_spend > 1",
       "where, column 11: net_spend needs a currency, as in "
       "(GBP)"},
      {"net_spend(GBX) > 1",
       "where, column 11: net_spend needs a currency, as in (GBP); \"GBX\" is "
       "not one"},
      {"recency_days(3) > 1",
       "where, column 13: recency_days takes no "
       "argument"},
      {"net_spend(GBP > 1", "where, column 15: expected ')', found \">\""},
      {"net_spend(GBP)",
       "where, column 15: expected an operator (=, !=, <, "
       "<=, >, >=, in) after net_spend(GBP), which is a "
       "number, found end of input"},
      {"orders > 'x'",
       "where, column 10: orders is a number, so it cannot "
       "be compared with the string \"x\""},
      {"tier = gold",
       "where, column 8: expected a value (a number, a "
       "\"quoted string\", true or false), found \"gold\" "
       "(quote a text value)"},
      {"tier = 3",
       "where, column 8: tier is a text, so it cannot be "
       "compared with \"3\""},
      {"consent(x) < true",
       "where, column 14: true and false compare only with = and !="},
      {"orders > 1 and",
       "where, column 15: expected a figure, found end of "
       "input"},
      {"orders > 1 orders < 3",
       "where, column 12: expected and, or or the end, found \"orders\""},
      {"(orders > 1",
       "where, column 12: expected ')' or an operator, found "
       "end of input"},
      {"orders > 1)", "where, column 11: ')' without a matching '('"},
      {"orders > 1 & returns = 0",
       "where, column 12: unexpected character \"&\""},
      {"orders ! 1",
       "where, column 8: '!' is not an operator; write != or "
       "not"},
      {"tier = 'gold",
       "where, column 8: string not closed: no matching "
       "quote"},
      {"tier = 'go\\ld'",
       "where, column 11: unknown escape \\l (only \\\\, "
       "\\\" and \\' are)"},
      {"orders > 1.1234567",
       "where, column 10: number \"1.1234567\": "},  // ParseMicros's reason
      {"orders > 99999999999999999999", "where, column 10: number "},
      {"orders(fax) > 1",
       "where, column 8: orders needs a channel, as in "
       "(web); \"fax\" is not one"},
      {"interactions(refund) > 1",
       "where, column 14: interactions needs a channel or interaction kind, "
       "as in (phone) or (complaint); \"refund\" is not one"},
      {"attr(city) = 'x'",
       "where, column 6: attr needs an attribute key, as "
       "in (demographic.city); \"city\" is not one"},
      {"consent(Marketing) ",
       "where, column 9: consent needs a consent "
       "purpose, as in (marketing.email); "
       "\"Marketing\" is not one"},
      {"has_identity(fax)",
       "where, column 14: has_identity needs an "
       "identity type, as in (email); \"fax\" is not "
       "one"},
      {"consent(1)",
       "where, column 9: consent needs a consent purpose, as "
       "in (marketing.email); found \"1\""},
      {"contains(orders, 'x')",
       "where, column 1: contains needs a text, and orders is a number"},
      {"contains(tier 'x')",
       "where, column 15: expected ',', found the "
       "string \"x\""},
      {"contains(tier, gold)",
       "where, column 16: expected a quoted string, "
       "found \"gold\""},
      {"exists(tier", "where, column 12: expected ')', found end of input"},
      {"tier in 'gold'",
       "where, column 9: expected '(' after in, found the "
       "string \"gold\""},
      {"tier in ('gold' 'x')",
       "where, column 17: expected ',' or ')', found "
       "the string \"x\""},
      {"and", "where, column 1: expected a figure, found \"and\""},
      {"orders > 1 or",
       "where, column 14: expected a figure, found end of "
       "input"},
      {"é", "where, column 1: unexpected character \"\\xc3\""},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    absl::StatusOr<Predicate> p = Predicate::Parse(c.text);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message(p.status().message());
    if (c.message.back() == ' ') {  // a prefix: the rest is another module's
      CHECK(message.rfind(c.message, 0) == 0);
      CHECK(message.size() > c.message.size());
    } else {
      CHECK(message == c.message);
    }
  }
}

TEST_CASE("Nesting and length are bounded") {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "(";
  deep += "orders > 1";
  for (int i = 0; i < 100; ++i) deep += ")";
  absl::StatusOr<Predicate> p = Predicate::Parse(deep);
  REQUIRE_FALSE(p.ok());
  CHECK(std::string(p.status().message()) ==
        "where, column 65: nested too deeply (more than 64 levels)");
  std::string nots;
  for (int i = 0; i < 70; ++i) nots += "not ";
  nots += "consent(sms)";
  CHECK(Predicate::Parse(nots).status().message() ==
        "where, column 257: nested too deeply (more than 64 levels)");
  const std::string huge(70'000, ' ');
  CHECK(Predicate::Parse(huge).status().message() ==
        "where: longer than 65536 bytes");
  // Long flat predicates are fine.
  std::string wide = "orders > 0";
  for (int i = 0; i < 500; ++i) wide += " or orders > " + std::to_string(i);
  CHECK_OK(Predicate::Parse(wide));
}

TEST_CASE("Figures and sort orders parse alone") {
  absl::StatusOr<Figure> f = Figure::Parse(" net_spend( gbp ) ");
  REQUIRE_OK(f);
  CHECK(f->ToString() == "net_spend(GBP)");
  CHECK_FALSE(f->needs_now());
  CHECK(Figure::Parse("recency_days")->needs_now());
  CHECK(Figure::Parse("orders > 1").status().message() ==
        "figure, column 8: expected the end after the figure, found \">\"");
  CHECK(Figure::Parse("").status().message() ==
        "figure, column 1: expected a figure, found end of input");

  absl::StatusOr<SortOrder> s = SortOrder::Parse("recency_days ASC");
  REQUIRE_OK(s);
  CHECK_FALSE(s->descending);
  CHECK(s->ToString() == "recency_days asc");
  CHECK(SortOrder::Parse("tier")->ToString() == "tier desc");
  CHECK(SortOrder::Parse("tier up").status().message() ==
        "sort, column 6: expected asc, desc or the end, found \"up\"");
  CHECK(SortOrder::Parse("consent(sms)").status().message() ==
        "sort, column 1: consent(sms) is true or false; sort by a number or "
        "a text");

  absl::StatusOr<Predicate> p = Predicate::Parse(
      "net_spend(GBP) > 1 and (recency_days < 3 or net_spend(gbp) < 9) and "
      "consent(sms)");
  REQUIRE_OK(p);
  CHECK(p->needs_now());
  std::vector<std::string> names;
  for (const Figure& fig : p->figures()) names.push_back(fig.ToString());
  CHECK(names == std::vector<std::string>{"net_spend(GBP)", "recency_days",
                                          "consent(sms)"});
  CHECK_FALSE(Predicate::Parse("orders > 1")->needs_now());
  CHECK_FALSE(Predicate().needs_now());
}

TEST_CASE("Values format exactly and compare across units") {
  SegmentValue money;
  money.type = SegmentValue::Type::kNumber;
  money.numerator = 1'234'500'000;
  money.denominator = 1'000'000;
  money.unit = SegmentValue::Unit::kMoney;
  CHECK(money.ToString() == "1234.50");
  SegmentValue days = money;
  days.numerator = 90'000'000;
  days.denominator = 86'400'000;
  days.unit = SegmentValue::Unit::kDays;
  CHECK(days.ToString() == "1.041667");
  SegmentValue third = money;
  third.numerator = -1;
  third.denominator = 3;
  third.unit = SegmentValue::Unit::kPlain;
  CHECK(third.ToString() == "-0.333333");
  third.numerator = -1;
  third.denominator = 3'000'000;
  CHECK(third.ToString() == "0");  // rounds to zero: no "-0"
  third.numerator = std::numeric_limits<std::int64_t>::min();
  third.denominator = 1;
  CHECK(third.ToString() == "-9223372036854775808");
  third.numerator = 1'999'999'5;  // 1.9999995 rounds up, carrying
  third.denominator = 10'000'000;
  CHECK(third.ToString() == "2");
  // 1.041667 days is a little more than 90,000,000 ms.
  SegmentValue literal = money;
  literal.numerator = 1'041'667;
  CHECK(CompareValues(days, literal) < 0);
  literal.numerator = 1'041'666;
  CHECK(CompareValues(days, literal) > 0);
  SegmentValue none;
  CHECK(CompareValues(none, days) > 0);  // undefined sorts last
  SegmentValue text;
  text.type = SegmentValue::Type::kText;
  CHECK(CompareValues(days, text) < 0);
}

}  // namespace
}  // namespace ckm
