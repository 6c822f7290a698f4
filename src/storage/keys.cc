// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/keys.h"

#include "absl/base/internal/endian.h"
#include "sha256.h"

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

// Eight bytes fit in std::string's own buffer: no allocation.
std::string CustomerKey(CustomerNumber number) {
  std::string key;
  AppendBigEndian64(&key, number);
  return key;
}

std::optional<CustomerNumber> NumberOf(std::string_view key) {
  if (key.size() < kCustomerKeyBytes) return std::nullopt;
  const CustomerNumber number = absl::big_endian::Load64(key.data());
  if (number == 0) return std::nullopt;
  return number;
}

std::string HistoryTimeBound(CustomerNumber number, std::int64_t ts_ms) {
  std::string key;
  key.reserve(kHistoryKeyBytes);  // once, for HistoryKey's id and kind too
  AppendBigEndian64(&key, number);
  // Flipping the sign bit makes signed order equal unsigned big-endian order.
  AppendBigEndian64(&key, static_cast<std::uint64_t>(ts_ms) ^ kSignBit);
  return key;
}

std::string HistoryKey(CustomerNumber number, std::int64_t ts_ms,
                       std::uint64_t event_id, EventKind kind) {
  std::string key = HistoryTimeBound(number, ts_ms);
  AppendBigEndian64(&key, event_id);
  key.push_back(static_cast<char>(kind));
  return key;
}

std::string ReverseKey(CustomerNumber number) {
  std::string key(1, '\0');
  AppendBigEndian64(&key, number);
  return key;
}

std::string IdentityKey(IdentityType type, std::string_view value) {
  std::string key;
  key.push_back(static_cast<char>(type));
  key.push_back('\0');
  key.append(value);
  return key;
}

namespace {
constexpr CustomerNumber kLinksNumber = ~CustomerNumber{0};
}  // namespace

std::string MergedIntoPrefix() {
  std::string key = ReverseKey(kLinksNumber);
  key.push_back('m');
  return key;
}

std::string MergedIntoKey(CustomerNumber number) {
  std::string key = MergedIntoPrefix();
  AppendBigEndian64(&key, number);
  return key;
}

std::string AbsorbedPrefix(CustomerNumber survivor) {
  std::string key = ReverseKey(kLinksNumber);
  key.push_back('a');
  AppendBigEndian64(&key, survivor);
  return key;
}

std::string AbsorbedKey(CustomerNumber survivor, CustomerNumber absorbed) {
  std::string key = AbsorbedPrefix(survivor);
  AppendBigEndian64(&key, absorbed);
  return key;
}

std::string ChangePrefix(CustomerNumber number) {
  std::string key = ReverseKey(number);
  key.push_back('c');
  return key;
}

std::string ChangeKey(CustomerNumber number, std::uint64_t seq) {
  std::string key = ChangePrefix(number);
  AppendBigEndian64(&key, seq);
  return key;
}

std::string AccessPrefix(CustomerNumber number) {
  std::string key = ReverseKey(number);
  key.push_back('r');
  return key;
}

std::string AccessKey(CustomerNumber number, std::int64_t ts_ms,
                      std::uint64_t seq) {
  std::string key = AccessPrefix(number);
  AppendBigEndian64(&key, static_cast<std::uint64_t>(ts_ms) ^ kSignBit);
  AppendBigEndian64(&key, seq);
  return key;
}

std::string ScanLogKey(std::int64_t ts_ms, std::uint64_t seq) {
  std::string key(kScanLogPrefix);
  AppendBigEndian64(&key, static_cast<std::uint64_t>(ts_ms) ^ kSignBit);
  AppendBigEndian64(&key, seq);
  return key;
}

std::string ErasedIdHash(std::string_view customer_id) {
  std::string input = "ckm.erased";
  input.push_back('\0');
  input.append(customer_id);
  return Sha256Hex(input);
}

std::string TombstoneKey(std::string_view customer_id) {
  return kTombstonePrefix + ErasedIdHash(customer_id);
}

std::string SequenceKey(std::string_view prefix, std::uint64_t sequence) {
  std::string key(prefix);
  AppendBigEndian64(&key, sequence);
  return key;
}

}  // namespace ckm::keys
