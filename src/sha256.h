// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// SHA-256 (FIPS 180-4), for the erasure tombstones: a stable hash that names
// an erased customer without holding its id. Pure; thread-safe.

#ifndef CKM_SRC_SHA256_H_
#define CKM_SRC_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ckm {

std::array<std::uint8_t, 32> Sha256(std::string_view data);

// The digest as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace ckm

#endif  // CKM_SRC_SHA256_H_
