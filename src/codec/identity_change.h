// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The stored form of one IdentityChange (a value in the customers column
// family, storage/keys.h): a version byte (1), then the kind, ts_ms, actor,
// reason, the other customer's id, the identity type (0: none) and value,
// as codec/varint.h writes them. Decoding accepts only that form.

#ifndef CKM_SRC_CODEC_IDENTITY_CHANGE_H_
#define CKM_SRC_CODEC_IDENTITY_CHANGE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/identity.h"

namespace ckm::codec {

std::string EncodeIdentityChange(const IdentityChange& change);
// DataLoss if `bytes` are not what EncodeIdentityChange writes.
absl::StatusOr<IdentityChange> DecodeIdentityChange(std::string_view bytes);

}  // namespace ckm::codec

#endif  // CKM_SRC_CODEC_IDENTITY_CHANGE_H_
