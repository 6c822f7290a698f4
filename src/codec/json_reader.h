// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A strict JSON reader (RFC 8259) into a small document tree: enough for the
// JSON form of events (include/ckm/event_json.h), with errors that say where.
//
// Numbers keep their text, so that an integer is read exactly (never through
// double). Objects keep their members in document order; a key given twice
// is an error, since which one was meant cannot be known.
//
// Thread safety: Parse() is pure; a Value is an immutable tree once built.

#ifndef CKM_SRC_CODEC_JSON_READER_H_
#define CKM_SRC_CODEC_JSON_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ckm::json {

class Value {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }

  // REQUIRES: the type they read.
  bool boolean() const { return bool_; }
  const std::string& number_text() const { return text_; }
  const std::string& string() const { return text_; }
  const std::vector<Value>& array() const { return items_; }
  const std::vector<std::pair<std::string, Value>>& object() const {
    return members_;
  }

  // The member named `key` of an object, or nullptr.
  const Value* Find(std::string_view key) const;

  // "null", "a boolean", "a number", "a string", "an array", "an object".
  static const char* TypeName(Type type);

 private:
  friend class Parser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;  // a string's value, or a number's text
  std::vector<Value> items_;
  std::vector<std::pair<std::string, Value>> members_;
};

// Parses one JSON text (surrounding whitespace allowed). InvalidArgument
// "at byte N: <why>" for malformed text, a duplicate key, invalid UTF-8 in a
// string, or nesting deeper than 64.
absl::StatusOr<Value> Parse(std::string_view text);

// The integer `number_text` as int64, or nullopt if it has a fraction, an
// exponent, or does not fit.
std::optional<std::int64_t> ToInt64(std::string_view number_text);

}  // namespace ckm::json

#endif  // CKM_SRC_CODEC_JSON_READER_H_
