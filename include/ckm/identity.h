// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Identity resolution: how identity values are normalised, and the values
// that describe merges, unmerges and unlinks (Store::Merge, Store::Unmerge,
// Store::Unlink, Store::Identities). docs/identity.md explains the model.
//
// Plain values and pure functions: safe to use from any thread.

#ifndef CKM_IDENTITY_H_
#define CKM_IDENTITY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ckm/event.h"

namespace ckm {

// The form an identity value is stored and resolved in. The event keeps the
// text it was given; only the identity's key uses this form.
//   kEmail: ASCII whitespace trimmed from both ends, ASCII letters lowered
//           (the local part too: no mail system in use treats Sam@ and sam@
//           as two people). Other bytes are kept as they are.
//   kPhone: E.164 style: '+', the country code and the number's digits.
//           Spaces, '-', '.', '/', '(' and ')' are dropped. A number starting
//           with '+' or "00" carries its country code; any other number is
//           national: with a `default_country_code` its one leading trunk
//           '0' is dropped (not for Italy, 39, whose numbers keep it) and the
//           code put in front; without one it is kept as digits alone, with
//           no '+'. Between 2 and 15 digits.
//   kLoyaltyCard, kExternalId: kept exactly as given.
// InvalidArgument (naming no field; callers add it) when nothing is left
// of an email, or a phone number holds any other character or a wrong
// number of digits.
absl::StatusOr<std::string> NormalizeIdentity(
    IdentityType type, std::string_view value,
    std::string_view default_country_code = {});

// Who changed a customer's identities, and why: recorded with the change.
struct IdentityChangeOptions {
  // Who asked for it: a user name, a job, a service. 0..128 bytes of UTF-8.
  // Default: empty.
  std::string actor;
  // Why: free text for whoever reads the record later. 0..1024 bytes of
  // UTF-8. Default: empty.
  std::string reason;
  // When, in UTC milliseconds since 1970: only the record's time, never
  // used to order events. Default: unset (the store's clock).
  std::optional<std::int64_t> ts_ms;
  // Queue the change in the store's outbox, if it has one
  // (StoreOptions::outbox), so that head office makes it too
  // (docs/sync.md). False for a change that came from elsewhere and must
  // not travel back (Store::ApplyChange never queues). Default: true.
  bool outbox = true;
};

// One recorded change of a customer's identities.
struct IdentityChange {
  // Values are stored on disk: append only.
  enum class Kind : std::uint8_t {
    kMerged = 1,      // `other` was merged into this customer
    kMergedInto = 2,  // this customer was merged into `other`
    kUnmerged = 3,    // `other`, merged into this customer, was split off
    kSplitFrom = 4,   // this customer was split off from `other`
    kUnlinked = 5,    // the identity stopped naming this customer
  };
  Kind kind = Kind::kMerged;
  std::int64_t ts_ms = 0;
  std::string actor;
  std::string reason;
  std::string other;  // the other customer's id (merges and unmerges)
  std::optional<IdentityType> identity_type;  // kUnlinked only
  std::string identity_value;                 // kUnlinked only, normalised
};

// A customer's identities as they stand (Store::Identities).
struct CustomerIdentities {
  // The customer asked about.
  std::string customer;
  // The customer whose profile holds it: itself, or the survivor it was
  // merged into (following chains to the end).
  std::string survivor;
  // Identities that resolve to `survivor` now, sorted, in normalised form.
  std::vector<std::pair<IdentityType, std::string>> identities;
  // Every other customer id merged into `survivor`, directly or through a
  // chain, sorted. Events naming any of them land on `survivor`.
  std::vector<std::string> aliases;
  // The recorded changes of `customer`, oldest first.
  std::vector<IdentityChange> changes;
};

std::string_view ToString(IdentityChange::Kind kind);

}  // namespace ckm

#endif  // CKM_IDENTITY_H_
