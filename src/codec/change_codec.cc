// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "codec/change_codec.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "codec/fields.h"
#include "validate.h"

namespace ckm::codec {
namespace {

constexpr char kChangeKind = 'C';
constexpr std::size_t kMaxActorBytes = 128;
constexpr std::size_t kMaxReasonBytes = 1024;
using Kind = OutboxChange::Kind;

template <typename IO>
void ChangeFields(IO& io, OutboxChange& c) {
  EnumField(io, c.kind);
  io.Str(c.id);
  io.I64(c.ts_ms);
  io.Str(c.actor);
  io.Str(c.reason);
  io.Str(c.customer);
  io.Str(c.other);
  io.Str(c.root);
  EnumField(io, c.identity_type);
  io.Str(c.identity_value);
  io.Items(c.erased, [&](std::string& id) { io.Str(id); });
}

bool IsCustomerId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdBytes &&
         id.find('\0') == std::string_view::npos && IsValidUtf8(id);
}

absl::Status Bad(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("change.", Av(field), ": ", Av(why)));
}

// The fields only some kinds use are empty for the others, so that one
// change has one encoding.
absl::Status CheckKindFields(const OutboxChange& c) {
  const bool pair = c.kind == Kind::kMerge || c.kind == Kind::kUnmerge;
  if (pair && !IsCustomerId(c.other))
    return Bad("other", "must be a customer id");
  if (pair && c.other == c.customer)
    return Bad("other", "must differ from change.customer");
  if (!pair && !c.other.empty()) return Bad("other", "must be empty");
  if (c.kind == Kind::kErase
          ? !c.root.empty()
          : !c.root.empty() && (!IsCustomerId(c.root) || c.root == c.customer))
    return Bad("root", "must be empty or another customer id");
  if (c.kind == Kind::kUnlink) {
    const auto type = static_cast<std::uint8_t>(c.identity_type);
    if (type < static_cast<std::uint8_t>(IdentityType::kEmail) ||
        type > static_cast<std::uint8_t>(IdentityType::kExternalId))
      return Bad("identity_type", "unknown");
    if (c.identity_value.empty() ||
        c.identity_value.size() > kMaxIdentityBytes ||
        !IsValidUtf8(c.identity_value))
      return Bad("identity_value", "must be 1..256 bytes of UTF-8");
  } else if (c.identity_type != IdentityType::kEmail ||
             !c.identity_value.empty()) {
    return Bad("identity_value", "must be empty");
  }
  if (c.kind != Kind::kErase) {
    if (!c.erased.empty()) return Bad("erased", "must be empty");
    return absl::OkStatus();
  }
  if (c.erased.empty()) return Bad("erased", "must name the customer");
  for (std::size_t i = 0; i < c.erased.size(); ++i) {
    if (!IsCustomerId(c.erased[i]))
      return Bad("erased", "must hold customer ids");
    if (i > 0 && !(c.erased[i - 1] < c.erased[i]))
      return Bad("erased", "must be sorted, each id once");
  }
  if (!std::binary_search(c.erased.begin(), c.erased.end(), c.customer))
    return Bad("erased", "must hold change.customer");
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckChange(const OutboxChange& c) {
  const auto kind = static_cast<std::uint8_t>(c.kind);
  if (kind < static_cast<std::uint8_t>(Kind::kMerge) ||
      kind > static_cast<std::uint8_t>(Kind::kErase))
    return Bad("kind", "unknown");
  if (c.id.size() != kChangeIdBytes) return Bad("id", "must be 16 bytes");
  if (c.ts_ms < 0 || c.ts_ms > kMaxTsMs)
    return Bad("ts_ms", "must be 0 .. 253402300799999");
  if (c.actor.size() > kMaxActorBytes || !IsValidUtf8(c.actor))
    return Bad("actor", "must be 0..128 bytes of UTF-8");
  if (c.reason.size() > kMaxReasonBytes || !IsValidUtf8(c.reason))
    return Bad("reason", "must be 0..1024 bytes of UTF-8");
  if (!IsCustomerId(c.customer))
    return Bad("customer", "must be 1..128 bytes of UTF-8 without NUL");
  return CheckKindFields(c);
}

std::string EncodeChange(const OutboxChange& change) {
  std::string out = CompactHeader(kChangeEncodingVersion, kChangeKind);
  FieldWriter writer(out, kChangeEncodingVersion);
  ChangeFields(writer, const_cast<OutboxChange&>(change));
  return out;
}

bool IsEncodedChange(std::string_view bytes) {
  return HasCompactMagic(bytes) && bytes.size() >= kCompactHeaderBytes &&
         bytes[kCompactMagic.size() + 1] == kChangeKind;
}

absl::StatusOr<OutboxChange> DecodeChange(std::string_view bytes) {
  absl::StatusOr<CompactBody> body =
      CompactFields(bytes, kChangeEncodingVersion, kChangeEncodingVersion,
                    kChangeKind, "change");
  if (!body.ok()) return body.status();
  FieldReader reader(body->fields, body->version);
  OutboxChange change;
  ChangeFields(reader, change);
  if (!reader.ok()) return absl::DataLossError("corrupt change: malformed");
  if (absl::Status s = CheckChange(change); !s.ok())
    return absl::DataLossError(absl::StrCat("corrupt change: ", s.message()));
  return change;
}

}  // namespace ckm::codec
