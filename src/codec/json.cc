// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "codec/json.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace ckm::json {

std::string FormatTime(std::int64_t ts_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ts_ms),
                          absl::UTCTimeZone());
}

std::string FormatDays(std::int64_t ms) {
  constexpr std::uint64_t kDayMs = 86'400'000;
  const bool negative = ms < 0;
  // The magnitude as unsigned: -INT64_MIN does not fit in int64.
  const std::uint64_t magnitude = negative ? ~static_cast<std::uint64_t>(ms) + 1
                                           : static_cast<std::uint64_t>(ms);
  std::uint64_t days = magnitude / kDayMs;
  std::uint64_t micro_days =
      (magnitude % kDayMs * 1'000'000 + kDayMs / 2) / kDayMs;
  if (micro_days == 1'000'000) {
    ++days;
    micro_days = 0;
  }
  return absl::StrFormat("%s%d.%06d", negative ? "-" : "", days, micro_days);
}

void Writer::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
}

Writer& Writer::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  first_.push_back(true);
  return *this;
}
Writer& Writer::EndObject() {
  out_.push_back('}');
  first_.pop_back();
  return *this;
}
Writer& Writer::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  first_.push_back(true);
  return *this;
}
Writer& Writer::EndArray() {
  out_.push_back(']');
  first_.pop_back();
  return *this;
}
Writer& Writer::Key(std::string_view key) {
  String(key);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}
Writer& Writer::String(std::string_view value) {
  BeforeValue();
  out_.push_back('"');
  for (char c : value) {
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out_, "\\u%04x", static_cast<int>(c));
        } else {
          out_.push_back(c);
        }
    }
  }
  out_.push_back('"');
  return *this;
}
Writer& Writer::Int(std::int64_t value) {
  BeforeValue();
  absl::StrAppend(&out_, value);
  return *this;
}
Writer& Writer::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
  return *this;
}
Writer& Writer::Double(double value) {
  if (!std::isfinite(value)) return Null();
  BeforeValue();
  absl::StrAppendFormat(&out_, "%.6g", value);
  return *this;
}
Writer& Writer::Number(std::string_view text) {
  BeforeValue();
  out_.append(text);
  return *this;
}
Writer& Writer::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}
Writer& Writer::OptionalTime(std::optional<std::int64_t> ts_ms) {
  return ts_ms ? Time(*ts_ms) : Null();
}
Writer& Writer::OptionalDouble(std::optional<double> value) {
  return value ? Double(*value) : Null();
}
Writer& Writer::OptionalDays(std::optional<std::int64_t> ms) {
  return ms ? Number(FormatDays(*ms)) : Null();
}

}  // namespace ckm::json
