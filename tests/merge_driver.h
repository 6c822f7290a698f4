// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Drives a RocksDB merge operator directly, as RocksDB would, for the tests
// of the fold's and the operands' merge laws.

#ifndef CKM_TESTS_MERGE_DRIVER_H_
#define CKM_TESTS_MERGE_DRIVER_H_

#include <deque>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "rocksdb/merge_operator.h"

namespace ckm_test {

// The operator's FullMergeV2 on `operands` (and an optional base).
inline std::string FullMerge(const rocksdb::MergeOperator& op,
                             const std::string* base,
                             const std::vector<std::string>& operands) {
  std::vector<rocksdb::Slice> slices(operands.begin(), operands.end());
  rocksdb::Slice base_slice = base ? rocksdb::Slice(*base) : rocksdb::Slice();
  rocksdb::MergeOperator::MergeOperationInput in(
      "c", base ? &base_slice : nullptr, slices, nullptr);
  std::string result;
  rocksdb::Slice existing_operand(static_cast<const char*>(nullptr), 0);
  rocksdb::MergeOperator::MergeOperationOutput out(result, existing_operand);
  REQUIRE(op.FullMergeV2(in, &out));  // never false
  return existing_operand.data() != nullptr ? existing_operand.ToString()
                                            : result;
}

// The operator's PartialMergeMulti on `operands`.
inline std::string PartialMerge(const rocksdb::MergeOperator& op,
                                const std::vector<std::string>& operands) {
  std::deque<rocksdb::Slice> slices(operands.begin(), operands.end());
  std::string result;
  REQUIRE(op.PartialMergeMulti("c", slices, &result, nullptr));
  return result;
}

}  // namespace ckm_test

#endif  // CKM_TESTS_MERGE_DRIVER_H_
