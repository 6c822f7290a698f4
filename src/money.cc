// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "ckm/money.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "quote.h"
#include "string_util.h"

namespace ckm {
namespace {

constexpr int kMaxDecimals = 6;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The active codes of ISO 4217 (list one, 2024), sorted for binary search.
// XXX, XTS and the precious-metal and fund codes are left out on purpose:
// they are not currencies a customer pays in.
constexpr std::array<std::string_view, 155> kIsoCurrencies = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM",
    "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN",
    "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD",
    "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL",
    "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY",
    "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP",
    "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
    "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK",
    "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP",
    "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT",
    "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR",
    "ZMW",
};

}  // namespace

absl::StatusOr<std::int64_t> ParseMicros(std::string_view text) {
  const std::string_view original = text;
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a decimal amount (", Av(why), "): ", QuoteForError(original)));
  };
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  const std::size_t point = text.find('.');
  std::string_view whole = text.substr(0, point);
  std::string_view fraction = point == std::string_view::npos
                                  ? std::string_view()
                                  : text.substr(point + 1);
  if (whole.empty()) return invalid("no digits before the point");
  if (point != std::string_view::npos && fraction.empty()) {
    return invalid("no digits after the point");
  }
  if (!std::all_of(whole.begin(), whole.end(), IsDigit) ||
      !std::all_of(fraction.begin(), fraction.end(), IsDigit)) {
    return invalid("unexpected character");
  }
  for (std::size_t i = kMaxDecimals; i < fraction.size(); ++i) {
    if (fraction[i] != '0') return invalid("more than 6 decimals");
  }
  // Accumulate the magnitude as a negative number: -INT64_MIN does not fit.
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  std::int64_t value = 0;
  auto push_digit = [&](char c) {
    const int digit = c - '0';
    if (value < (kMin + digit) / 10) return false;
    value = value * 10 - digit;
    return true;
  };
  for (char c : whole) {
    if (!push_digit(c))
      return absl::OutOfRangeError(
          absl::StrCat("amount out of range: ", QuoteForError(original)));
  }
  for (int i = 0; i < kMaxDecimals; ++i) {
    const char c = i < static_cast<int>(fraction.size()) ? fraction[i] : '0';
    if (!push_digit(c))
      return absl::OutOfRangeError(
          absl::StrCat("amount out of range: ", QuoteForError(original)));
  }
  if (negative) return value;
  if (value == kMin) {
    return absl::OutOfRangeError(
        absl::StrCat("amount out of range: ", QuoteForError(original)));
  }
  return -value;
}

std::string FormatMicros(std::int64_t micros, int min_decimals) {
  min_decimals = std::clamp(min_decimals, 0, kMaxDecimals);
  // Work on the unsigned magnitude so that INT64_MIN formats correctly.
  const bool negative = micros < 0;
  const std::uint64_t magnitude = negative
                                      ? ~static_cast<std::uint64_t>(micros) + 1
                                      : static_cast<std::uint64_t>(micros);
  const std::uint64_t whole = magnitude / kMicrosPerUnit;
  std::uint64_t fraction = magnitude % kMicrosPerUnit;
  std::string digits(kMaxDecimals, '0');
  for (int i = kMaxDecimals - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  std::size_t keep = kMaxDecimals;
  while (keep > static_cast<std::size_t>(min_decimals) &&
         digits[keep - 1] == '0')
    --keep;
  std::string out = negative ? "-" : "";
  absl::StrAppend(&out, whole);
  if (keep > 0) absl::StrAppend(&out, ".", digits.substr(0, keep));
  return out;
}

std::string FormatCentsHalfEven(std::int64_t micros) {
  constexpr std::int64_t kMicrosPerCent = 10'000;
  // Round the magnitude, then restore the sign: half-even is symmetric.
  const bool negative = micros < 0;
  const std::uint64_t magnitude = negative
                                      ? ~static_cast<std::uint64_t>(micros) + 1
                                      : static_cast<std::uint64_t>(micros);
  std::uint64_t cents = magnitude / kMicrosPerCent;
  const std::uint64_t rest = magnitude % kMicrosPerCent;
  if (rest > kMicrosPerCent / 2 ||
      (rest == kMicrosPerCent / 2 && cents % 2 == 1))
    ++cents;
  std::string out = negative && cents != 0 ? "-" : "";
  absl::StrAppend(&out, cents / 100, ".", cents % 100 < 10 ? "0" : "",
                  cents % 100);
  return out;
}

absl::StatusOr<std::int64_t> MultiplyMicros(std::int64_t quantity,
                                            std::int64_t unit_micros) {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(quantity, unit_micros, &product)) {
    return absl::OutOfRangeError(absl::StrCat(
        "amount out of range: ", quantity, " x ", FormatMicros(unit_micros)));
  }
  return product;
}

bool IsIsoCurrency(std::string_view code) {
  return code.size() == 3 &&
         std::binary_search(kIsoCurrencies.begin(), kIsoCurrencies.end(), code);
}

}  // namespace ckm
