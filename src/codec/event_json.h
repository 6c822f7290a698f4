// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The JSON form of events inside larger documents (Store::Export). The
// public functions are in include/ckm/event_json.h.

#ifndef CKM_SRC_CODEC_EVENT_JSON_H_
#define CKM_SRC_CODEC_EVENT_JSON_H_

#include "ckm/event.h"
#include "codec/json.h"

namespace ckm::codec {

// The "format" member of an export document (docs/privacy.md).
inline constexpr char kExportFormat[] = "ckm.export";
inline constexpr int kExportVersion = 2;

// Writes EventToJson(event) as the next value of `w`.
void WriteEventJson(const Event& event, json::Writer& w);

}  // namespace ckm::codec

#endif  // CKM_SRC_CODEC_EVENT_JSON_H_
