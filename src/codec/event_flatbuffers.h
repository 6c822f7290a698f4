// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// History values as formats 1 and 2 wrote them (FlatBuffers,
// schemas/events.fbs). Format 3 writes the compact encoding
// (codec/event_codec.h), whose DecodeEvent reads both.

#ifndef CKM_SRC_CODEC_EVENT_FLATBUFFERS_H_
#define CKM_SRC_CODEC_EVENT_FLATBUFFERS_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/event.h"

namespace ckm {

// The event, not yet validated; DataLoss if the bytes fail verification.
absl::StatusOr<Event> DecodeFlatBuffersEvent(std::string_view bytes);

}  // namespace ckm

#endif  // CKM_SRC_CODEC_EVENT_FLATBUFFERS_H_
