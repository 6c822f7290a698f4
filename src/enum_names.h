// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// An enum value from its name: the inverse of ToString() (ckm/event.h), for
// every reader of names (JSON events, the predicate language, CSV imports,
// the ckm tool's flags). Header-only.

#ifndef CKM_SRC_ENUM_NAMES_H_
#define CKM_SRC_ENUM_NAMES_H_

#include <optional>
#include <string_view>

#include "ckm/event.h"

namespace ckm {

// The value of enum E whose ToString() is `name`, among values [first, end).
template <typename E>
std::optional<E> EnumNamed(std::string_view name, int first, int end) {
  for (int i = first; i < end; ++i) {
    if (ToString(static_cast<E>(i)) == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

// The values of each enum that events use: [kFirst, kEnd).
template <typename E>
struct EnumValues;
template <>
struct EnumValues<Channel> {
  static constexpr int kFirst = 0, kEnd = kChannelCount;
};
template <>
struct EnumValues<InteractionKind> {
  static constexpr int kFirst = 1, kEnd = kInteractionKindCount;
};
template <>
struct EnumValues<LoyaltyKind> {
  static constexpr int kFirst = 1, kEnd = 7;
};
template <>
struct EnumValues<Provenance> {
  static constexpr int kFirst = 1, kEnd = 4;
};
template <>
struct EnumValues<IdentityType> {
  static constexpr int kFirst = 1, kEnd = 5;
};
template <>
struct EnumValues<EventKind> {
  static constexpr int kFirst = 0, kEnd = kEventKindCount;
};

// The value of E named `name`, among every value events use.
template <typename E>
std::optional<E> EnumNamed(std::string_view name) {
  return EnumNamed<E>(name, EnumValues<E>::kFirst, EnumValues<E>::kEnd);
}

}  // namespace ckm

#endif  // CKM_SRC_ENUM_NAMES_H_
