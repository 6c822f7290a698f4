// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Events <-> the bytes kept in history: the compact encoding (codec/fields.h,
// kind 'E'), field by field in the order of include/ckm/event.h.
// DecodeEvent also reads the FlatBuffers history of formats 1 and 2
// (codec/event_flatbuffers.h), for migration.

#ifndef CKM_SRC_CODEC_EVENT_CODEC_H_
#define CKM_SRC_CODEC_EVENT_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/event.h"

namespace ckm {

// Version 2 added line totals, line and order discounts and attribute
// removals; version 1
// events are still read.
inline constexpr int kEventEncodingVersion = 2;
inline constexpr int kOldestEventEncodingVersion = 1;

// The history value of a validated event recorded under `customer_id`.
std::string EncodeEvent(const Event& event, std::string_view customer_id);

// The event as recorded, named by customer id. DataLoss if the bytes are
// not what EncodeEvent (or format 1 or 2) gives, or hold values that
// validation would have rejected.
absl::StatusOr<Event> DecodeEvent(std::string_view bytes);

}  // namespace ckm

#endif  // CKM_SRC_CODEC_EVENT_CODEC_H_
