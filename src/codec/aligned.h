// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// FlatBuffers 2.0 reads scalars through typed pointers, so a buffer must start
// at an 8-byte boundary; RocksDB hands out values (merge operands, pinned
// slices) at any address. AlignedBytes views the bytes in place when they are
// aligned and copies them otherwise.

#ifndef CKM_SRC_CODEC_ALIGNED_H_
#define CKM_SRC_CODEC_ALIGNED_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace ckm {

class AlignedBytes {
 public:
  explicit AlignedBytes(std::string_view bytes) {
    if (reinterpret_cast<std::uintptr_t>(bytes.data()) % 8 == 0) {
      view_ = bytes;
    } else {
      copy_.assign(bytes.data(), bytes.size());  // heap or SSO: 8-aligned
      view_ = copy_;
    }
  }
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;

  const std::uint8_t* data() const {
    return reinterpret_cast<const std::uint8_t*>(view_.data());
  }
  std::size_t size() const { return view_.size(); }

 private:
  std::string copy_;
  std::string_view view_;
};

}  // namespace ckm

#endif  // CKM_SRC_CODEC_ALIGNED_H_
