// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The keyspace (format 3): column family names and the layout of every key.
//
// Every customer gets a customer number, a u64 given out on its first event
// and never reused. Everything held per customer is keyed by that number,
// big-endian, so a customer's keys share one fixed 8-byte prefix:
//
//   customers      external_id                -> BE64(number)   (directory)
//                  0x00 BE64(number)          -> external_id    (its reverse)
//   identities     type-byte 0x00 value       -> BE64(number)
//   profiles       BE64(number)               -> profile
//   breakdowns     BE64(number)               -> breakdowns
//   pending        BE64(number)               -> "" (breakdowns held in
//                                                memory,
//                                                engine/breakdowns_buffer.h)
//   history (4)    BE64(number) BE64(ts_ms + 2^63) BE64(event_id) kind
//   default        ckm.erased/<hex SHA-256>   -> BE64(cutoff + 2^63) (an
//                                                erasure's tombstone, of an
//                                                id or an identity key)
//                  ckm.erasure_log/BE64(seq)  -> JSON (the audit log)
//                  ckm.access_scans/BE64(ts_ms + 2^63) BE64(seq)
//                                             -> AccessEntry (one
//                                                audited ForEachProfile)
//                  ckm.erasure_scrub/BE64(seq) -> BE64(number): an erasure
//                                                whose bytes may still be on
//                                                disk (engine/erase.cc)
//                  ckm.outbox_floor           -> BE64(seq): above every
//                                                outbox sequence removed
//                  ckm.applied_change/<hex id> -> "": a change of customers
//                                                made or applied here
//                                                (Store::ApplyChange)
//   outbox         BE64(seq)                  -> the event's, or the
//                                                change's, compact encoding
//                                                (only in a store opened
//                                                with an outbox, docs/sync.md)
//
// Identity resolution (docs/identity.md) adds, in `customers`:
//
//                  0x00 BE64(number) 'c' BE64(seq) -> IdentityChange
//                                               (the customer's merges,
//                                               unmerges and unlinks,
//                                               codec/identity_change.h)
//                  0x00 BE64(number) 'r' BE64(ts_ms + 2^63) BE64(seq)
//                                            -> AccessEntry (one read
//                                               of the customer, the access
//                                               audit, codec/access_entry.h)
//                  0x00 FF*8 'm' BE64(number) -> BE64(survivor number)
//                                               (merged into)
//                  0x00 FF*8 'a' BE64(survivor) BE64(number) -> ""
//                                               (its reverse: absorbed)
//
// Number 2^64-1 is never given out, so the merge links, under its reverse
// prefix, never meet a customer's entries, sort after all of them, and are
// read at open with one short scan. Every entry of a customer is found from
// its number: its reverse entry and change log under 0x00 BE64(number), its
// link by MergedIntoKey(number), the customers merged into it under
// AbsorbedPrefix(number).
//
// External ids never contain 0x00, so a directory key starting with 0x00 is
// always a reverse entry. History keys of one customer sort by
// (ts_ms, event_id); the kind byte keeps the three kinds that share the
// changes column family apart.
//
// Why numbers: merging two customers, unmerging them and erasing one then
// touch a bounded number of directory and identity keys (plus a range
// delete over one prefix), never every history key; see docs/design.md.

#ifndef CKM_SRC_STORAGE_KEYS_H_
#define CKM_SRC_STORAGE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ckm/event.h"
#include "ckm/query.h"

