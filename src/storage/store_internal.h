// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Access to a Store's RocksDB internals, for tests and tools inside this
// repository only (corruption tests write bad bytes behind the API's back).

#ifndef CKM_SRC_STORAGE_STORE_INTERNAL_H_
#define CKM_SRC_STORAGE_STORE_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "ckm/store.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "storage/db.h"

namespace ckm::internal {

// Store::Open on the given RocksDB Env (nullptr: the default one). Fault
// injection tests pass an Env whose file system fails on command.
// REQUIRES: `env` outlives the store.
absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view path,
                                            const StoreOptions& options,
                                            rocksdb::Env* env);
absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view path,
                                            const StoreOptions& options,
                                            const storage::OpenParams& params);

// REQUIRES: `store` came from Store::Open. Valid while the store is open.
rocksdb::DB* Db(Store& store);
// The handle of column family `name` (keys::k*Cf), or nullptr.
rocksdb::ColumnFamilyHandle* Cf(Store& store, std::string_view name);

// The key of the customer's profile and breakdowns (keys::CustomerKey of its
// number). NotFound for a customer the store has never seen.
absl::StatusOr<std::string> CustomerKey(const Store& store,
                                        std::string_view customer_id);
// The history key of the customer's event (kind, ts_ms, event_id).
absl::StatusOr<std::string> HistoryKeyOf(const Store& store,
                                         std::string_view customer_id,
                                         std::int64_t ts_ms,
                                         std::uint64_t event_id,
                                         EventKind kind);

// Forgets the breakdowns held in memory without merging them into the store,
// as a crash would: their pending markers stay behind.
void AbandonBreakdownsBuffer(Store& store);

}  // namespace ckm::internal

#endif  // CKM_SRC_STORAGE_STORE_INTERNAL_H_
