// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The compact encodings (merge operands, history events): a header, then
// fields described once per type by a function template
// Fields(io, value) that serves both directions. FieldWriter appends the
// fields, FieldReader fills them in, so encoding and decoding cannot drift
// apart.
//
// The header is the magic FF FF FF 7F, a version byte and a kind byte. The
// magic, read as a FlatBuffers root offset, is 2^31 - 1: past the end of any
// buffer FlatBuffers can build, so compact bytes are never taken for the
// FlatBuffers encodings they replace, nor those for compact bytes.
//
// Versions: each kind has its own. A writer writes the newest; a reader
// reads every version from the oldest still stored, and Fields() asks
// io.version() for the fields a version added (`if (io.version() >= 2)`).

#ifndef CKM_SRC_CODEC_FIELDS_H_
#define CKM_SRC_CODEC_FIELDS_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "codec/varint.h"
#include "string_util.h"

namespace ckm::codec {

inline constexpr std::string_view kCompactMagic("\xff\xff\xff\x7f", 4);
inline constexpr std::size_t kCompactHeaderBytes = kCompactMagic.size() + 2;

inline bool HasCompactMagic(std::string_view bytes) {
  return bytes.substr(0, kCompactMagic.size()) == kCompactMagic;
}

// The header of a value of `kind`, to append fields to.
inline std::string CompactHeader(char version, char kind) {
  std::string out(kCompactMagic);
  out.push_back(version);
  out.push_back(kind);
  return out;
}

// Versions are 1 .. kMaxCompactVersion.
inline constexpr int kMaxCompactVersion = 8;

// The fields of compact bytes and the version they were written in.
struct CompactBody {
  std::string_view fields;
  int version = 0;
};

// The fields of compact bytes of `kind`, of a version in oldest..newest;
// DataLoss, saying it of `what` ("merge operand", "event"), for any other
// bytes.
inline absl::StatusOr<CompactBody> CompactFields(std::string_view bytes,
                                                 int oldest, int newest,
                                                 char kind,
                                                 std::string_view what) {
  const auto corrupt = [&](std::string_view why) {
    return absl::DataLossError(
        absl::StrCat("corrupt ", Av(what), ": ", Av(why)));
  };
  if (!HasCompactMagic(bytes) || bytes.size() < kCompactHeaderBytes)
    return corrupt("not of the compact encoding");
  const int got = static_cast<unsigned char>(bytes[kCompactMagic.size()]);
  if (got < oldest || got > newest)
    return corrupt(absl::StrCat("unknown version ", got));
  if (bytes[kCompactMagic.size() + 1] != kind)
    return corrupt("of another kind");
  return CompactBody{bytes.substr(kCompactHeaderBytes), got};
}

class FieldWriter {
 public:
  static constexpr bool kReading = false;
  FieldWriter(std::string& out, int version) : out_(out), version_(version) {}

  int version() const { return version_; }

  void I64(const std::int64_t& v) { PutSigned(out_, v); }
  void U64(const std::uint64_t& v) { PutVarint(out_, v); }
  void U8(const std::uint8_t& v) { PutVarint(out_, v); }
  void Bool(const bool& v) { PutVarint(out_, v ? 1 : 0); }
  void Str(std::string_view v) { PutBytes(out_, v); }

  // A map's entries in key order: fields(key, value) for each.
  template <typename Map, typename Fields>
  void Entries(const Map& map, Fields&& fields) {
    PutVarint(out_, map.size());
    for (const auto& [key, value] : map) {
      fields(const_cast<typename Map::key_type&>(key),
             const_cast<typename Map::mapped_type&>(value));
    }
  }

  // A vector's items in order: fields(item) for each.
  template <typename T, typename Fields>
  void Items(const std::vector<T>& items, Fields&& fields) {
    PutVarint(out_, items.size());
    for (const T& item : items) fields(const_cast<T&>(item));
  }

  // A part of the state, left out (one zero byte) when it is as a default
  // state has it: most operands hold one kind of event.
  template <typename T, typename Fields>
  void Section(const T& part, Fields&& fields) {
    const std::size_t start = out_.size();
    out_.push_back(1);
    fields(*this, const_cast<T&>(part));
    if (std::string_view(out_).substr(start + 1) ==
        DefaultOf<T>(fields, version_)) {
      out_.resize(start);
      out_.push_back(0);
    }
  }

