// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Store: a local, embedded store of customer events and profiles.
//
// Thread safety: a Store is safe for concurrent use by many threads without
// external synchronization; Record(), Get() and every query may run at once.
// Only one read-write Store (one process) may have a directory open at a
// time; a second read-write Open() of the same directory fails with
// Unavailable. Any number of followers (StoreOptions::access) may read it
// meanwhile, in other processes.
//
// Ownership: Open() hands the caller the only owner of the Store. Destroying
// it closes the store. Values it returns (Profile, Events, ...) own their
// bytes and outlive it.
//
// Errors (absl::Status codes):
//   InvalidArgument     bad caller input (a malformed event, or a customer
//                       id that no event could have: empty, over 128 bytes,
//                       NUL, invalid UTF-8); for Record() the message names
//                       "events[i].field"; nothing was written.
//   NotFound            unknown customer (Get, Verify, Rebuild), unknown
//                       identity (Resolve), or no store at the path when
//                       StoreOptions::create_if_missing is false.
//   AlreadyExists       Open() with StoreOptions::error_if_exists on a store.
//   DataLoss            stored bytes failed verification.
//   FailedPrecondition  the directory holds an incompatible store.
//   FailedPrecondition  also: a write on a read-only or follower Store, a
//                       merge or unmerge the store refuses (the message
//                       names the rule, see docs/identity.md), and Record()
//                       of an erased customer's event dated up to its
//                       erasure (IsErasedReplay() tells it apart).
//   ResourceExhausted   the disk is full; reads keep working; writes go on
//                       once space is freed (or after reopening, see
//                       docs/reliability.md).
//   Unavailable/Internal an I/O error, with RocksDB's message; Unavailable
//                       also when another process holds the store.

#ifndef CKM_STORE_H_
#define CKM_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ckm/access.h"
#include "ckm/event.h"
#include "ckm/identity.h"
#include "ckm/options.h"
#include "ckm/outbox.h"
#include "ckm/profile.h"
#include "ckm/query.h"

namespace ckm {

// What a Record() call did.
struct RecordResult {
  std::size_t recorded = 0;          // events written now
  std::size_t already_recorded = 0;  // recognised as recorded before (or twice
                                     // in this batch) and skipped
};

// Size figures of a store (Store::Stats()). Counts of keys are RocksDB's
// estimates: exact after a compaction, close otherwise.
struct StoreStats {
  std::int64_t customers = 0;  // profiles
  std::int64_t purchases = 0;  // history events per column family
  std::int64_t interactions = 0;
  std::int64_t loyalty = 0;
  std::int64_t changes = 0;  // attribute, consent and identity events
  std::int64_t customers_with_breakdowns = 0;  // who bought anything
  std::int64_t identities = 0;
  std::int64_t disk_bytes = 0;  // SST files plus write-ahead log
  std::int64_t memtable_bytes = 0;
};

// What Store::Erase() removed (counts only: an erasure keeps no personal
// data, not even in its own result).
struct ErasureResult {
  std::int64_t events = 0;      // history events of every kind
  std::int64_t identities = 0;  // identities that named the customer
  // The customer and everyone merged with it: an erasure removes the whole
  // merged group (docs/privacy.md). 1 for a customer never merged.
  std::int64_t customers = 1;
};

// One entry of the erasure audit log (Store::Erasures()).
struct ErasureEntry {
  std::uint64_t sequence = 0;  // 1, 2, ... in the order of erasure
  std::int64_t erased_ms = 0;  // the system clock when it was erased
  std::string id_hash;         // hex SHA-256 of the id (docs/privacy.md)
  std::string reason;          // as given to Erase()
  // Of this customer alone; an erasure of a merged group writes one entry
  // per customer, with consecutive sequence numbers.
  std::int64_t events = 0;
  std::int64_t identities = 0;
  std::int64_t customers = 1;  // customers the same Erase() removed
};

// Whether `status` is Record()'s refusal of a replay of erased data: an
// event of an erased customer dated up to its erasure, named by its id or
// by an email address the erasure removed (docs/privacy.md).
// Code that keeps refused events for later (a dead-letter queue) should
// not keep those: they are what the erasure removed.
bool IsErasedReplay(const absl::Status& status);

class Store {
 public:
  // Opens (or creates, with its parent directories, see
  // StoreOptions::create_if_missing) the store in directory `path`. Refuses,
  // with FailedPrecondition, a store written with another format version or
  // merge operator.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Store>> Open(
      std::string_view path, const StoreOptions& options = {});

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  // Records one event, or a batch atomically: every event is validated first
  // (one bad event rejects the whole batch and nothing is written), events
  // naming a customer by identity are resolved, events already recorded are
  // skipped, and the rest is written in one atomic batch with the configured
  // durability. Safe to retry with the same events after any error.
  [[nodiscard]] virtual absl::StatusOr<RecordResult> Record(
      const Event& event, const RecordOptions& options = {}) = 0;
  [[nodiscard]] virtual absl::StatusOr<RecordResult> Record(
      absl::Span<const Event> events, const RecordOptions& options = {}) = 0;

