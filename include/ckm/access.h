// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Who may read what, and why: the access context of a read (ReadOptions) and
// the store-wide policy it is checked against (AccessPolicy, set in
// StoreOptions::access_policy). docs/privacy.md explains the rules.
//
// Without a policy every read sees everything, whatever its ReadOptions, as
// before access control existed. With one, every read is checked, a read
// without ReadOptions as role "" with no purpose:
//   - a role the policy does not name may read nothing: PermissionDenied;
//   - the parts the role may not see are redacted;
//   - a purpose the policy lists in consent_purposes needs the customer's
//     consent of that name, granted and not withdrawn; without it the
//     personal parts (every part but purchase lines) are redacted;
//   - a call that asks for a withheld part by name (History of identity
//     events, Resolve, Export of a customer with anything withheld, a
//     Breakdown by product or category without purchase lines) gets
//     PermissionDenied instead.
// Redaction is never silent: Profile::redacted() lists what a profile lacks,
// and redacted values in events read kRedacted.
//
// Plain values: copy them freely.

#ifndef CKM_ACCESS_H_
#define CKM_ACCESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ckm {

// The parts of a customer's data a policy grants or withholds.
enum class DataPart : std::uint8_t {
  kIdentities = 1,       // linked identities, identity events, Resolve()
  kPersonal = 2,         // attributes "personal.*"
  kDemographic = 3,      // attributes "demographic.*"
  kPsychographic = 4,    // attributes "psychographic.*"
  kCustom = 5,           // attributes "custom.*"
  kInteractionText = 6,  // Interaction::text
  kPurchaseLines = 7,    // what was bought: each line's SKU and category,
                         // and the per-product and per-category breakdowns
};
inline constexpr int kDataPartEnd = 8;  // one past the last DataPart

// "identities", "personal", "demographic", "psychographic", "custom",
// "interaction_text", "purchase_lines": the names used in policy files and
// in JSON.
std::string_view ToString(DataPart part);
// The part of one of those names; nullopt for any other.
std::optional<DataPart> ParseDataPart(std::string_view name);

// What a redacted string value in an event reads.
inline constexpr char kRedacted[] = "[redacted]";

// The context of one read.
struct ReadOptions {
  // Why the data is read, such as "marketing.email"; matched against the
  // customer's consents. Default: empty (no purpose given).
  std::string purpose;
  // Who reads, such as "call_centre"; a role of the policy.
  // Default: empty.
  std::string role;
};

// One audited read (StoreOptions::access_audit): who read, why, with which
// call, when, and what came of it. Holds no customer id: an entry is kept
// under the customer's number, and Erase removes it with the customer.
struct AccessEntry {
  std::int64_t ts_ms = 0;  // the system clock when the read ended
  // "Get", "History", "ListHistory", "Timeline", "Export", "Breakdown",
  // "Resolve" or "ForEachProfile".
  std::string call;
  std::string role;     // ReadOptions::role
  std::string purpose;  // ReadOptions::purpose
  // "OK", or the name of the read's status code ("PERMISSION_DENIED",
  // "DATA_LOSS", ...).
  std::string outcome;
  // ForEachProfile only: the profiles it handed to its visitor.
  std::int64_t profiles = 0;
};

struct AccessPolicy {
  // role -> the parts it may see. Roles not named here may read nothing.
  std::map<std::string, std::set<DataPart>> roles;
  // Purposes whose reads need the customer's consent of the same name
  // (Consent::purpose). Reads for other purposes are not checked for consent.
  std::set<std::string> consent_purposes;
};

}  // namespace ckm

#endif  // CKM_ACCESS_H_
