// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The access policy file of the ckm tool (--policy FILE), docs/privacy.md:
//
//   # comment
//   role call_centre identities personal interaction_text purchase_lines
//   role analyst demographic psychographic purchase_lines
//   role auditor all
//   consent marketing.email marketing.sms
//
// `role NAME PART...` grants the parts (ckm/access.h names; `all` for every
// part; none: the role may read only what no part covers), `consent
// PURPOSE...` lists purposes whose reads need the customer's consent.

#ifndef CKM_TOOLS_POLICY_H_
#define CKM_TOOLS_POLICY_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/access.h"

namespace ckm::tools {

// InvalidArgument "NAME:LINE: why" for a malformed line.
[[nodiscard]] absl::StatusOr<AccessPolicy> ParsePolicy(std::string_view text,
                                                       std::string_view name);

// `--policy FILE`: the policy `file` holds, or none when `file` is empty.
// NotFound when it cannot be read; ParsePolicy's errors.
[[nodiscard]] absl::StatusOr<std::optional<AccessPolicy>> LoadPolicy(
    const std::string& file);

}  // namespace ckm::tools

#endif  // CKM_TOOLS_POLICY_H_
