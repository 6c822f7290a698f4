// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// LEB128 varints for the compact encodings (merge operands): unsigned
// values as they are, signed ones zigzagged so that small magnitudes of
// either sign stay short, strings as a length and their bytes.
//
// VarintReader never reads past its input: a truncated or overlong value
// (more than ten bytes, bits beyond 64, or more bytes than the value needs)
// puts it in a failed state, after
// which every read gives zero and ok() is false.

#ifndef CKM_SRC_CODEC_VARINT_H_
#define CKM_SRC_CODEC_VARINT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace ckm::codec {

inline void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void PutSigned(std::string& out, std::int64_t v) {
  PutVarint(out, (static_cast<std::uint64_t>(v) << 1) ^
                     static_cast<std::uint64_t>(v >> 63));
}

inline void PutBytes(std::string& out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

class VarintReader {
 public:
  explicit VarintReader(std::string_view in) : in_(in) {}

  std::uint64_t Varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      const auto byte = static_cast<std::uint8_t>(in_[pos_++]);
      // The tenth byte may carry only the 64th bit.
      if (shift == 63 && byte > 1) return Fail();
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        // A last byte of 0 after the first is a longer way to write a
        // shorter value: one value, one encoding.
        return byte == 0 && shift > 0 ? Fail() : v;
      }
    }
    return Fail();
  }

  std::int64_t Signed() {
    const std::uint64_t z = Varint();
    return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }

  // A length-prefixed string, viewing the input.
  std::string_view Bytes() {
    const std::uint64_t n = Varint();
    if (n > in_.size() - pos_) {
      Fail();
      return {};
    }
    const std::string_view out = in_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  // A count of entries each at least one byte long: no more than remain, so
  // that a corrupt count cannot make the caller reserve or loop for long.
  std::uint64_t Count() {
    const std::uint64_t n = Varint();
    return n > in_.size() - pos_ ? Fail() : n;
  }

  std::uint8_t Byte() {
    const std::uint64_t v = Varint();
    return v > 0xff ? static_cast<std::uint8_t>(Fail()) : v;
  }

  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == in_.size(); }
  // The bytes read so far.
  std::size_t position() const { return pos_; }
  std::string_view input() const { return in_; }

 private:
  std::uint64_t Fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace ckm::codec

#endif  // CKM_SRC_CODEC_VARINT_H_
