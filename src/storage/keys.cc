// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/keys.h"

#include "absl/base/internal/endian.h"

namespace ckm::keys {
namespace {

constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;

void AppendBigEndian64(std::string* out, std::uint64_t v) {
  char buf[8];
  absl::big_endian::Store64(buf, v);
  out->append(buf, sizeof(buf));
}

}  // namespace

HistoryCf HistoryCfOf(EventKind kind) {
  switch (kind) {
    case EventKind::kPurchase:
      return HistoryCf::kPurchases;
    case EventKind::kInteraction:
      return HistoryCf::kInteractions;
    case EventKind::kLoyalty:
      return HistoryCf::kLoyalty;
    case EventKind::kAttribute:
    case EventKind::kConsent:
    case EventKind::kIdentity:
      break;
  }
  return HistoryCf::kChanges;
}

std::string HistoryTimeBound(std::string_view customer_id, std::int64_t ts_ms) {
  std::string key;
  key.reserve(customer_id.size() + 18);
  key.append(customer_id);
  key.push_back('\0');
  // Flipping the sign bit makes signed order equal unsigned big-endian order.
  AppendBigEndian64(&key, static_cast<std::uint64_t>(ts_ms) ^ kSignBit);
  return key;
}

std::string HistoryKey(std::string_view customer_id, std::int64_t ts_ms,
                       std::uint64_t event_id, EventKind kind) {
  std::string key = HistoryTimeBound(customer_id, ts_ms);
  AppendBigEndian64(&key, event_id);
  key.push_back(static_cast<char>(kind));
  return key;
}

std::string CustomerPrefix(std::string_view customer_id) {
  std::string prefix(customer_id);
  prefix.push_back('\0');
  return prefix;
}

std::string IdentityKey(IdentityType type, std::string_view value) {
  std::string key;
  key.push_back(static_cast<char>(type));
  key.push_back('\0');
  key.append(value);
  return key;
}

std::string_view CustomerOf(std::string_view key) {
  return key.substr(0, key.find('\0'));
}

}  // namespace ckm::keys
