// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// CRC-32C (Castagnoli), as RocksDB's log records carry it, and RocksDB's
// masking of a stored CRC. Used to check a MANIFEST's records without
// RocksDB (storage/manifest_log.h), whose own CRC code is not public.
//
// Thread safety: pure functions.

#ifndef CKM_SRC_STORAGE_CRC32C_H_
#define CKM_SRC_STORAGE_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace ckm::storage {

// The CRC-32C of `data`, continuing from `crc` (0 to start).
std::uint32_t Crc32cExtend(std::uint32_t crc, std::string_view data);

// RocksDB stores masked CRCs (a CRC of data that holds CRCs is weak):
// rotated right by 15 bits plus a constant (util/crc32c.h).
inline std::uint32_t Crc32cUnmask(std::uint32_t masked) {
  const std::uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace ckm::storage

#endif  // CKM_SRC_STORAGE_CRC32C_H_
