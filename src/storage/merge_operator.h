// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The RocksDB merge operators of the profiles and breakdowns column families:
// thin adapters over fold::Join.
//
// RocksDB 7.8 puts the whole database into read-only mode for good when a
// merge returns false during flush or compaction, so these operators never
// return false: a base or operand that fails verification is left out and
// counted in the result (corrupt_operands), where Get() reports it, Verify()
// flags it and Rebuild() repairs it from history.
//
// Stateless and thread-safe: RocksDB calls one instance from readers, flush
// and compaction at once.

#ifndef CKM_SRC_STORAGE_MERGE_OPERATOR_H_
#define CKM_SRC_STORAGE_MERGE_OPERATOR_H_

#include <cstddef>
#include <memory>

#include "rocksdb/merge_operator.h"

namespace ckm {

// Stable names, persisted in the store and checked on open.
inline constexpr char kProfileMergeOperatorName[] = "ckm.ProfileJoin.v1";
inline constexpr char kBreakdownMergeOperatorName[] = "ckm.BreakdownJoin.v2";

std::shared_ptr<rocksdb::MergeOperator> NewProfileMergeOperator();
std::shared_ptr<rocksdb::MergeOperator> NewBreakdownMergeOperator();

// For tests: the number of operands the last full merge on this thread folded
// (base not counted). Shows that Get()'s work stays bounded.
std::size_t LastFullMergeOperandCount();

}  // namespace ckm

#endif  // CKM_SRC_STORAGE_MERGE_OPERATOR_H_