  // The customer's current profile: for a customer merged into another,
  // the survivor's. NotFound for a customer with no events.
  [[nodiscard]] virtual absl::StatusOr<Profile> Get(
      std::string_view customer_id) const = 0;

  // Calls `visit` with every customer's profile, in the order the customers
  // were first recorded (customer-number order), until it returns false. Reads
  // one consistent snapshot. A profile that fails verification ends the scan
  // with DataLoss (after the profiles before it).
  [[nodiscard]] virtual absl::Status ForEachProfile(
      const std::function<bool(const Profile&)>& visit) const = 0;

  // Sizes and counts of the store.
  [[nodiscard]] virtual absl::StatusOr<StoreStats> Stats() const = 0;

  // The customer id an identity leads to: the customer it is linked to or,
  // if that customer was merged into another, the survivor. The value is
  // normalised first (NormalizeIdentity). NotFound if it is not linked.
  [[nodiscard]] virtual absl::StatusOr<std::string> Resolve(
      IdentityType type, std::string_view value) const = 0;

  // The customer's events, filtered by query.kind and query.range. An unknown
  // customer has an empty history (not NotFound), as for Timeline() and
  // Breakdown(): no events is a valid answer to "what happened".
  [[nodiscard]] virtual absl::StatusOr<Events> History(
      std::string_view customer_id, const HistoryQuery& query = {}) const = 0;

  // The same events as History(), one page at a time: the page says when the
  // limit cut it, and its next_cursor (HistoryQuery::cursor) continues after
  // its last event. A cursor is a position in time, so events recorded
  // meanwhile appear on later pages if they sort after it. InvalidArgument
  // for a malformed cursor, one made by a query of the other direction, or
  // attribute_key / consent_purpose that no event could have (or both, or
  // with another kind).
  // With an access context as History(customer, query, read) below.
  [[nodiscard]] virtual absl::StatusOr<HistoryPage> ListHistory(
      std::string_view customer_id, const HistoryQuery& query = {},
      const ReadOptions& read = {}) const = 0;

  // Every kind of event of the customer, newest first, within `range`, at
  // most `limit` of them (0: no limit). It does not say whether the limit
  // cut the result: ListHistory() does (HistoryPage::next_cursor), and
  // pages on from there.
  [[nodiscard]] virtual absl::StatusOr<Events> Timeline(
      std::string_view customer_id, TimeRange range = {},
      std::size_t limit = 100) const = 0;

  // Per-product, per-store or per-category statistics of the customer,
  // sorted by key. With an access context as Breakdown(customer, dimension,
  // read) below.
  [[nodiscard]] virtual absl::StatusOr<std::vector<BreakdownEntry>> Breakdown(
      std::string_view customer_id, Dimension dimension) const = 0;

  // Checks that the customer's stored profile and breakdowns equal the fold
  // of their history. NotFound for an unknown customer.
  [[nodiscard]] virtual absl::StatusOr<CustomerReport> Verify(
      std::string_view customer_id) const = 0;
  // The same for every customer in the store.
  [[nodiscard]] virtual absl::StatusOr<StoreReport> VerifyAll() const = 0;

  // Recomputes the customer's profile and breakdowns from their history and
  // replaces the stored ones (durably). Repairs what Verify() reports, as
  // long as the history itself is intact. Returns the report from before.
  [[nodiscard]] virtual absl::StatusOr<CustomerReport> Rebuild(
      std::string_view customer_id) = 0;
  // The same for every customer; rebuilds only damaged ones.
  [[nodiscard]] virtual absl::StatusOr<StoreReport> RebuildAll() = 0;

