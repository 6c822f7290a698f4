// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The keyspace: column family names and the layout of every key.
//
//   history key    customer_id 0x00 BE64(ts_ms + 2^63) BE64(event_id) kind
//   identity key   type-byte 0x00 value
//   profile key    customer_id (also the key of the customer's breakdowns)
//
// A customer id never contains 0x00, so the part up to the first 0x00 is the
// customer's prefix in every history column family, and history keys of
// one customer sort by (ts_ms, event_id).

#ifndef CKM_SRC_STORAGE_KEYS_H_
#define CKM_SRC_STORAGE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ckm/event.h"
#include "ckm/query.h"

namespace ckm::keys {

inline constexpr char kProfilesCf[] = "profiles";
inline constexpr char kPurchasesCf[] = "purchases";
inline constexpr char kInteractionsCf[] = "interactions";
inline constexpr char kLoyaltyCf[] = "loyalty";
inline constexpr char kChangesCf[] = "changes";
inline constexpr char kBreakdownsCf[] = "breakdowns";
inline constexpr char kIdentitiesCf[] = "identities";

// The history column families, in the order of HistoryCf.
enum class HistoryCf : int {
  kPurchases = 0,
  kInteractions,
  kLoyalty,
  kChanges
};
inline constexpr int kHistoryCfCount = 4;

HistoryCf HistoryCfOf(EventKind kind);

std::string HistoryKey(std::string_view customer_id, std::int64_t ts_ms,
                       std::uint64_t event_id, EventKind kind);

// customer_id 0x00 BE64(ts_ms + 2^63): sorts before every history key of the
// customer at ts_ms and after every key before it, so it bounds time ranges.
std::string HistoryTimeBound(std::string_view customer_id, std::int64_t ts_ms);

// customer_id 0x00: the prefix of all of a customer's keys.
std::string CustomerPrefix(std::string_view customer_id);

std::string IdentityKey(IdentityType type, std::string_view value);

// The customer id part of a per-customer key (up to the first 0x00).
std::string_view CustomerOf(std::string_view key);

}  // namespace ckm::keys

#endif  // CKM_SRC_STORAGE_KEYS_H_
