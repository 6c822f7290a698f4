// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Options in two layers: StoreOptions apply to the whole store for as long as
// it is open; RecordOptions apply to one Record() call. Every field states its
// default. Plain structs: copy them freely.

#ifndef CKM_OPTIONS_H_
#define CKM_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ckm/access.h"
#include "ckm/event.h"

namespace ckm {

// How far a successful Record() has gone towards stable storage when it
// returns.
enum class Durability : std::uint8_t {
  // The write-ahead log is fsynced before Record() returns: the events survive
  // a crash of the process and of the machine (power cut, kernel panic).
  kSync = 0,
  // The write-ahead log is written to the operating system but not fsynced:
  // the events survive a crash of the process, not of the machine.
  kBuffered = 1,
  // No write-ahead log: the events live in memory until the store flushes
  // them (Store::Flush(), or when a memtable fills). For bulk loads that can
  // be repeated from their source; a crash loses everything since the last
  // flush, but never leaves a half-applied batch.
  kNone = 2,
};

// How a Store opens its directory (StoreOptions::access).
enum class Access : std::uint8_t {
  // Reads and writes; only one such Store (one process) per directory.
  kReadWrite = 0,
  // Reads a closed store as it is on disk, and never writes to its
  // directory. For a store another process may be writing, use kFollower:
  // RocksDB leaves a read-only open of a store being written undefined.
  kReadOnly = 1,
  // Reads a store that another process may be writing (RocksDB's secondary
  // instance), and never writes to its directory. It sees the store as it
  // was when opened, and catches up with the writer on Store::CatchUp().
  kFollower = 2,
};

// How identities are normalised, and which merges the store refuses
// (docs/identity.md). Part of StoreOptions.
struct IdentityOptions {
  // The country code (1 to 3 digits, no '+') given to phone numbers written
  // without one ("020 7946 0018" with "44": +442079460018). Empty: such
  // numbers are kept as their digits. Changing it later does not rewrite
  // identities already linked. Default: empty.
  std::string default_country_code;

  // Identity values that never name a customer: linking one is refused
  // (InvalidArgument) and so is naming a customer by one. Compared with the
  // normalised value, ignoring ASCII case. Default: the placeholders forms
  // fill in when the real value is unknown, listed below.
  std::vector<std::string> blocked_values = {"null",
                                             "none",
                                             "nil",
                                             "undefined",
                                             "unknown",
                                             "n/a",
                                             "-",
                                             "-1",
                                             "0",
                                             "anonymous",
                                             "test",
                                             "test@example.com",
                                             "noreply@example.com"};
  // The same for patterns over the normalised value, ignoring ASCII case:
  // '*' matches any run of bytes, '?' any one byte, everything else itself.
  // Example: "*@mailinator.com". Default: none.
  std::vector<std::string> blocked_patterns;

  // Identity types whose links merge customers: when an Identity event
  // links such an identity that another customer already owns, Record()
  // first merges the event's customer into the owner (Store::Merge, with
  // actor "ckm" and a reason naming the identity and the event), then
  // records the batch. The merge is written on its own, before the batch,
  // and the rules below apply to it: a refused merge fails the Record with
  // FailedPrecondition, writing nothing. A customer the store has never seen
  // cannot be merged: linking an owned identity to one stays refused. For
  // the other types, linking an owned identity is InvalidArgument.
  // Example: {IdentityType::kLoyaltyCard}, when a card names one person and
  // an email may be shared. Default: none.
  std::vector<IdentityType> auto_merge_types;

  // A merge is refused (FailedPrecondition naming max_identities_per_type)
  // when the merged customer would hold more identities of one type than
  // this. 0: no limit. Default: 10.
  std::size_t max_identities_per_type = 10;

  // A merge is refused (FailedPrecondition naming max_merged_customers) when
  // more customers than this would be merged into one survivor, directly or
  // through chains. 0: no limit. Default: 50.
  std::size_t max_merged_customers = 50;
};

// Store-wide options, fixed for the lifetime of an open Store.
struct StoreOptions {
  // Create the store (directory and column families) if it does not exist.
  // Default: true.
  bool create_if_missing = true;

  // Refuse to open a store that already exists. Default: false.
  bool error_if_exists = false;

