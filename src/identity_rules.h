// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The identity rules every layer shares: normalisation (the public
// NormalizeIdentity in ckm/identity.h) and the blocked values of
// IdentityOptions.

#ifndef CKM_SRC_IDENTITY_RULES_H_
#define CKM_SRC_IDENTITY_RULES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "ckm/event.h"
#include "ckm/options.h"

namespace ckm {

// The version of NormalizeIdentity's rules that a store's identity keys
// follow, kept in its metadata (storage/db.h). Bump it when the rules change:
// stores of an older version get their keys normalised again on open.
inline constexpr char kIdentityRulesVersion[] = "1";

// InvalidArgument unless `code` is 1 to 3 ASCII digits (or empty).
absl::Status CheckCountryCode(std::string_view code);

// Checks IdentityOptions once, when the store opens.
absl::Status CheckIdentityOptions(const IdentityOptions& options);

// Whether `normalized` is one of options.blocked_values or matches one of
// options.blocked_patterns (ASCII case ignored). Sets `rule` to the value or
// pattern that matched.
bool IsBlockedIdentity(const IdentityOptions& options,
                       std::string_view normalized, std::string* rule);

// '*' any run of bytes, '?' one byte; ASCII case ignored.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace ckm

#endif  // CKM_SRC_IDENTITY_RULES_H_
