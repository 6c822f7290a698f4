// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Debian's Abseil is built with its own absl::string_view (not an alias of
// std::string_view), so absl::StrCat does not accept std::string_view. Av()
// bridges the two without copying.

#ifndef CKM_SRC_STRING_UTIL_H_
#define CKM_SRC_STRING_UTIL_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace ckm {

inline absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace ckm

#endif  // CKM_SRC_STRING_UTIL_H_
