// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What the ckm tool needs for identities: reading "TYPE=VALUE" from the
// command line, and printing a customer's identities, aliases and changes.

#ifndef CKM_TOOLS_IDENTITIES_H_
#define CKM_TOOLS_IDENTITIES_H_

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "ckm/identity.h"

namespace ckm::tools {

// An identity type by its name ("email", "phone", "loyalty_card",
// "external_id"); InvalidArgument naming `flag` otherwise.
absl::StatusOr<IdentityType> ParseIdentityType(std::string_view name,
                                               std::string_view flag);

// "email=sam@example.com": the type and the value (kept as written; the
// store normalises it). InvalidArgument naming `flag` otherwise.
absl::StatusOr<std::pair<IdentityType, std::string>> ParseIdentityRef(
    std::string_view text, std::string_view flag);

// The readable form of `ckm identities`.
void PrintIdentities(const CustomerIdentities& ids, std::ostream& out);

}  // namespace ckm::tools

#endif  // CKM_TOOLS_IDENTITIES_H_
