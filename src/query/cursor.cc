// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Layout before base64: version (1), fingerprint (BE64), value type (1),
// then by type: number: numerator, denominator (BE64 each); text: length
// (BE32) and bytes; bool: one byte; none: nothing. The customer id takes
// the rest.

#include "query/cursor.h"

#include "absl/strings/escaping.h"
#include "string_util.h"

namespace ckm::query {
namespace {

constexpr char kVersion = 1;

void PutBig(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool GetBig(std::string_view& in, int bytes, std::uint64_t& v) {
  if (in.size() < static_cast<std::size_t>(bytes)) return false;
  v = 0;
  for (int i = 0; i < bytes; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  in.remove_prefix(bytes);
  return true;
}

absl::Status Malformed() {
  return absl::InvalidArgumentError(
      "cursor: not a cursor this query's pages gave (malformed)");
}

}  // namespace

std::uint64_t Fingerprint(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string EncodeCursor(std::uint64_t fingerprint, const RowKey& key) {
  std::string raw(1, kVersion);
  PutBig(raw, fingerprint, 8);
  raw.push_back(static_cast<char>(key.value.type));
  switch (key.value.type) {
    case SegmentValue::Type::kNumber:
      PutBig(raw, static_cast<std::uint64_t>(key.value.numerator), 8);
      PutBig(raw, static_cast<std::uint64_t>(key.value.denominator), 8);
      break;
    case SegmentValue::Type::kText:
      PutBig(raw, key.value.text.size(), 4);
      raw += key.value.text;
      break;
    case SegmentValue::Type::kBool:
      raw.push_back(key.value.boolean ? 1 : 0);
      break;
    case SegmentValue::Type::kNone:
      break;
  }
  raw += key.customer_id;
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<RowKey> DecodeCursor(std::string_view cursor,
                                    std::uint64_t fingerprint) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(Av(cursor), &raw)) return Malformed();
  std::string_view in(raw);
  std::uint64_t stored = 0, n = 0, d = 0, length = 0;
  if (in.empty() || in[0] != kVersion) return Malformed();
  in.remove_prefix(1);
  if (!GetBig(in, 8, stored) || in.empty()) return Malformed();
  if (stored != fingerprint) {
    return absl::InvalidArgumentError(
        "cursor: made by a query with another predicate, sort or now");
  }
  RowKey key;
  key.value.type = static_cast<SegmentValue::Type>(in[0]);
  in.remove_prefix(1);
  switch (key.value.type) {
    case SegmentValue::Type::kNumber:
      if (!GetBig(in, 8, n) || !GetBig(in, 8, d) ||
          static_cast<std::int64_t>(d) <= 0)
        return Malformed();
      key.value.numerator = static_cast<std::int64_t>(n);
      key.value.denominator = static_cast<std::int64_t>(d);
      break;
    case SegmentValue::Type::kText:
      if (!GetBig(in, 4, length) || in.size() < length) return Malformed();
      key.value.text = std::string(in.substr(0, length));
      in.remove_prefix(length);
      break;
    case SegmentValue::Type::kBool:
      if (in.empty() || static_cast<unsigned char>(in[0]) > 1)
        return Malformed();
      key.value.boolean = in[0] == 1;
      in.remove_prefix(1);
      break;
    case SegmentValue::Type::kNone:
      break;
    default:
      return Malformed();
  }
  if (in.empty()) return Malformed();
  key.customer_id = std::string(in);
  return key;
}

}  // namespace ckm::query
