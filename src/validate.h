// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Validation of events: every check that needs no I/O. Identity resolution
// (which needs the store) happens in the write path.

#ifndef CKM_SRC_VALIDATE_H_
#define CKM_SRC_VALIDATE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "ckm/event.h"

namespace ckm {

inline constexpr std::int64_t kMaxTsMs = 253'402'300'799'999;  // 9999-12-31
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::size_t kMaxIdentityBytes = 256;
inline constexpr std::size_t kMaxLines = 10'000;
inline constexpr std::int64_t kMaxQuantity = 1'000'000'000;
inline constexpr std::int64_t kMaxUnitPriceMicros = 1'000'000'000'000'000;
inline constexpr std::int64_t kMaxLineTotalMicros = 1'000'000'000'000'000'000;
inline constexpr std::int64_t kMaxPoints = 1'000'000'000'000;

// InvalidArgument naming "events[index].<field>" if `event` is malformed.
absl::Status ValidateEvent(const Event& event, std::size_t index);

// The error Record() returns for a bad field: "events[index].field: why".
absl::Status FieldError(std::size_t index, std::string_view field,
                        std::string_view why);

bool IsValidUtf8(std::string_view text);

// An attribute key: "personal.", "demographic.", "psychographic." or
// "custom." then segments of [a-z0-9_]+ joined by single dots; <= 128 bytes.
bool IsAttributeKey(std::string_view key);
// A consent purpose: 1..128 bytes of [a-z0-9_.-].
bool IsPurpose(std::string_view purpose);

}  // namespace ckm

#endif  // CKM_SRC_VALIDATE_H_
