// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The access policy applied to reads (include/ckm/access.h): which parts of
// a customer's data a read withholds, and their redaction from profiles and
// events. Pure functions; the store calls them on what it has read.

#ifndef CKM_SRC_ENGINE_READ_POLICY_H_
#define CKM_SRC_ENGINE_READ_POLICY_H_

#include <optional>
#include <set>
#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/access.h"
#include "ckm/event.h"
#include "ckm/profile.h"

namespace ckm::engine {

using Parts = std::set<DataPart>;

// What `read` may not see of any customer by its role alone: nothing without
// a policy; PermissionDenied for a role the policy does not name.
absl::StatusOr<Parts> WithheldByRole(const std::optional<AccessPolicy>& policy,
                                     const ReadOptions& read);

// True if the read's purpose needs a consent the profile does not grant.
bool LacksConsent(const std::optional<AccessPolicy>& policy,
                  const ReadOptions& read, const Profile& profile);

// Every part but purchase lines: what a read without consent loses.
Parts PersonalParts();

// The part an attribute key belongs to ("personal.x" -> kPersonal).
std::optional<DataPart> PartOfAttribute(std::string_view key);

// The profile without `withheld`, which it lists in redacted() whether or
// not the profile held any of them: a reader always sees what was applied.
// Nothing withheld: the profile as it is.
absl::StatusOr<Profile> Redact(const Profile& profile, const Parts& withheld);

// Replaces withheld values in `event` with kRedacted.
void Redact(Event& event, const Parts& withheld);

// PermissionDenied naming the part and the role.
absl::Status Denied(DataPart part, const ReadOptions& read);

}  // namespace ckm::engine

#endif  // CKM_SRC_ENGINE_READ_POLICY_H_
