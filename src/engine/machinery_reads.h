// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Reads for ckm's own machinery, not for a caller: a partition node
// forwarding a group's history to another partition (sync/group_travel.cc)
// must send every event whole, whatever the store's access policy
// (StoreOptions::access_policy, which governs what people read), and such
// a read is no one's to audit. Not part of the public API.

#ifndef CKM_SRC_ENGINE_MACHINERY_READS_H_
#define CKM_SRC_ENGINE_MACHINERY_READS_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/store.h"

namespace ckm::engine {

// Store::ListHistory without the access policy and the access audit, for a
// store ckm opened (Store::Open). Any other Store implementation (a test's
// double) is read through ListHistory as ReadOptions{}.
absl::StatusOr<HistoryPage> ListHistoryForMachinery(
    const Store& store, std::string_view customer_id,
    const HistoryQuery& query);

}  // namespace ckm::engine

#endif  // CKM_SRC_ENGINE_MACHINERY_READS_H_