  // --- Privacy (docs/privacy.md) ---
  // Reads with an access context, checked against StoreOptions::
  // access_policy (ckm/access.h). The overloads above read as ReadOptions{}.
  // PermissionDenied for a role the policy does not name, or when a call asks
  // for a withheld part by name.
  [[nodiscard]] virtual absl::StatusOr<Profile> Get(
      std::string_view customer_id, const ReadOptions& read) const = 0;
  [[nodiscard]] virtual absl::Status ForEachProfile(
      const std::function<bool(const Profile&)>& visit,
      const ReadOptions& read) const = 0;
  [[nodiscard]] virtual absl::StatusOr<Events> History(
      std::string_view customer_id, const HistoryQuery& query,
      const ReadOptions& read) const = 0;
  [[nodiscard]] virtual absl::StatusOr<Events> Timeline(
      std::string_view customer_id, TimeRange range, std::size_t limit,
      const ReadOptions& read) const = 0;
  // PermissionDenied for kProduct and kCategory unless the role may see
  // purchase lines (their keys name products and categories). Per-store
  // rows are figures, which every role that may read sees. The purpose does
  // not matter: consent covers the personal parts, and purchase lines are
  // not one of them.
  [[nodiscard]] virtual absl::StatusOr<std::vector<BreakdownEntry>> Breakdown(
      std::string_view customer_id, Dimension dimension,
      const ReadOptions& read) const = 0;
  // PermissionDenied unless the role may see identities.
  [[nodiscard]] virtual absl::StatusOr<std::string> Resolve(
      IdentityType type, std::string_view value,
      const ReadOptions& read) const = 0;

  // Everything held on the customer as one JSON document, versioned and
  // documented in docs/privacy.md: the profile (derived figures as of
  // now_ms), every event with every field (oldest first, in the form of
  // ckm/event_json.h, so `ckm record` takes it back), the identities, and
  // each consent with its history. NotFound for an unknown customer;
  // PermissionDenied when the access context withholds any part.
  [[nodiscard]] virtual absl::StatusOr<std::string> Export(
      std::string_view customer_id, std::int64_t now_ms,
      const ReadOptions& read = {}) const = 0;

  // Removes everything held on the customer, in one atomic write: profile,
  // breakdowns, every history event, directory entries, every identity
  // linked to it, its merges and identity changes, and every cache entry;
  // then compacts the ranges and rotates the write-ahead log so that no file
  // of the store keeps the bytes. A merged customer, survivor or absorbed,
  // is erased with its whole merged group, everyone merged with it and
  // their aliases (docs/privacy.md; Unmerge() first to erase one alone).
  // Leaves per customer erased a tombstone holding only a hash of the id,
  // which refuses later events dated up to the erasure (a replay) with
  // FailedPrecondition, and an entry in the erasure log. `reason` is kept in
  // the log as given: it must hold no personal data. NotFound for an
  // unknown customer. On a store with an outbox the erasure is queued for
  // head office in the same write, with the ids of the customers erased
  // (docs/sync.md), and the group's queued events (and queued changes
  // naming no one else) leave it.
  [[nodiscard]] virtual absl::StatusOr<ErasureResult> Erase(
      std::string_view customer_id, std::string_view reason) = 0;
  // The access audit (StoreOptions::access_audit, docs/privacy.md): the
  // audited reads of `customer_id` itself (not of the customers merged with
  // it), oldest first. Not itself audited. Works with the audit off too
  // (it lists what an earlier open recorded). InvalidArgument for a
  // malformed id, NotFound for a customer the store does not know.
  [[nodiscard]] virtual absl::StatusOr<std::vector<AccessEntry>> AccessLog(
      std::string_view customer_id) const = 0;
  // The audited ForEachProfile scans (one entry each, with the count of
  // profiles visited), oldest first.
  [[nodiscard]] virtual absl::StatusOr<std::vector<AccessEntry>> ScanLog()
      const = 0;
  // The erasure audit log, oldest first.
  [[nodiscard]] virtual absl::StatusOr<std::vector<ErasureEntry>> Erasures()
      const = 0;
  // Whether `customer_id` was erased here, and the cutoff its tombstone
  // holds (events dated up to it are replays, docs/privacy.md); nullopt if
  // it never was. As with Record(), whoever holds the store can confirm an
  // id they guess this way, and nothing more. Sync uses it to keep no
  // erased id in what it sends on or keeps (docs/sync.md).
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::int64_t>> ErasedUpTo(
      std::string_view customer_id) const = 0;

  // Flushes memtables to disk: makes everything recorded with kNone durable.
  // Also merges the breakdowns held in memory into the store (see
  // StoreOptions::breakdowns_buffer_bytes), and refolds from history those
  // an earlier process left unmerged when it crashed.
  [[nodiscard]] virtual absl::Status Flush() = 0;

