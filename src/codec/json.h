// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A minimal streaming JSON writer: enough for profiles and reports, with
// correct string escaping. Not thread-safe; one writer per document.

#ifndef CKM_SRC_CODEC_JSON_H_
#define CKM_SRC_CODEC_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckm::json {

// ISO 8601 UTC with milliseconds: 2010-12-01T08:26:00.000Z.
std::string FormatTime(std::int64_t ts_ms);

// Milliseconds as days with six decimals, rounded half away from zero:
// FormatDays(90'000'000) == "1.041667". Exact for every int64.
std::string FormatDays(std::int64_t ms);

class Writer {
 public:
  Writer& BeginObject();
  Writer& EndObject();
  Writer& BeginArray();
  Writer& EndArray();
  Writer& Key(std::string_view key);
  Writer& String(std::string_view value);
  Writer& Int(std::int64_t value);
  Writer& Bool(bool value);
  Writer& Double(double value);
  // A number already formatted, written as it is.
  // REQUIRES: `text` is a JSON number ("12", "-0.5", "60.839699").
  Writer& Number(std::string_view text);
  Writer& Null();
  // A whole JSON value written elsewhere (Profile::ToJson()), as it is.
  // REQUIRES: `json` is one complete JSON value.
  Writer& Raw(std::string_view json) { return Number(json); }
  Writer& Time(std::int64_t ts_ms) { return String(FormatTime(ts_ms)); }
  Writer& OptionalTime(std::optional<std::int64_t> ts_ms);
  Writer& OptionalDouble(std::optional<double> value);
  // Milliseconds as fractional days with 6 decimals, or null.
  Writer& OptionalDays(std::optional<std::int64_t> ms);
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace ckm::json

#endif  // CKM_SRC_CODEC_JSON_H_