namespace ckm::keys {

inline constexpr char kCustomersCf[] = "customers";
inline constexpr char kProfilesCf[] = "profiles";
inline constexpr char kPurchasesCf[] = "purchases";
inline constexpr char kInteractionsCf[] = "interactions";
inline constexpr char kLoyaltyCf[] = "loyalty";
inline constexpr char kChangesCf[] = "changes";
inline constexpr char kBreakdownsCf[] = "breakdowns";
inline constexpr char kIdentitiesCf[] = "identities";
inline constexpr char kPendingCf[] = "pending";
// Optional: a store has it once opened with StoreOptions::outbox, and from
// then on queues every new event in it (engine/outbox.cc).
inline constexpr char kOutboxCf[] = "outbox";
inline constexpr char kOutboxFloor[] = "ckm.outbox_floor";

// The history column families, in the order of HistoryCf.
enum class HistoryCf : int {
  kPurchases = 0,
  kInteractions,
  kLoyalty,
  kChanges
};
inline constexpr int kHistoryCfCount = 4;
inline constexpr const char* kHistoryCfNames[kHistoryCfCount] = {
    kPurchasesCf, kInteractionsCf, kLoyaltyCf, kChangesCf};

HistoryCf HistoryCfOf(EventKind kind);

// A customer number. 0 is never given out.
using CustomerNumber = std::uint64_t;
inline constexpr std::size_t kCustomerKeyBytes = 8;
inline constexpr std::size_t kHistoryKeyBytes = 25;

// BE64(number): the key of the customer's profile and breakdowns, and the
// prefix of every history key of the customer.
std::string CustomerKey(CustomerNumber number);

// The number in a CustomerKey or in the first 8 bytes of a history key;
// nullopt if `key` is shorter than 8 bytes or names number 0.
std::optional<CustomerNumber> NumberOf(std::string_view key);

std::string HistoryKey(CustomerNumber number, std::int64_t ts_ms,
                       std::uint64_t event_id, EventKind kind);

// BE64(number) BE64(ts_ms + 2^63): sorts before every history key of the
// customer at ts_ms and after every key before it, so it bounds time ranges.
std::string HistoryTimeBound(CustomerNumber number, std::int64_t ts_ms);

// 0x00 BE64(number): the directory's reverse entry, number -> external id.
std::string ReverseKey(CustomerNumber number);
// True for directory keys that are reverse entries.
inline bool IsReverseKey(std::string_view key) {
  return !key.empty() && key[0] == '\0';
}

std::string IdentityKey(IdentityType type, std::string_view value);

// The merge links and the change log (see the top of this file).
std::string MergedIntoKey(CustomerNumber number);
// Every MergedIntoKey starts with it.
std::string MergedIntoPrefix();
std::string AbsorbedKey(CustomerNumber survivor, CustomerNumber absorbed);
std::string AbsorbedPrefix(CustomerNumber survivor);
std::string ChangeKey(CustomerNumber number, std::uint64_t seq);
std::string ChangePrefix(CustomerNumber number);
// The access audit: one entry per audited read of the customer, sorted by
// time; `seq` keeps two reads of the same millisecond apart.
std::string AccessPrefix(CustomerNumber number);
std::string AccessKey(CustomerNumber number, std::int64_t ts_ms,
                      std::uint64_t seq);
// One entry per audited scan of every profile (no customer).
inline constexpr char kScanLogPrefix[] = "ckm.access_scans/";
std::string ScanLogKey(std::int64_t ts_ms, std::uint64_t seq);
// True for directory keys that are reverse entries, not a change log entry
// or a merge link.
inline bool IsReverseEntry(std::string_view key) {
  return key.size() == 1 + kCustomerKeyBytes && key[0] == '\0' &&
         key.substr(1) != std::string(kCustomerKeyBytes, '\xff');
}
// Erasures (default column family). The tombstone's key holds a hash of the
// id, never the id: SHA-256 of "ckm.erased" 0x00 id, in hex.
inline constexpr char kTombstonePrefix[] = "ckm.erased/";
inline constexpr char kErasureLogPrefix[] = "ckm.erasure_log/";
inline constexpr char kErasureScrubPrefix[] = "ckm.erasure_scrub/";
std::string ErasedIdHash(std::string_view customer_id);
std::string TombstoneKey(std::string_view customer_id);
// prefix BE64(sequence): sorts in sequence order.
std::string SequenceKey(std::string_view prefix, std::uint64_t sequence);
// A change of customers applied here, by its 16-byte id (hex): so that a
// redelivered change is applied once (engine/change_travel.cc).
inline constexpr char kAppliedChangePrefix[] = "ckm.applied_change/";
// BE64(sequence): an outbox entry's key, and the floor's value.
inline std::string OutboxKey(std::uint64_t sequence) {
  return SequenceKey("", sequence);
}

}  // namespace ckm::keys

#endif  // CKM_SRC_STORAGE_KEYS_H_
