// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// OutboxChange <-> bytes: the compact encoding (codec/fields.h, kind 'C')
// of a merge, unmerge, unlink or erasure queued in a terminal's outbox and
// published beside its events (docs/sync.md). Fields in the order of
// include/ckm/outbox.h; version 1.

#ifndef CKM_SRC_CODEC_CHANGE_CODEC_H_
#define CKM_SRC_CODEC_CHANGE_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ckm/outbox.h"

namespace ckm::codec {

inline constexpr int kChangeEncodingVersion = 1;
inline constexpr std::size_t kChangeIdBytes = 16;

// OK if `change` is one a store could have queued; otherwise
// InvalidArgument naming the field ("change.other: ...").
absl::Status CheckChange(const OutboxChange& change);

// REQUIRES: CheckChange(change) is OK.
std::string EncodeChange(const OutboxChange& change);

// Whether `bytes` claim to be a change (the compact header of kind 'C'),
// as opposed to an event: which decoder to ask.
bool IsEncodedChange(std::string_view bytes);

// DataLoss if `bytes` are not what EncodeChange gives for a change that
// passes CheckChange.
absl::StatusOr<OutboxChange> DecodeChange(std::string_view bytes);

}  // namespace ckm::codec

#endif  // CKM_SRC_CODEC_CHANGE_CODEC_H_