  // The fields of a default-constructed T in `version`, encoded once per
  // version. Never destroyed: RocksDB's background threads may still merge
  // while a process exits. Two threads may both encode it; one copy wins.
  template <typename T, typename Fields>
  static const std::string& DefaultOf(Fields& fields, int version) {
    static std::atomic<const std::string*> cache[kMaxCompactVersion + 1];
    std::atomic<const std::string*>& slot = cache[version];
    const std::string* bytes = slot.load(std::memory_order_acquire);
    if (bytes != nullptr) return *bytes;
    auto* out = new std::string;
    FieldWriter w(*out, version);
    T empty;
    fields(w, empty);
    if (slot.compare_exchange_strong(bytes, out, std::memory_order_acq_rel))
      return *out;
    delete out;
    return *bytes;
  }

 private:
  std::string& out_;
  int version_;
};

class FieldReader {
 public:
  static constexpr bool kReading = true;
  FieldReader(std::string_view in, int version) : in_(in), version_(version) {}

  int version() const { return version_; }

  void I64(std::int64_t& v) { v = in_.Signed(); }
  void U64(std::uint64_t& v) { v = in_.Varint(); }
  void U8(std::uint8_t& v) { v = in_.Byte(); }
  void Bool(bool& v) {
    const std::uint8_t b = in_.Byte();
    if (b > 1) canonical_ = false;
    v = b == 1;
  }
  void Str(std::string& v) { v = std::string(in_.Bytes()); }

  template <typename Map, typename Fields>
  void Entries(Map& map, Fields&& fields) {
    const std::uint64_t n = in_.Count();
    for (std::uint64_t i = 0; i < n && in_.ok(); ++i) {
      typename Map::key_type key{};
      typename Map::mapped_type value{};
      fields(key, value);
      // Keys strictly ascending: canonical, and no key twice.
      if (!map.empty() && !(map.rbegin()->first < key)) canonical_ = false;
      map.emplace_hint(map.end(), std::move(key), std::move(value));
    }
  }

  template <typename T, typename Fields>
  void Items(std::vector<T>& items, Fields&& fields) {
    const std::uint64_t n = in_.Count();
    for (std::uint64_t i = 0; i < n && in_.ok(); ++i)
      fields(items.emplace_back());
  }

  // A part present only if it is not as a default state has it: one
  // present but equal to the default is not what encoding gives.
  template <typename T, typename Fields>
  void Section(T& part, Fields&& fields) {
    const std::uint8_t present = in_.Byte();
    if (present > 1) canonical_ = false;
    if (present != 1) return;
    const std::size_t start = in_.position();
    fields(*this, part);
    const std::string_view read =
        in_.input().substr(start, in_.position() - start);
    if (in_.ok() && read == FieldWriter::DefaultOf<T>(fields, version_))
      canonical_ = false;
  }

  // Marks the bytes as not what encoding gives.
  void Invalid() { canonical_ = false; }

  bool ok() const { return in_.done() && canonical_; }

 private:
  VarintReader in_;
  int version_;
  bool canonical_ = true;
};

// An integer of a narrower type, stored as an int64; a stored value out of
// its range makes the bytes invalid.
template <typename IO, typename T>
void NarrowField(IO& io, T& v) {
  std::int64_t wide = v;
  io.I64(wide);
  if constexpr (IO::kReading) {
    if (wide != static_cast<T>(wide)) io.Invalid();
    v = static_cast<T>(wide);
  }
}

// An enum stored as its one-byte value. Validation checks the range.
template <typename IO, typename Enum>
void EnumField(IO& io, Enum& e) {
  auto v = static_cast<std::uint8_t>(e);
  io.U8(v);
  if constexpr (IO::kReading) e = static_cast<Enum>(v);
}

// An optional value: a presence flag, then fields(io, value) if present.
template <typename IO, typename T, typename Fields>
void OptionalField(IO& io, std::optional<T>& o, Fields&& fields) {
  bool present = o.has_value();
  io.Bool(present);
  if (!present) return;
  if constexpr (IO::kReading) o.emplace();
  fields(io, *o);
}

}  // namespace ckm::codec

#endif  // CKM_SRC_CODEC_FIELDS_H_
