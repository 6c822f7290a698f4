// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// SegmentValue: exact comparison and formatting of figure values. Numbers
// are ratios of int64s, compared by cross-multiplying in 128 bits, so money
// in micros, days in milliseconds and NPS as a ratio compare exactly with
// the decimals a predicate writes.

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "ckm/segment.h"

namespace ckm {
namespace {

using Int128 = __int128;
using Uint128 = unsigned __int128;

std::string Digits(Uint128 n) {
  std::string out;
  do {
    out.push_back(static_cast<char>('0' + static_cast<int>(n % 10)));
    n /= 10;
  } while (n != 0);
  std::reverse(out.begin(), out.end());
  return out;
}

int TypeRank(SegmentValue::Type type) {
  switch (type) {
    case SegmentValue::Type::kNumber:
      return 0;
    case SegmentValue::Type::kText:
      return 1;
    case SegmentValue::Type::kBool:
      return 2;
    case SegmentValue::Type::kNone:
      break;
  }
  return 3;
}

template <typename T>
int Sign(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

std::string SegmentValue::ToString() const {
  switch (type) {
    case Type::kNone:
      return "";
    case Type::kText:
      return text;
    case Type::kBool:
      return boolean ? "true" : "false";
    case Type::kNumber:
      break;
  }
  // |numerator| / denominator rounded half away from zero to micro-units.
  const bool negative = numerator < 0;
  const Uint128 magnitude =
      negative ? static_cast<Uint128>(-static_cast<Int128>(numerator))
               : static_cast<Uint128>(numerator);
  const Uint128 den =
      static_cast<Uint128>(std::max<std::int64_t>(1, denominator));
  Uint128 whole = magnitude / den;
  Uint128 micros = (magnitude % den * 2'000'000 + den) / (2 * den);
  if (micros == 1'000'000) {
    ++whole;
    micros = 0;
  }
  std::string fraction = Digits(micros + 1'000'000).substr(1);  // 6 digits
  std::size_t keep = fraction.size();
  const std::size_t min = unit == Unit::kMoney  ? 2
                          : unit == Unit::kDays ? 6
                                                : 0;
  while (keep > min && fraction[keep - 1] == '0') --keep;
  fraction.resize(keep);
  const bool zero =
      whole == 0 && fraction.find_first_not_of('0') == std::string::npos;
  return absl::StrCat(negative && !zero ? "-" : "", Digits(whole),
                      fraction.empty() ? "" : ".", fraction);
}

double SegmentValue::ToDouble() const {
  if (type != Type::kNumber || denominator == 0) return 0;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

int CompareValues(const SegmentValue& a, const SegmentValue& b) {
  if (a.type != b.type) return Sign(TypeRank(a.type), TypeRank(b.type));
  switch (a.type) {
    case SegmentValue::Type::kNone:
      return 0;
    case SegmentValue::Type::kNumber:
      // Denominators are positive: compare a.n * b.d with b.n * a.d.
      return Sign(static_cast<Int128>(a.numerator) * b.denominator,
                  static_cast<Int128>(b.numerator) * a.denominator);
    case SegmentValue::Type::kText:
      return Sign(a.text, b.text);
    case SegmentValue::Type::kBool:
      return Sign(a.boolean, b.boolean);
  }
  return 0;
}

}  // namespace ckm
