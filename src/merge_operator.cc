// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "merge_operator.h"

#include <string>

#include "fold.h"

namespace ckm {
namespace {

thread_local std::size_t last_full_merge_operands = 0;

// Folds `bytes` into `state`, or counts it as corrupt. Never fails.
template <typename State, typename Decode>
void FoldIn(State& state, const rocksdb::Slice& bytes, Decode decode) {
  auto decoded = decode(std::string_view(bytes.data(), bytes.size()));
  if (decoded.ok()) {
    fold::Join(state, *decoded);
  } else {
    state.corrupt_operands = fold::SaturatingAdd(state.corrupt_operands, 1);
  }
}

// One operator class serves both column families: State and Decode pick the
// value type.
template <typename State, auto kDecode>
class JoinOperator final : public rocksdb::MergeOperator {
 public:
  explicit JoinOperator(const char* name) : name_(name) {}

  bool FullMergeV2(const MergeOperationInput& in,
                   MergeOperationOutput* out) const override {
    last_full_merge_operands = in.operand_list.size();
    // Nothing may throw out of a RocksDB callback. The fold does not throw but
    // for std::bad_alloc; treat that like a corrupt operand rather than
    // unwinding through RocksDB.
    try {
      State state;
      if (in.existing_value != nullptr)
        FoldIn(state, *in.existing_value, kDecode);
      for (const rocksdb::Slice& operand : in.operand_list)
        FoldIn(state, operand, kDecode);
      out->new_value = fold::Encode(state);
    } catch (...) {
      State state;
      state.corrupt_operands = 1;
      out->new_value = fold::Encode(state);
    }
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/,
                         const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value,
                         rocksdb::Logger* /*logger*/) const override {
    try {
      State state;
      for (const rocksdb::Slice& operand : operands)
        FoldIn(state, operand, kDecode);
      *new_value = fold::Encode(state);
      return true;
    } catch (...) {
      return false;  // keeps the operands as they are: always safe here
    }
  }

  const char* Name() const override { return name_; }

 private:
  const char* name_;
};

absl::StatusOr<fold::ProfileState> DecodeProfile(std::string_view b) {
  return fold::DecodeProfile(b);
}
absl::StatusOr<fold::Breakdowns> DecodeBreakdowns(std::string_view b) {
  return fold::DecodeBreakdowns(b);
}

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewProfileMergeOperator() {
  return std::make_shared<JoinOperator<fold::ProfileState, DecodeProfile>>(
      kProfileMergeOperatorName);
}

std::shared_ptr<rocksdb::MergeOperator> NewBreakdownMergeOperator() {
  return std::make_shared<JoinOperator<fold::Breakdowns, DecodeBreakdowns>>(
      kBreakdownMergeOperatorName);
}

std::size_t LastFullMergeOperandCount() { return last_full_merge_operands; }

}  // namespace ckm