  // Merges customer `absorbed` into `survivor`, atomically and durably
  // (synced, whatever the store's durability): from then on `absorbed` and
  // every identity that led to it lead to `survivor`, whose profile,
  // breakdowns, History() and Timeline() hold both customers' events, past
  // and future. Each event's history stays under the customer it named, so
  // Unmerge() can split them again exactly. Recorded in both customers'
  // Identities().changes with options' actor and reason. Merging a customer
  // already merged into `survivor` is OK and changes nothing. NotFound for
  // an unknown customer; InvalidArgument if both are the same id;
  // FailedPrecondition if `absorbed` is already merged into another
  // customer, if `survivor` is merged into `absorbed`, or if a rule of
  // IdentityOptions refuses it (the message names the rule). On a store
  // with an outbox, a merge, unmerge or unlink that changes something is
  // queued for head office in the same write (IdentityChangeOptions::outbox,
  // docs/sync.md); one that changes nothing, or is refused, queues nothing.
  [[nodiscard]] virtual absl::Status Merge(
      std::string_view survivor, std::string_view absorbed,
      const IdentityChangeOptions& options = {}) = 0;

  // Undoes the merge of `absorbed` (and whatever was merged into it) into
  // `survivor` (or into a customer merged into `survivor`): both get back
  // the events that named them or their identities, including those
  // recorded since the merge, and profiles and breakdowns refolded from
  // them. Atomic and durable like Merge(). FailedPrecondition if `absorbed`
  // is not merged into `survivor`.
  [[nodiscard]] virtual absl::Status Unmerge(
      std::string_view survivor, std::string_view absorbed,
      const IdentityChangeOptions& options = {}) = 0;

  // Unlinks an identity: it no longer names any customer, and may be linked
  // again by a later Identity event, to anyone. Events already recorded stay
  // with the customer they were recorded for. Durable like Merge(), and
  // recorded in the customer's changes. NotFound if it is not linked.
  [[nodiscard]] virtual absl::Status Unlink(
      IdentityType type, std::string_view value,
      const IdentityChangeOptions& options = {}) = 0;

  // The customer's identities, aliases and recorded changes. NotFound for an
  // unknown customer.
  [[nodiscard]] virtual absl::StatusOr<CustomerIdentities> Identities(
      std::string_view customer_id) const = 0;

  // A follower (StoreOptions::access == Access::kFollower): reads what the
  // writing process has written since the follower opened or last caught
  // up, so that later reads see every event the writer had acknowledged
  // when CatchUp() began. A read-write Store is always current: OK.
  // FailedPrecondition on a read-only Store.
  [[nodiscard]] virtual absl::Status CatchUp() = 0;

  // --- Outbox (StoreOptions::outbox, ckm/outbox.h, docs/sync.md) ---
  // The oldest `limit` entries of the outbox (0: all), oldest first. Empty
  // for a store without an outbox. DataLoss if an entry fails verification.
  [[nodiscard]] virtual absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(
      std::size_t limit) const = 0;
  // Removes entries by sequence, once their events are safely elsewhere
  // (a sync agent calls it after the server's acknowledgement). Sequences
  // not in the outbox are ignored. Written to the write-ahead log without
  // an fsync: a removal a power cut loses only makes the agent publish the
  // event again, which its identity makes harmless. FailedPrecondition on
  // a read-only or follower Store.
  [[nodiscard]] virtual absl::Status RemoveFromOutbox(
      absl::Span<const std::uint64_t> sequences) = 0;
  // How many entries the outbox holds (0 without one). Counts them: its
  // cost grows with the depth.
  [[nodiscard]] virtual absl::StatusOr<std::uint64_t> OutboxDepth() const = 0;

  // Applies a change that another store queued (OutboxEntry::change), as a
  // partition node or following terminal does with what it receives: the
  // merge, unmerge, unlink or erasure it describes, never queued again in
  // this store's outbox. At most once per change id: returns true if it
  // was applied now, false if this store applied (or made) it before, so a
  // redelivery changes nothing. An erasure erases each of `erased` the
  // store knows, with its merged group, and leaves a tombstone for the
  // others, so that their events dated up to `ts_ms` are refused later;
  // a customer erased here already as late as `ts_ms` or later (a copy
  // of the erasure arriving late, the customer since recorded anew) is
  // left as it is.
  // InvalidArgument for a malformed change; NotFound when a customer or
  // identity it names is unknown here (its events may still be on their
  // way); FailedPrecondition when the store refuses it as Merge(),
  // Unmerge() would, or when the identity of an unlink leads to another
  // customer here.
  [[nodiscard]] virtual absl::StatusOr<bool> ApplyChange(
      const OutboxChange& change) = 0;

 protected:
  Store() = default;
};

}  // namespace ckm

#endif  // CKM_STORE_H_
