// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Access to a Store's RocksDB internals, for tests and tools inside this
// repository only (corruption tests write bad bytes behind the API's back).

#ifndef CKM_SRC_STORAGE_STORE_INTERNAL_H_
#define CKM_SRC_STORAGE_STORE_INTERNAL_H_

#include <string_view>

#include "ckm/store.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"

namespace ckm::internal {

// Store::Open on the given RocksDB Env (nullptr: the default one). Fault
// injection tests pass an Env whose file system fails on command.
// REQUIRES: `env` outlives the store.
absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view path,
                                            const StoreOptions& options,
                                            rocksdb::Env* env);

// REQUIRES: `store` came from Store::Open. Valid while the store is open.
rocksdb::DB* Db(Store& store);
// The handle of column family `name` (keys::k*Cf), or nullptr.
rocksdb::ColumnFamilyHandle* Cf(Store& store, std::string_view name);

}  // namespace ckm::internal

#endif  // CKM_SRC_STORAGE_STORE_INTERNAL_H_
