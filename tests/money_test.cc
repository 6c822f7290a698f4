// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Tests of include/ckm/money.h: exact decimal parsing and formatting of micros,
// banker's rounding to cents, overflow-checked multiplication and the ISO 4217
// currency check.

#include "ckm/money.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "catch2/catch.hpp"
#include "test_util.h"

namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// |v| without overflow, also for INT64_MIN.
std::uint64_t Magnitude(std::int64_t v) {
  return v < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(v)
               : static_cast<std::uint64_t>(v);
}

// An independent statement of FormatMicros' contract, for the property test.
std::string ReferenceFormatMicros(std::int64_t micros, int min_decimals) {
  const std::uint64_t magnitude = Magnitude(micros);
  std::string fraction = std::to_string(magnitude % 1'000'000);
  fraction.insert(0, 6 - fraction.size(), '0');
  while (static_cast<int>(fraction.size()) > min_decimals &&
         fraction.back() == '0') {
    fraction.pop_back();
  }
  std::string out = micros < 0 ? "-" : "";
  out += std::to_string(magnitude / 1'000'000);
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

// An independent statement of FormatCentsHalfEven's contract: round to cents,
// ties to the even cent, no sign on zero.
std::string ReferenceFormatCents(std::int64_t micros) {
  const std::uint64_t magnitude = Magnitude(micros);
  std::uint64_t cents = magnitude / 10'000;
  const std::uint64_t rest = magnitude % 10'000;
  if (rest > 5'000 || (rest == 5'000 && cents % 2 == 1)) ++cents;
  std::string fraction = std::to_string(cents % 100);
  if (fraction.size() < 2) fraction.insert(0, 1, '0');
  std::string out = (micros < 0 && cents != 0) ? "-" : "";
  return out + std::to_string(cents / 100) + "." + fraction;
}

absl::StatusCode ParseCode(std::string_view text) {
  return ckm::ParseMicros(text).status().code();
}

}  // namespace

