// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A history cursor, before URL-safe base64: a version byte (1), the
// direction (0 oldest first, 1 newest first), BE64 of ts_ms with its sign
// bit flipped, BE64 of the event id, and the kind: 19 bytes.

#include "engine/history_page.h"

#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "string_util.h"
#include "validate.h"

namespace ckm::engine {
namespace {

// Version 2 adds the member's number to version 1's 19 bytes; version 1
// cursors (without it) are still read.
constexpr char kVersion = 2;
constexpr std::size_t kCursorBytesV1 = 19;
constexpr std::size_t kCursorBytes = 27;

void PutBig(std::string& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t GetBig(std::string_view in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace

absl::Status CheckHistoryQuery(const HistoryQuery& q) {
  if (!q.attribute_key.empty() && !q.consent_purpose.empty()) {
    return absl::InvalidArgumentError(
        "attribute_key, consent_purpose: set one of them, not both");
  }
  if (!q.attribute_key.empty()) {
    if (!IsAttributeKey(q.attribute_key)) {
      return absl::InvalidArgumentError(
          "attribute_key: not an attribute key (personal.*, demographic.*, "
          "psychographic.* or custom.*)");
    }
    if (q.kind && *q.kind != EventKind::kAttribute) {
      return absl::InvalidArgumentError(
          absl::StrCat("attribute_key: only attribute events have one, and "
                       "kind is ",
                       Av(ToString(*q.kind))));
    }
  }
  if (!q.consent_purpose.empty()) {
    if (!IsPurpose(q.consent_purpose)) {
      return absl::InvalidArgumentError(
          "consent_purpose: must be 1..128 bytes of [a-z0-9_.-]");
    }
    if (q.kind && *q.kind != EventKind::kConsent) {
      return absl::InvalidArgumentError(
          absl::StrCat("consent_purpose: only consent events have one, and "
                       "kind is ",
                       Av(ToString(*q.kind))));
    }
  }
  return absl::OkStatus();
}

std::optional<EventKind> KindOf(const HistoryQuery& q) {
  if (!q.attribute_key.empty()) return EventKind::kAttribute;
  if (!q.consent_purpose.empty()) return EventKind::kConsent;
  return q.kind;
}

bool Passes(const Event& event, const HistoryQuery& q) {
  const std::optional<EventKind> kind = KindOf(q);
  if (kind && event.kind() != *kind) return false;
  if (!q.attribute_key.empty())
    return std::get<Attribute>(event.body).key == q.attribute_key;
  if (!q.consent_purpose.empty())
    return std::get<Consent>(event.body).purpose == q.consent_purpose;
  return true;
}

bool Before(const MemberEvent& a, const MemberEvent& b, bool newest_first) {
  const auto ka =
      std::make_tuple(a.event.ts_ms, a.event.id, a.event.kind(), a.member);
  const auto kb =
      std::make_tuple(b.event.ts_ms, b.event.id, b.event.kind(), b.member);
  return newest_first ? kb < ka : ka < kb;
}

std::string EncodeHistoryCursor(const MemberEvent& last, bool newest_first) {
  std::string raw(1, kVersion);
  raw.push_back(newest_first ? 1 : 0);
  PutBig(raw, static_cast<std::uint64_t>(last.event.ts_ms) ^ (1ull << 63));
  PutBig(raw, last.event.id);
  raw.push_back(static_cast<char>(last.event.kind()));
  PutBig(raw, last.member);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<HistoryPosition> DecodeHistoryCursor(std::string_view cursor,
                                                    bool newest_first) {
  std::string raw;
  const bool decoded = absl::WebSafeBase64Unescape(Av(cursor), &raw);
  const bool v1 = decoded && raw.size() == kCursorBytesV1 && raw[0] == 1;
  const bool v2 = decoded && raw.size() == kCursorBytes && raw[0] == kVersion;
  if ((!v1 && !v2) || raw[1] > 1 ||
      static_cast<unsigned char>(raw[18]) >= kEventKindCount) {
    return absl::InvalidArgumentError(
        "cursor: not a cursor a page of history gave (malformed)");
  }
  if ((raw[1] == 1) != newest_first) {
    return absl::InvalidArgumentError(
        "cursor: made by a query of the other direction (newest_first)");
  }
  HistoryPosition p;
  p.ts_ms = static_cast<std::int64_t>(GetBig(raw.substr(2)) ^ (1ull << 63));
  p.id = GetBig(raw.substr(10));
  p.kind = static_cast<EventKind>(raw[18]);
  if (v2) p.member = GetBig(raw.substr(19));
  return p;
}

}  // namespace ckm::engine
