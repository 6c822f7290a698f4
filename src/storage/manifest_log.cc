// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/manifest_log.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "storage/crc32c.h"

namespace ckm::storage {
namespace {

constexpr std::uint64_t kBlockSize = 32 * 1024;
constexpr std::uint64_t kHeaderSize = 7;

enum RecordType : unsigned char {
  kZeroType = 0,
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};

std::uint32_t Fixed32(std::string_view b, std::uint64_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

bool AllZero(std::string_view b) {
  return b.find_first_not_of('\0') == std::string_view::npos;
}

LogRecordsCheck Damaged(LogRecordsCheck c, std::uint64_t at,
                        std::string problem) {
  c.intact = false;
  c.damaged_at = at;
  c.problem = std::move(problem);
  return c;
}

}  // namespace

LogRecordsCheck CheckLogRecords(std::string_view bytes) {
  LogRecordsCheck check;
  const std::uint64_t size = bytes.size();
  std::uint64_t at = 0;
  std::uint64_t record_start = 0;  // of the logical record being read
  bool in_record = false;          // after FIRST, before LAST
  while (at < size) {
    const std::uint64_t block_left = kBlockSize - at % kBlockSize;
    if (block_left < kHeaderSize) {  // the block's padding
      if (!AllZero(bytes.substr(at, block_left)))
        return Damaged(check, at, "holds non-zero block padding");
      at += block_left;
      continue;
    }
    // Zeros where a record should start: RocksDB's reader skips them, but
    // ckm's MANIFESTs are written whole and never preallocated past their
    // end, so zeros there are records lost.
    if (AllZero(bytes.substr(at, kHeaderSize)) && at + kHeaderSize <= size)
      return Damaged(check, at, "holds zeros where a record should start");
    if (size - at < kHeaderSize) {
      return Damaged(check, at,
                     absl::StrCat("ends in a cut record header (", size - at,
                                  " of 7 bytes)"));
    }
    const std::uint64_t length =
        static_cast<unsigned char>(bytes[at + 4]) |
        (static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[at + 5]))
         << 8);
    const auto type = static_cast<unsigned char>(bytes[at + 6]);
    if (kHeaderSize + length > block_left)
      return Damaged(check, at, "holds a record longer than its block");
    if (at + kHeaderSize + length > size) {
      return Damaged(
          check, at,
          absl::StrCat("ends in a record cut short (", size - at - kHeaderSize,
                       " of ", length, " bytes)"));
    }
    const std::uint32_t expected = Crc32cUnmask(Fixed32(bytes, at));
    if (Crc32cExtend(0, bytes.substr(at + 6, length + 1)) != expected)
      return Damaged(check, at, "holds a record whose checksum does not match");
    const bool continues = type == kMiddleType || type == kLastType;
    if (type == kZeroType || type > kLastType || continues != in_record) {
      return Damaged(check, at,
                     absl::StrCat("holds a record of unexpected type ",
                                  static_cast<int>(type)));
    }
    if (type == kFirstType) record_start = at;
    in_record = type == kFirstType || type == kMiddleType;
    if (!in_record) ++check.records;
    at += kHeaderSize + length;
  }
  if (in_record) {
    return Damaged(check, record_start,
                   "ends inside a record written in pieces (its last piece "
                   "is missing)");
  }
  return check;
}

absl::StatusOr<LogRecordsCheck> CheckLogFile(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  std::ifstream in(path, std::ios::binary);
  std::string bytes;
  if (!error && in.is_open()) {
    bytes.resize(size);
    in.read(bytes.data(), static_cast<std::streamsize>(size));
  }
  // A read that failed part-way is an I/O error, not a MANIFEST cut short.
  if (error || !in.is_open() ||
      static_cast<std::uintmax_t>(in.gcount()) != size)
    return absl::UnavailableError(absl::StrCat("reading \"", path, "\""));
  return CheckLogRecords(bytes);
}

}  // namespace ckm::storage