  // Durability of every Record() that does not override it.
  // Default: Durability::kSync.
  Durability durability = Durability::kSync;

  // Bytes of block cache shared by every column family. Default: 64 MiB.
  std::size_t block_cache_bytes = std::size_t{64} << 20;

  // Bytes of memtable per column family before it is flushed.
  // Default: 16 MiB.
  std::size_t write_buffer_bytes = std::size_t{16} << 20;

  // Most merge operands a profile may pile up in the memtable before the
  // write path folds them into one value. Bounds the work of Get() for
  // customers who receive many events. A customer's breakdowns get four times
  // this bound. 0 disables both (only useful for measuring what they buy).
  // Default: 16.
  std::size_t max_merge_depth = 16;

  // SKUs kept in memory, over all customers, so that recording a purchase can
  // tell a product new to its customer (Profile's distinct products) without
  // reading the customer's stored breakdowns; 66-128 bytes each (more when
  // customers have few SKUs: 17 MB full of customers with hundreds or
  // thousands, 34 MB full of customers with one each). Customers
  // who buy again soon are kept, least recently used dropped first. 0 reads
  // the stored breakdowns on every batch. Default: 262144.
  std::size_t known_products_cache = 262144;

  // Bytes of breakdowns (per-product, per-store and per-category figures)
  // held in memory across Record() calls before they are merged into the
  // store. A customer's breakdowns are then merged once per such flush
  // instead of once per batch. Store::Flush(), closing the store and
  // reaching this size flush them; history makes them durable (after a crash
  // the customers concerned are refolded from it). 0 merges them in every
  // Record() batch. Default: 16 MiB.
  std::size_t breakdowns_buffer_bytes = std::size_t{16} << 20;

  // Background threads for flush and compaction. Default: 2.
  int background_threads = 2;

  // Read-write, read-only or follower (see Access). A read-only or follower
  // Store refuses every call that writes (Record, Rebuild, RebuildAll,
  // Flush) with FailedPrecondition, and create_if_missing does not apply.
  // Default: Access::kReadWrite.
  Access access = Access::kReadWrite;

  // kFollower only: a directory of the follower's own, outside the store's
  // directory, where RocksDB keeps the follower's state (ckm gives it no
  // info log, so it stays empty). It is created if missing and left in
  // place. Empty: a fresh directory under the system's temp directory
  // ($TMPDIR or /tmp), named ckm-follower-*, removed when the Store closes.
  // Default: empty.
  std::string follower_dir;

  // Identity normalisation and merge protection. Default: see
  // IdentityOptions.
  IdentityOptions identity;

  // Who may read which parts of a customer's data (ckm/access.h,
  // docs/privacy.md). Unset: every read sees everything. Default: unset.
  std::optional<AccessPolicy> access_policy;

  // Give the store an outbox (ckm/outbox.h, docs/sync.md): every event
  // Record() writes that was not recorded before is also queued, in the same
  // atomic write, for a sync agent (ckm/sync.h) to publish. A store that
  // has an outbox keeps queuing whatever this says, so that no event is
  // recorded without being queued; a read-only or follower open reads the
  // outbox it has. Default: false.
  bool outbox = false;
  // The access audit (docs/privacy.md): every read that takes ReadOptions
  // (Get, History, ListHistory, Timeline, Export, Breakdown, Resolve)
  // appends who read which customer, why, with which call, when and with
  // what outcome, under the customer's number (Store::AccessLog); a
  // ForEachProfile appends one store-wide entry with its count
  // (Store::ScanLog). Entries are written without sync, like
  // Durability::kBuffered; a read whose entry cannot be written fails with
  // that error. Only for read-write opens: Open refuses it with
  // InvalidArgument for kReadOnly and kFollower. Default: false (reads
  // write nothing).
  bool access_audit = false;
};

// Options for one Record() call.
struct RecordOptions {
  // Overrides StoreOptions::durability for this call when set.
  // Default: unset (use the store's).
  std::optional<Durability> durability;

  // Queue the call's new events in the store's outbox, if it has one
  // (StoreOptions::outbox). False for events that came from head office (a
  // terminal following partitions, docs/sync.md): they must not travel
  // back. Default: true.
  bool outbox = true;
};

}  // namespace ckm

#endif  // CKM_OPTIONS_H_
