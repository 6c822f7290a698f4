// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "codec/access_entry.h"

#include "codec/varint.h"

namespace ckm::codec {
namespace {

constexpr std::uint8_t kVersion = 1;

}  // namespace

std::string EncodeAccessEntry(const AccessEntry& entry) {
  std::string out;
  PutVarint(out, kVersion);
  PutSigned(out, entry.ts_ms);
  PutBytes(out, entry.call);
  PutBytes(out, entry.role);
  PutBytes(out, entry.purpose);
  PutBytes(out, entry.outcome);
  PutSigned(out, entry.profiles);
  return out;
}

absl::StatusOr<AccessEntry> DecodeAccessEntry(std::string_view bytes) {
  VarintReader in(bytes);
  AccessEntry entry;
  const std::uint8_t version = in.Byte();
  entry.ts_ms = in.Signed();
  entry.call = std::string(in.Bytes());
  entry.role = std::string(in.Bytes());
  entry.purpose = std::string(in.Bytes());
  entry.outcome = std::string(in.Bytes());
  entry.profiles = in.Signed();
  if (!in.done() || version != kVersion)
    return absl::DataLossError("an entry of the access audit is corrupt");
  return entry;
}

}  // namespace ckm::codec
