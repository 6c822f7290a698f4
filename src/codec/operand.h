// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Merge operands: the compact, versioned varint encoding of profile and
// breakdowns deltas that the write path hands to RocksDB. Stored profiles
// (what a Get returns, what Profile reads in place) stay FlatBuffers; stored
// breakdowns are this encoding too since format 3.2 (a third of the bytes of
// their FlatBuffers form). See docs/design.md, "Merge operands".
//
// An operand is compact bytes (codec/fields.h) of kind 'P' (profile) or 'B'
// (breakdowns), so a merge can tell it from a stored FlatBuffers value.
//
// The encoding is canonical: equal states give equal bytes. Decoding
// accepts only what encoding gives (sorted, unique map keys, no trailing
// bytes) and what validation lets through (no negative counts or sums), and
// is DataLoss otherwise. For every state s,
// DecodeOperand(EncodeOperand(s)) equals decoding the FlatBuffers encoding
// of s.

#ifndef CKM_SRC_CODEC_OPERAND_H_
#define CKM_SRC_CODEC_OPERAND_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "fold/fold.h"

namespace ckm::codec {

// Version 2 added discounts to money, and keeps each provenance's attribute
// value and removal apart; version 1 operands are still read.
inline constexpr int kOperandVersion = 2;
inline constexpr int kOldestOperandVersion = 1;

// Whether `bytes` claim to be an operand (start with its magic). They may
// still fail to decode.
bool IsOperand(std::string_view bytes);

std::string EncodeOperand(const fold::ProfileState& state);
std::string EncodeOperand(const fold::Breakdowns& state);

// The operand an older build wrote for `state` (for tests of reading older
// versions). Only states that version could hold come back intact: version
// 1 has no discounts and one attribute value per attribute.
std::string EncodeOperandInVersion(const fold::ProfileState& state,
                                   int version);
std::string EncodeOperandInVersion(const fold::Breakdowns& state, int version);

// The operand joining `operands` (breakdowns operands all), merged row by
// row: a row only one of them holds is copied as it lies, only rows several
// hold are decoded and joined. The bytes equal EncodeOperand of the join of
// their decodings. nullopt if any of them does not decode, or is of an
// older version: the caller then decodes them one by one (counting the
// failures) and encodes the join in the newest version.
std::optional<std::string> MergeBreakdownsOperands(
    const std::vector<std::string_view>& operands);

// The rows of one dimension of a breakdowns operand or stored value, with
// the checks DecodeBreakdownsOperand makes; the other dimensions' rows are
// checked in place, not decoded. DataLoss as DecodeBreakdownsOperand gives.
absl::StatusOr<fold::BreakdownMap> DecodeBreakdownsDimension(
    std::string_view bytes, Dimension dimension);

// The SKUs with an order in breakdowns `bytes`, sorted, read in place: views
// into `bytes`, nothing decoded into maps. The whole value is checked as a
// merge checks it. nullopt if it is not a breakdowns value of the newest
// version that reads cleanly (the caller then decodes it).
std::optional<std::vector<std::string_view>> OrderedSkusInPlace(
    std::string_view bytes);

absl::StatusOr<fold::ProfileState> DecodeProfileOperand(std::string_view bytes);
absl::StatusOr<fold::Breakdowns> DecodeBreakdownsOperand(
    std::string_view bytes);

}  // namespace ckm::codec

#endif  // CKM_SRC_CODEC_OPERAND_H_
