// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "codec/identity_change.h"

#include "codec/varint.h"

namespace ckm::codec {
namespace {

constexpr std::uint8_t kVersion = 1;

bool KnownKind(std::uint8_t kind) {
  return kind >= static_cast<std::uint8_t>(IdentityChange::Kind::kMerged) &&
         kind <= static_cast<std::uint8_t>(IdentityChange::Kind::kUnlinked);
}

bool KnownType(std::uint8_t type) {
  return type >= static_cast<std::uint8_t>(IdentityType::kEmail) &&
         type <= static_cast<std::uint8_t>(IdentityType::kExternalId);
}

}  // namespace

std::string EncodeIdentityChange(const IdentityChange& change) {
  std::string out;
  PutVarint(out, kVersion);
  PutVarint(out, static_cast<std::uint8_t>(change.kind));
  PutSigned(out, change.ts_ms);
  PutBytes(out, change.actor);
  PutBytes(out, change.reason);
  PutBytes(out, change.other);
  PutVarint(out, change.identity_type
                     ? static_cast<std::uint8_t>(*change.identity_type)
                     : 0);
  PutBytes(out, change.identity_value);
  return out;
}

absl::StatusOr<IdentityChange> DecodeIdentityChange(std::string_view bytes) {
  VarintReader in(bytes);
  IdentityChange change;
  const std::uint8_t version = in.Byte();
  const std::uint8_t kind = in.Byte();
  change.kind = static_cast<IdentityChange::Kind>(kind);
  change.ts_ms = in.Signed();
  change.actor = std::string(in.Bytes());
  change.reason = std::string(in.Bytes());
  change.other = std::string(in.Bytes());
  const std::uint8_t type = in.Byte();
  change.identity_value = std::string(in.Bytes());
  if (!in.done() || version != kVersion || !KnownKind(kind) ||
      (type != 0 && !KnownType(type))) {
    return absl::DataLossError("a recorded identity change is corrupt");
  }
  if (type != 0) change.identity_type = static_cast<IdentityType>(type);
  return change;
}

}  // namespace ckm::codec
