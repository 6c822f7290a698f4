// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// An AttributeValue as the schemas store it (events.fbs Attribute and
// profile.fbs AttributeEntry): which alternative, then its text or number.
// One place converts both ways so that history, profile and the public
// Profile accessors always agree.

#ifndef CKM_SRC_FOLD_ATTRIBUTE_VALUE_H_
#define CKM_SRC_FOLD_ATTRIBUTE_VALUE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "ckm/event.h"

namespace ckm {

struct StoredAttributeValue {
  std::uint8_t type = 0;    // AttributeValue::index(): 0 string, 1 int, 2 bool
  std::string text;         // type 0
  std::int64_t number = 0;  // type 1; 0 or 1 for type 2
};

inline StoredAttributeValue ToStored(const AttributeValue& value) {
  StoredAttributeValue out;
  out.type = static_cast<std::uint8_t>(value.index());
  if (const auto* s = std::get_if<std::string>(&value)) out.text = *s;
  if (const auto* i = std::get_if<std::int64_t>(&value)) out.number = *i;
  if (const auto* b = std::get_if<bool>(&value)) out.number = *b;
  return out;
}

// nullopt for a type no version of ckm writes (corrupt bytes).
inline std::optional<AttributeValue> FromStored(std::uint8_t type,
                                                std::string_view text,
                                                std::int64_t number) {
  switch (type) {
    case 0:
      return AttributeValue(std::string(text));
    case 1:
      return AttributeValue(number);
    case 2:
      return AttributeValue(number != 0);
    default:
      return std::nullopt;
  }
}

}  // namespace ckm

#endif  // CKM_SRC_FOLD_ATTRIBUTE_VALUE_H_