TEST_CASE("ParseMicros accepts decimals", "[money]") {
  struct Valid {
    std::string_view text;
    std::int64_t micros;
  };
  const Valid cases[] = {
      {"0", 0},
      {"-0", 0},
      {"+0", 0},
      {"7", 7'000'000},
      {"+7", 7'000'000},
      {"-7", -7'000'000},
      {"12.34", 12'340'000},
      {"-12.34", -12'340'000},
      {"-0.001", -1'000},
      {"0.000001", 1},
      {"-0.000001", -1},
      {"0.5", 500'000},
      {"007.5", 7'500'000},
      {"1.2300000", 1'230'000},  // zeros past six decimals are fine
      {"1.000000000000000000000", 1'000'000},
      {"123456.789012", 123'456'789'012},
      {"9223372036854", 9'223'372'036'854'000'000},
      {"9223372036854.775807", kMax},
      {"+9223372036854.775807", kMax},
      {"9223372036854.7758070", kMax},
      {"-9223372036854.775807", -kMax},
      {"-9223372036854.775808", kMin},
      // Leading zeros do not count towards the range: the value fits.
      {"0000000000000000000000012.5", 12'500'000},
  };
  for (const Valid& c : cases) {
    INFO("text: \"" << std::string(c.text) << "\"");
    const absl::StatusOr<std::int64_t> parsed = ckm::ParseMicros(c.text);
    REQUIRE_OK(parsed);
    CHECK(*parsed == c.micros);
  }
}

TEST_CASE("ParseMicros rejects malformed text with InvalidArgument",
          "[money]") {
  const std::string_view cases[] = {
      "",
      "-",
      "+",
      ".",
      "-.",
      "1.",  // a point must be followed by digits
      ".5",  // and preceded by them
      "-.5",
      "+.5",
      "1e3",
      "1E3",
      "1,5",
      "1,234.5",
      " 1",
      "1 ",
      "\t1",
      "1\n",
      "0x10",
      "--1",
      "++1",
      "+-1",
      "-+1",
      "1-",
      "1.2.3",
      "1..2",
      "12a",
      "a12",
      "inf",
      "nan",
      "1.0000001",   // a nonzero seventh decimal cannot be represented
      "1.00000010",  // even when zeros follow it
      "0.0000005",
      "-1.0000001",
      "1_000",
      "\xd9\xa1",                  // ARABIC-INDIC DIGIT ONE
      std::string_view("1\0", 2),  // embedded NUL
      std::string_view("\0001", 2),
  };
  for (std::string_view text : cases) {
    INFO("text: \"" << std::string(text) << "\" (" << text.size() << " bytes)");
    const absl::StatusOr<std::int64_t> parsed = ckm::ParseMicros(text);
    CHECK_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("ParseMicros reports values outside int64 as OutOfRange", "[money]") {
  const std::string_view cases[] = {
      "9223372036854.775808",
      "+9223372036854.775808",
      "9223372036854.7758080",
      "-9223372036854.775809",
      "9223372036855",
      "-9223372036855",
      "10000000000000",
      "18446744073709.551616",  // 2^64 micros: must not wrap to 0
      "18446744073709.551617",  // 2^64 + 1 micros: must not wrap to 1
      "99999999999999999999999999999999999999",
      "-99999999999999999999999999999999999999.5",
  };
  for (std::string_view text : cases) {
    INFO("text: \"" << std::string(text) << "\"");
    CHECK(ParseCode(text) == absl::StatusCode::kOutOfRange);
  }
}

TEST_CASE("FormatMicros", "[money]") {
  CHECK(ckm::FormatMicros(12'340'000) == "12.34");
  CHECK(ckm::FormatMicros(1'000, 2) == "0.001");
  CHECK(ckm::FormatMicros(-1'500'000) == "-1.50");
  CHECK(ckm::FormatMicros(0) == "0.00");
  CHECK(ckm::FormatMicros(0, 0) == "0");
  CHECK(ckm::FormatMicros(0, 6) == "0.000000");
  CHECK(ckm::FormatMicros(5'000'000, 0) == "5");
  CHECK(ckm::FormatMicros(1'500'000, 0) == "1.5");
  CHECK(ckm::FormatMicros(1) == "0.000001");
  CHECK(ckm::FormatMicros(-1, 0) == "-0.000001");
  CHECK(ckm::FormatMicros(-999'999, 0) == "-0.999999");
  CHECK(ckm::FormatMicros(123'456'789'012, 0) == "123456.789012");
  CHECK(ckm::FormatMicros(12'300'000, 6) == "12.300000");
  CHECK(ckm::FormatMicros(12'300'000, 1) == "12.3");
  CHECK(ckm::FormatMicros(kMax) == "9223372036854.775807");
  // |INT64_MIN| is not an int64: negating it first would overflow.
  CHECK(ckm::FormatMicros(kMin) == "-9223372036854.775808");
  CHECK(ckm::FormatMicros(kMin, 0) == "-9223372036854.775808");
  CHECK(ckm::FormatMicros(kMin + 1) == "-9223372036854.775807");
  CHECK(ckm::FormatMicros(-9'223'372'036'854'000'000, 0) == "-9223372036854");
}

TEST_CASE("FormatCentsHalfEven rounds ties to the even cent", "[money]") {
  CHECK(ckm::FormatCentsHalfEven(125'000) == "0.12");  // 0.125
  CHECK(ckm::FormatCentsHalfEven(135'000) == "0.14");  // 0.135
  CHECK(ckm::FormatCentsHalfEven(-125'000) == "-0.12");
  CHECK(ckm::FormatCentsHalfEven(-135'000) == "-0.14");
  CHECK(ckm::FormatCentsHalfEven(2'005'000) == "2.00");  // 2.005
  CHECK(ckm::FormatCentsHalfEven(2'015'000) == "2.02");
  CHECK(ckm::FormatCentsHalfEven(1'005'100) == "1.01");  // 1.0051
  CHECK(ckm::FormatCentsHalfEven(1'004'999) == "1.00");
  CHECK(ckm::FormatCentsHalfEven(0) == "0.00");
  CHECK(ckm::FormatCentsHalfEven(12'340'000) == "12.34");
  CHECK(ckm::FormatCentsHalfEven(12'000'000) == "12.00");
  CHECK(ckm::FormatCentsHalfEven(995'000) == "1.00");  // carries into units
  CHECK(ckm::FormatCentsHalfEven(-995'000) == "-1.00");
  CHECK(ckm::FormatCentsHalfEven(9'999'995'000) == "10000.00");
  // What rounds to zero carries no sign.
  CHECK(ckm::FormatCentsHalfEven(-4'000) == "0.00");
  CHECK(ckm::FormatCentsHalfEven(-5'000) == "0.00");
  CHECK(ckm::FormatCentsHalfEven(-5'001) == "-0.01");
  // Rounding the extremes up must not overflow.
  CHECK(ckm::FormatCentsHalfEven(kMax) == "9223372036854.78");
  CHECK(ckm::FormatCentsHalfEven(kMin) == "-9223372036854.78");
}

TEST_CASE("MultiplyMicros", "[money]") {
  auto product = ckm::MultiplyMicros(3, 1'500'000);
  REQUIRE_OK(product);
  CHECK(*product == 4'500'000);

  product = ckm::MultiplyMicros(-2, 1'000);
  REQUIRE_OK(product);
  CHECK(*product == -2'000);

  product = ckm::MultiplyMicros(-1'000'000'000, 1'000'000);
  REQUIRE_OK(product);
  CHECK(*product == -1'000'000'000'000'000);

  product = ckm::MultiplyMicros(0, kMax);
  REQUIRE_OK(product);
  CHECK(*product == 0);

  product = ckm::MultiplyMicros(kMin, 0);
  REQUIRE_OK(product);
  CHECK(*product == 0);

  product = ckm::MultiplyMicros(1, kMin);
  REQUIRE_OK(product);
  CHECK(*product == kMin);

  product = ckm::MultiplyMicros(-1, kMax);
  REQUIRE_OK(product);
  CHECK(*product == -kMax);

  product = ckm::MultiplyMicros(9'223'372, 1'000'000'000'000);
  REQUIRE_OK(product);
  CHECK(*product == 9'223'372'000'000'000'000);

  // The limits of one purchase line: 10^9 units of at most 10^15 micros.
  const std::int64_t overflowing[][2] = {
      {kMax, 2},
      {2, kMax},
      {-2, kMax},
      {kMin, -1},
      {-1, kMin},
      {kMin, 2},
      {kMin, kMin},
      {kMax, kMax},
      {1'000'000'000, 1'000'000'000'000'000},
      {-1'000'000'000, 1'000'000'000'000'000},
      {9'223'373, 1'000'000'000'000},
      {std::int64_t{1} << 32, std::int64_t{1} << 31},
  };
  for (const auto& operands : overflowing) {
    INFO(operands[0] << " * " << operands[1]);
    const absl::StatusOr<std::int64_t> result =
        ckm::MultiplyMicros(operands[0], operands[1]);
    CHECK(result.status().code() == absl::StatusCode::kOutOfRange);
  }
}

TEST_CASE("IsIsoCurrency", "[money]") {
  for (std::string_view code : {"GBP", "EUR", "USD", "JPY", "CHF", "SEK"}) {
    INFO(std::string(code));
    CHECK(ckm::IsIsoCurrency(code));
  }
  for (std::string_view code :
       {"gbp", "Gbp", "gBP", "XXX", "GB", "GBPX", "", "G", "ZZZ", "ABC", "G P",
        "DEM",  // the Deutsche Mark: withdrawn, not active
        "123", "GB1"}) {
    INFO("\"" << std::string(code) << "\"");
    CHECK_FALSE(ckm::IsIsoCurrency(code));
  }
  CHECK_FALSE(ckm::IsIsoCurrency(std::string_view("GBP\0", 4)));
  CHECK_FALSE(ckm::IsIsoCurrency(std::string_view("GB\0", 3)));
}

TEST_CASE("FormatMicros then ParseMicros returns the same micros",
          "[money][property]") {
  std::mt19937_64 rng(20260101);
  std::uniform_int_distribution<std::int64_t> any(kMin, kMax);
  std::uniform_int_distribution<std::int64_t> small(-10'000'000'000,
                                                    10'000'000'000);
  std::uniform_int_distribution<int> decimals(0, 6);
  std::uniform_int_distribution<int> pick(0, 3);
  std::uniform_int_distribution<int> power(0, 6);

  auto check = [](std::int64_t micros, int min_decimals) {
    const std::string text = ckm::FormatMicros(micros, min_decimals);
    INFO("micros " << micros << ", min_decimals " << min_decimals
                   << ", formatted \"" << text << "\"");
    CHECK(text == ReferenceFormatMicros(micros, min_decimals));
    const absl::StatusOr<std::int64_t> parsed = ckm::ParseMicros(text);
    REQUIRE_OK(parsed);
    REQUIRE(*parsed == micros);
    CHECK(ckm::FormatCentsHalfEven(micros) == ReferenceFormatCents(micros));
  };

  for (std::int64_t edge : {kMin, kMin + 1, kMax, kMax - 1, std::int64_t{0},
                            std::int64_t{1}, std::int64_t{-1}}) {
    for (int min_decimals = 0; min_decimals <= 6; ++min_decimals) {
      check(edge, min_decimals);
    }
  }

  for (int i = 0; i < 10'000; ++i) {
    std::int64_t micros = 0;
    switch (pick(rng)) {
      case 0:  // anywhere in int64
      case 1:
        micros = any(rng);
        break;
      case 2:  // everyday amounts
        micros = small(rng);
        break;
      default: {  // amounts with few decimals, so trailing zeros get trimmed
        std::int64_t step = 1;
        for (int p = power(rng); p > 0; --p) step *= 10;
        micros = small(rng) / step * step;
        break;
      }
    }
    check(micros, decimals(rng));
  }
}
