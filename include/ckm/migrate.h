// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// MigrateStore: rebuilds a store written by an older ckm (format 1 or 2,
// keyed by external customer id) as a store of this build's format (3, keyed
// by customer number), from the old store's history.
//
// Thread safety: MigrateStore may run while nothing else has either
// directory open for writing. It never writes to the old store.

#ifndef CKM_MIGRATE_H_
#define CKM_MIGRATE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ckm/options.h"
#include "ckm/query.h"

namespace ckm {

// What a migration did and found.
struct MigrateReport {
  std::string from_format;     // "1" or "2"
  std::int64_t events = 0;     // history events carried over, all kinds
  std::int64_t customers = 0;  // customers in the new store
  // Profiles compared byte for byte with the old store's, and how many
  // differed (then the old store's profile did not equal the fold of its
  // own history: the new one does). Up to 100 of those customers' ids.
  // Attributes are compared by the old rule, under which the latest write
  // of any provenance won: the new profile keeps the latest of each
  // provenance (Attribute in ckm/event.h), which the old one never held.
  std::int64_t profiles_compared = 0;
  std::int64_t profiles_differing = 0;
  std::vector<std::string> differing;
  StoreReport verify;  // VerifyAll() of the new store
};

// Reads every history event of the store in `from` and records it into a new
// store created in `to` (which must not exist), then verifies the new store
// and compares its profiles with the old ones. On any error the new
// directory is removed. A crash part-way leaves a store that Store::Open
// refuses as an unfinished migration; delete it and run again. `options`
// are the new store's, less access_policy and access_audit: those govern
// its readers once it is opened for use, and the migration reads every
// profile whole without auditing.
//
// Errors: NotFound (no store at `from`), AlreadyExists (`to` exists),
// FailedPrecondition (`from` is not a store of format 1 or 2), DataLoss (a
// history value of the old store fails verification: nothing is carried
// over until it is repaired or removed), and I/O errors as Store's.
[[nodiscard]] absl::StatusOr<MigrateReport> MigrateStore(
    std::string_view from, std::string_view to,
    const StoreOptions& options = {});

}  // namespace ckm

#endif  // CKM_MIGRATE_H_
