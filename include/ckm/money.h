// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Exact money. An amount is a signed 64-bit count of micro-units (10^-6) of an
// ISO 4217 currency: 12.34 GBP is 12'340'000, and a unit price of 0.001 stays
// exact. Text is parsed as a decimal, never through floating point, and
// arithmetic that would leave int64 is an error, never a wrap.
//
// All functions here are pure and thread-safe.

#ifndef CKM_MONEY_H_
#define CKM_MONEY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ckm {

// Micro-units per whole unit of any currency.
inline constexpr std::int64_t kMicrosPerUnit = 1'000'000;

// Parses a decimal such as "12.34", "-0.001", "+7", "1,234.5" is rejected.
// Accepts an optional sign, digits, and at most one '.' followed by digits;
// digits past the sixth decimal are allowed only when they are zeros.
// Returns InvalidArgument for anything else and OutOfRange when the value
// does not fit in int64 micros.
[[nodiscard]] absl::StatusOr<std::int64_t> ParseMicros(std::string_view text);

// Formats micros as a decimal with at least `min_decimals` (0..6) and at most
// six decimals, trailing zeros beyond `min_decimals` removed:
// FormatMicros(12'340'000) == "12.34", FormatMicros(1'000, 2) == "0.001".
std::string FormatMicros(std::int64_t micros, int min_decimals = 2);

// Rounds micros to cents, half to even (the banker's rounding that
// accounting reports use), and formats with exactly two decimals.
std::string FormatCentsHalfEven(std::int64_t micros);

// quantity * unit_micros, or OutOfRange if the product leaves int64.
[[nodiscard]] absl::StatusOr<std::int64_t> MultiplyMicros(
    std::int64_t quantity, std::int64_t unit_micros);

// True for the three-letter code of an active ISO 4217 currency ("GBP",
// "EUR", "JPY", ...), upper case only.
bool IsIsoCurrency(std::string_view code);

}  // namespace ckm

#endif  // CKM_MONEY_H_
