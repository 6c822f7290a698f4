// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The stored form of one AccessEntry (the access audit, storage/keys.h): a
// version byte (1), then ts_ms, call, role, purpose, outcome and the count
// of profiles, as codec/varint.h writes them. Decoding accepts only that
// form. It holds no customer id: the key names the customer's number.

#ifndef CKM_SRC_CODEC_ACCESS_ENTRY_H_
#define CKM_SRC_CODEC_ACCESS_ENTRY_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/access.h"

namespace ckm::codec {

std::string EncodeAccessEntry(const AccessEntry& entry);
// DataLoss if `bytes` are not what EncodeAccessEntry writes.
absl::StatusOr<AccessEntry> DecodeAccessEntry(std::string_view bytes);

}  // namespace ckm::codec

#endif  // CKM_SRC_CODEC_ACCESS_ENTRY_H_
