// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/merge_operator.h"

#include <string>
#include <string_view>
#include <vector>

#include "fold/fold.h"

namespace ckm {
namespace {

thread_local std::size_t last_full_merge_operands = 0;

// One operator class serves both column families; State picks the value type
// (see fold::JoinEncoded).
template <typename State>
class JoinOperator final : public rocksdb::MergeOperator {
 public:
  explicit JoinOperator(const char* name) : name_(name) {
    State quarantined;
    quarantined.corrupt_operands = 1;
    quarantined_ = fold::Encode(quarantined);
  }

  bool FullMergeV2(const MergeOperationInput& in,
                   MergeOperationOutput* out) const override {
    last_full_merge_operands = in.operand_list.size();
    // Nothing may throw out of a RocksDB callback. The fold does not throw but
    // for std::bad_alloc; treat that like a corrupt operand rather than
    // unwinding through RocksDB.
    try {
      std::vector<std::string_view> values;
      values.reserve(in.operand_list.size() + 1);
      if (in.existing_value != nullptr)
        values.push_back(View(*in.existing_value));
      for (const rocksdb::Slice& operand : in.operand_list)
        values.push_back(View(operand));
      out->new_value = fold::JoinEncoded(values, static_cast<State*>(nullptr),
                                         fold::Encoding::kStored);
    } catch (...) {
      // Out of memory: keep a value that says something was lost (Verify
      // flags it, Rebuild restores it) without allocating more than a copy.
      try {
        out->new_value = quarantined_;
      } catch (...) {
        out->new_value.clear();
      }
    }
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/,
                         const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value,
                         rocksdb::Logger* /*logger*/) const override {
    try {
      std::vector<std::string_view> values;
      values.reserve(operands.size());
      for (const rocksdb::Slice& operand : operands)
        values.push_back(View(operand));
      // Operands joined stay an operand: compact, and never read in place.
      *new_value = fold::JoinEncoded(values, static_cast<State*>(nullptr),
                                     fold::Encoding::kOperand);
      return true;
    } catch (...) {
      return false;  // keeps the operands as they are: always safe here
    }
  }

  const char* Name() const override { return name_; }

 private:
  static std::string_view View(const rocksdb::Slice& s) {
    return std::string_view(s.data(), s.size());
  }

  const char* name_;
  std::string quarantined_;  // an empty value with one corrupt operand
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewProfileMergeOperator() {
  return std::make_shared<JoinOperator<fold::ProfileState>>(
      kProfileMergeOperatorName);
}

std::shared_ptr<rocksdb::MergeOperator> NewBreakdownMergeOperator() {
  return std::make_shared<JoinOperator<fold::Breakdowns>>(
      kBreakdownMergeOperatorName);
}

std::size_t LastFullMergeOperandCount() { return last_full_merge_operands; }

}  // namespace ckm
