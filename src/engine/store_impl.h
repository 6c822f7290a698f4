// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The Store behind the public API. Its parts live in one file each: reads
// (store.cc), the write path (record.cc), Verify and Rebuild (verify.cc).
//
// Thread safety: as Store. Record() and Rebuild() take striped
// per-customer locks; reads take none and see RocksDB's consistent views.

#ifndef CKM_SRC_ENGINE_STORE_IMPL_H_
#define CKM_SRC_ENGINE_STORE_IMPL_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "ckm/identity.h"
#include "ckm/store.h"
#include "engine/breakdowns_buffer.h"
#include "engine/erase_plan.h"
#include "engine/history_page.h"
#include "engine/known_products.h"
#include "engine/latest_events.h"
#include "engine/read_policy.h"
#include "fold/fold.h"
#include "rocksdb/db.h"
#include "storage/damaged_tables.h"
#include "storage/db.h"
#include "storage/directory.h"
#include "storage/keys.h"

namespace ckm::engine {

inline constexpr std::size_t kLockStripes = 4096;

// A customer id given to a read call: the same rules as in events.
absl::Status CheckCustomerId(std::string_view id);
std::string IdentityName(IdentityType type, std::string_view value);
// The store's clock: the system clock, in UTC milliseconds (erase.cc).
std::int64_t NowMs();

// A change of customers (a merge, unmerge, unlink or erasure) and what its
// write carries beside it (change_travel.cc): with an id, the mark that it
// was applied here, so that it is applied once; when `queue`d, its entry
// in the outbox too. A change made on a store without an outbox has no id
// and writes neither.
struct ChangeTravel {
  OutboxChange change;
  bool queue = false;
};

// Where a customer id or an identity leads (engine/resolve.cc).
struct Resolved {
  // The customer named: its events' history goes under its own number.
  // 0 for an id the store has never seen.
  keys::CustomerNumber own = 0;
  std::string own_id;
  // The end of its chain of merges: the customer whose profile and
  // breakdowns take its events, and whose stripe guards them.
  keys::CustomerNumber root = 0;
  std::string root_id;
};

// A customer's profile and breakdowns as folded from their history.
struct Folded {
  fold::ProfileState profile;
  fold::Breakdowns breakdowns;
  std::int64_t corrupt_history = 0;
  std::int64_t events = 0;
  // The stored value could not be read: its block fails its checksum.
  bool unreadable_profile = false;
  bool unreadable_breakdowns = false;
};

// Holds a set of lock stripes, taken in ascending order, until destroyed.
class StripeLocks {
 public:
  StripeLocks(std::array<std::mutex, kLockStripes>& mutexes,
              std::vector<std::size_t> stripes);
  ~StripeLocks();
  StripeLocks(const StripeLocks&) = delete;
  StripeLocks& operator=(const StripeLocks&) = delete;

  bool Holds(std::size_t stripe) const;
  // Takes `more` as well, without waiting: the stripes held may be above
  // them, so waiting could deadlock. False, holding no more than before,
  // if one of them is busy.
  bool TryAdd(const std::vector<std::size_t>& more);

 private:
  std::array<std::mutex, kLockStripes>& mutexes_;
  std::vector<std::size_t> stripes_;
};

class StoreImpl final : public Store {
 public:
  StoreImpl(std::unique_ptr<storage::Db> db,
            std::unique_ptr<storage::Directory> directory,
            const StoreOptions& options);
  // Merges the breakdowns still in memory into the store.
  ~StoreImpl() override;

  // Reads the pending markers left without their deltas by an earlier
  // process: those customers' stored breakdowns lack events (stale_).
  absl::Status LoadStale();

  // Rewrites identity keys stored before normalisation in normalised form,
  // once per store (normalize_identities.cc).
  absl::Status NormalizeStoredIdentities();

  absl::StatusOr<RecordResult> Record(const Event& event,
                                      const RecordOptions& options) override {
    return Record(absl::MakeConstSpan(&event, 1), options);
  }
  absl::StatusOr<RecordResult> Record(absl::Span<const Event> events,
                                      const RecordOptions& options) override;
  absl::StatusOr<Profile> Get(std::string_view customer_id) const override {
    return Get(customer_id, ReadOptions());
  }
  absl::Status ForEachProfile(
      const std::function<bool(const Profile&)>& visit) const override {
    return ForEachProfile(visit, ReadOptions());
  }
  absl::StatusOr<StoreStats> Stats() const override;
  absl::StatusOr<std::string> Resolve(IdentityType type,
                                      std::string_view value) const override {
    return Resolve(type, value, ReadOptions());
  }
  absl::StatusOr<std::string> Resolve(IdentityType type, std::string_view value,
                                      const ReadOptions& read) const override;
  absl::StatusOr<Events> History(std::string_view customer_id,
                                 const HistoryQuery& query) const override {
    return History(customer_id, query, ReadOptions());
  }
  // read_access.cc
  absl::StatusOr<HistoryPage> ListHistory(
      std::string_view customer_id, const HistoryQuery& query,
      const ReadOptions& read) const override;
  absl::StatusOr<Events> Timeline(std::string_view customer_id, TimeRange range,
                                  std::size_t limit) const override {
    return Timeline(customer_id, range, limit, ReadOptions());
  }
  absl::StatusOr<std::vector<BreakdownEntry>> Breakdown(
      std::string_view customer_id, Dimension dimension) const override {
    return Breakdown(customer_id, dimension, ReadOptions());
  }
  absl::StatusOr<CustomerReport> Verify(
      std::string_view customer_id) const override;
  absl::StatusOr<StoreReport> VerifyAll() const override;
  absl::StatusOr<CustomerReport> Rebuild(std::string_view customer_id) override;
  absl::StatusOr<StoreReport> RebuildAll() override;
  absl::Status Flush() override;
  absl::Status CatchUp() override;
  absl::Status Merge(std::string_view survivor, std::string_view absorbed,
                     const IdentityChangeOptions& options) override;
  absl::Status Unmerge(std::string_view survivor, std::string_view absorbed,
                       const IdentityChangeOptions& options) override;
  absl::Status Unlink(IdentityType type, std::string_view value,
                      const IdentityChangeOptions& options) override;
  absl::StatusOr<CustomerIdentities> Identities(
      std::string_view customer_id) const override;

  // read_access.cc: reads checked against the access policy.
  absl::StatusOr<Profile> Get(std::string_view customer_id,
                              const ReadOptions& read) const override;
  absl::Status ForEachProfile(const std::function<bool(const Profile&)>& visit,
                              const ReadOptions& read) const override;
  absl::StatusOr<Events> History(std::string_view customer_id,
                                 const HistoryQuery& query,
                                 const ReadOptions& read) const override;
  absl::StatusOr<Events> Timeline(std::string_view customer_id, TimeRange range,
                                  std::size_t limit,
                                  const ReadOptions& read) const override;
  absl::StatusOr<std::vector<BreakdownEntry>> Breakdown(
      std::string_view customer_id, Dimension dimension,
      const ReadOptions& read) const override;
  // read_access.cc
  absl::StatusOr<std::string> Export(std::string_view customer_id,
                                     std::int64_t now_ms,
                                     const ReadOptions& read) const override;
  // erase.cc, erasure_log.cc
  absl::StatusOr<ErasureResult> Erase(std::string_view customer_id,
                                      std::string_view reason) override;
  absl::StatusOr<std::vector<ErasureEntry>> Erasures() const override;
  absl::StatusOr<std::optional<std::int64_t>> ErasedUpTo(
      std::string_view customer_id) const override;
  // access_audit.cc
  absl::StatusOr<std::vector<AccessEntry>> AccessLog(
      std::string_view customer_id) const override;
  absl::StatusOr<std::vector<AccessEntry>> ScanLog() const override;
  // At open: whether there are tombstones, the erasure log's next
  // sequence, and a read-write store finishes scrubs cut short
  // (erase_scrub.cc).
  absl::Status LoadErasures();

  // outbox.cc
  absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(
      std::size_t limit) const override;
  absl::Status RemoveFromOutbox(
      absl::Span<const std::uint64_t> sequences) override;
  absl::StatusOr<std::uint64_t> OutboxDepth() const override;
  // change_travel.cc
  absl::StatusOr<bool> ApplyChange(const OutboxChange& change) override;
  // At open: the next outbox sequence, above every entry and every one
  // removed (keys::kOutboxFloor).
  absl::Status LoadOutbox();
  // The outbox keys of the erased customers' queued events and of the
  // queued changes naming only them, for Erase. Entries that fail to
  // decode name nobody and are left.
  absl::StatusOr<std::vector<std::string>> OutboxKeysOf(
      const std::vector<std::string>& customer_ids) const;

  storage::Db& db() { return *db_; }
  // Forgets the breakdowns buffer without merging it, as a crash would.
  void AbandonBreakdownsBuffer() {
    for (const BreakdownsBuffer::Held& h : breakdowns_buffer_.Customers())
      breakdowns_buffer_.Drop(h.number);
  }
  const storage::Directory& directory() const { return *directory_; }

  // A page of the customer's history, whole and unaudited, whatever the
  // access policy: for ckm's own machinery (engine/machinery_reads.h).
  absl::StatusOr<HistoryPage> MachineryHistory(
      std::string_view customer_id, const HistoryQuery& query) const {
    return ListHistoryStored(customer_id, query);
  }

 private:
  friend class Recorder;

  static std::size_t StripeOf(std::string_view key);

  // access.cc
  // FailedPrecondition naming `call` unless the store was opened read-write.
  absl::Status CheckWritable(std::string_view call) const;
  // Every write of the store goes through here. After a failed write (a
  // full disk, an I/O error) or a failed background flush, RocksDB refuses
  // writes until it resumes. The next write first asks whether it is still
  // stopped; after a full disk RocksDB resumes by itself once there is room,
  // after other errors the store asks it to (DB::Resume). So the store
  // carries on once the cause is gone, and a write that still cannot go
  // through returns the error without touching the write-ahead log.
  rocksdb::Status Write(const rocksdb::WriteOptions& options,
                        rocksdb::WriteBatch* batch);
  rocksdb::Status ResumeIfStopped();

  // Merges the breakdowns buffer into the store, a few hundred customers at
  // a time, each batch under those customers' locks.
  absl::Status FlushBreakdowns(Durability durability);

  // The customer's breakdowns as the store knows them: the stored value and
  // the buffer's delta, or, for a customer with a pending marker but no
  // delta (stale), the fold of its purchase history. REQUIRES: the
  // customer's stripe is held. DataLoss if the stored value is corrupt.
  // With `only`, the stored value's rows of that dimension alone are
  // decoded (the others of the result are then incomplete).
  absl::StatusOr<fold::Breakdowns> CurrentBreakdowns(
      keys::CustomerNumber number,
      std::optional<Dimension> only = std::nullopt) const;
  absl::StatusOr<bool> HasPendingMarker(keys::CustomerNumber number) const;
  absl::StatusOr<fold::Breakdowns> FoldPurchases(
      keys::CustomerNumber number) const;
  bool IsStale(keys::CustomerNumber number) const;
  // Replaces a stale customer's stored breakdowns with the fold of its
  // purchases and deletes its marker. REQUIRES: the customer's stripe.
  absl::Status Settle(keys::CustomerNumber number);
  // Settles every stale customer (Flush, RebuildAll).
  absl::Status SettleAllStale();

  // The reads with an access context, checked against the policy but not
  // audited: read_access.cc, ScanProfiles and ResolveChecked in store.cc,
  // ExportChecked in export.cc.
  absl::StatusOr<Profile> GetChecked(std::string_view customer_id,
                                     const ReadOptions& read) const;
  absl::Status ScanProfiles(const std::function<bool(const Profile&)>& visit,
                            const ReadOptions& read) const;
  absl::StatusOr<std::vector<BreakdownEntry>> BreakdownChecked(
      std::string_view customer_id, Dimension dimension,
      const ReadOptions& read) const;
  absl::StatusOr<std::string> ResolveChecked(IdentityType type,
                                             std::string_view value,
                                             const ReadOptions& read) const;
  absl::StatusOr<std::string> ExportChecked(std::string_view customer_id,
                                            std::int64_t now_ms,
                                            const ReadOptions& read) const;

  // access_audit.cc: the access audit (StoreOptions::access_audit).
  // `result`, after appending an entry for the read of `customer_id` by
  // `call` that produced it; the audit's own error instead if the entry
  // could not be written. Bad input (InvalidArgument, a malformed id) and
  // customers the store does not know leave no entry.
  template <typename T>
  absl::StatusOr<T> Audited(std::string_view call, std::string_view customer_id,
                            const ReadOptions& read,
                            absl::StatusOr<T> result) const {
    if (!options_.access_audit) return result;
    absl::Status s = AuditRead(call, customer_id, read, result.status());
    if (!s.ok()) return s;
    return result;
  }
  absl::Status AuditRead(std::string_view call, std::string_view customer_id,
                         const ReadOptions& read,
                         const absl::Status& outcome) const;
  // One store-wide entry for a ForEachProfile that visited `profiles`.
  absl::Status AuditScan(const ReadOptions& read, std::int64_t profiles,
                         const absl::Status& outcome) const;
  // Writes one entry under `key`, unsynced. `number` is the customer's
  // (0: a scan); nothing is written for a number erased meanwhile.
  absl::Status AppendAccess(keys::CustomerNumber number, std::string key,
                            const AccessEntry& entry) const;
  // Erase: adds the group's access entries to `plan`. REQUIRES: audit_mu_
  // held exclusively, so that no read appends one between this survey and
  // the erasure's write.
  absl::Status PlanAccessLog(const std::vector<ErasedCustomer>& customers,
                             ErasurePlan& plan) const;

  // store.cc: the reads without the access policy.
  absl::StatusOr<Profile> GetStored(std::string_view customer_id) const;
  // REQUIRES: a valid id and dimension.
  absl::StatusOr<std::vector<BreakdownEntry>> BreakdownStored(
      std::string_view customer_id, Dimension dimension) const;
  absl::StatusOr<HistoryPage> ListHistoryStored(
      std::string_view customer_id, const HistoryQuery& query) const;
  absl::StatusOr<Events> HistoryStored(std::string_view customer_id,
                                       const HistoryQuery& query) const {
    absl::StatusOr<HistoryPage> page = ListHistoryStored(customer_id, query);
    if (!page.ok()) return page.status();
    return std::move(page->events);
  }
  // read_access.cc: a page of history less what `read` may not see.
  absl::StatusOr<HistoryPage> CheckedHistory(std::string_view customer_id,
                                             const HistoryQuery& query,
                                             const ReadOptions& read) const;
  absl::StatusOr<std::string> ResolveStored(IdentityType type,
                                            std::string_view value) const;
  // read_access.cc: what `read` may not see of the customer whose profile
  // is `profile` (nullptr: the customer is unknown).
  absl::StatusOr<Parts> Withheld(const ReadOptions& read,
                                 const Profile* profile) const;

  // erase.cc
  // Locks the stripes of `customer_id`, its root and every customer merged
  // with it, and lists them. NotFound for an unknown customer.
  absl::StatusOr<std::vector<ErasedCustomer>> LockGroup(
      std::string_view customer_id, std::optional<StripeLocks>& locks) const;
  absl::Status PutEmailTombstones(const ErasurePlan& plan, std::int64_t cutoff,
                                  rocksdb::WriteBatch& batch);
  absl::StatusOr<std::vector<std::uint64_t>> WriteErasure(
      const std::vector<ErasedCustomer>& customers, const ErasurePlan& plan,
      std::string_view reason, ChangeTravel& travel,
      std::optional<std::int64_t> cutoff_ms);
  // The caches forget the group; once `written`, the merge links too.
  void ForgetErased(const std::vector<ErasedCustomer>& customers, bool written);
  // erase_survey.cc. REQUIRES: the stripes LockGroup() takes.
  absl::StatusOr<GroupSurvey> Survey(std::vector<ErasedCustomer> group,
                                     keys::CustomerNumber root) const;
  absl::Status SurveyChanges(GroupSurvey& out) const;
  // erase_scrub.cc. `plan` nullptr: the erasures of `sequences` are not
  // known beyond their markers.
  absl::Status Scrub(const std::vector<std::uint64_t>& sequences,
                     const ErasurePlan* plan);
  absl::Status ScrubPending();
  // erasure_log.cc
  // For each id, the cutoff of its erasure (events dated up to it are
  // refused), or nullopt if it was never erased. Cheap when none was.
  // `look_always`: even when this process has seen no tombstone (a
  // follower, whose primary may have written some since it opened).
  absl::StatusOr<std::vector<std::optional<std::int64_t>>> ErasureCutoffs(
      const std::vector<std::string_view>& ids, bool look_always = false) const;

  // The customer's number; nullopt for a customer the store has never seen.
  absl::StatusOr<std::optional<keys::CustomerNumber>> NumberOf(
      std::string_view customer_id) const {
    return directory_->Find(customer_id);
  }

  // resolve.cc
  // An identity value in the form its key uses (NormalizeIdentity with the
  // store's options); InvalidArgument naming `field` if it cannot be
  // normalised or is blocked (IdentityOptions::blocked_values).
  absl::StatusOr<std::string> NormalizedIdentity(IdentityType type,
                                                 std::string_view value,
                                                 std::string_view field) const;
  // Fills in the root of `r.own` (REQUIRES: r.own != 0 and r.own_id set).
  absl::Status ResolveRoot(Resolved& r) const;
  // A known customer id; nullopt if the store has never seen it.
  absl::StatusOr<std::optional<Resolved>> ResolveId(std::string_view id) const;
  // A linked identity (normalised); nullopt if it is not linked.
  absl::StatusOr<std::optional<Resolved>> ResolveIdentity(
      IdentityType type, std::string_view normalized) const;
  // Locks the stripes of `ids` and of their roots, resolving them under the
  // locks until the roots stop changing (a merge may move them in between).
  // NotFound for an unknown id. `extra` stripes are locked too.
  absl::StatusOr<std::vector<Resolved>> LockResolved(
      const std::vector<std::string_view>& ids, std::vector<std::size_t> extra,
      std::optional<StripeLocks>& locks) const;
  // Every number whose history belongs to `root`'s profile.
  std::vector<keys::CustomerNumber> GroupOf(keys::CustomerNumber root) const {
    return directory_->Group(root);
  }
  // The identities that resolve to `root` now, normalised and sorted: those
  // its profile lists (every identity its group's history linked) that
  // still lead to it.
  absl::StatusOr<std::vector<std::pair<IdentityType, std::string>>>
  CurrentIdentities(keys::CustomerNumber root) const;
  // A logged write after unlogged ones (kNone) first makes those durable:
  // what it writes builds on them (see wrote_unlogged_). REQUIRES: the
  // stripes of every customer the write builds on.
  absl::Status SettleUnlogged();

  // Appends the events of `cf` stored under member `number` of the
  // customer's group that match `query` (at most query.limit of them),
  // after `after` if set.
  absl::Status Scan(rocksdb::ColumnFamilyHandle* cf, std::string_view customer,
                    keys::CustomerNumber number, const HistoryQuery& query,
                    const std::optional<HistoryPosition>& after,
                    std::vector<MemberEvent>& out) const;

  // The customer's stored breakdowns as RocksDB holds them: a base value and
  // the merge operands not yet folded into it, unmerged. The views point into
  // `operands`, scratch space reused between calls; the caller resets it.
  absl::StatusOr<std::vector<std::string_view>> StoredBreakdowns(
      keys::CustomerNumber number,
      std::vector<rocksdb::PinnableSlice>& operands) const;

  // change_travel.cc
  // The travel of a change made here, of `kind`: queued with a fresh id
  // when the store has an outbox and `queue`. Sets options.ts_ms if unset,
  // so that the change record and the queued change agree.
  ChangeTravel LocalTravel(OutboxChange::Kind kind,
                           IdentityChangeOptions& options) const;
  // Adds the change's applied mark and outbox entry to `batch`.
  rocksdb::Status AddTravel(rocksdb::WriteBatch& batch,
                            const ChangeTravel& travel);
  // A change from elsewhere that found nothing to change is still applied:
  // writes its mark alone. Nothing for a change made here.
  absl::Status MarkApplied(const ChangeTravel& travel);
  absl::StatusOr<bool> IsApplied(std::string_view change_id) const;
  // erase.cc: ApplyChange of an erasure.
  absl::Status ApplyErase(const ChangeTravel& travel);

  // identity.cc: the travel of a merge or unmerge made here (LocalTravel
  // naming both customers).
  ChangeTravel PairTravel(OutboxChange::Kind kind, std::string_view survivor,
                          std::string_view absorbed,
                          IdentityChangeOptions& options) const;
  // identity.cc: Merge, Unmerge and Unlink with their travel. `owner`, if
  // set, is the customer the identity must lead to.
  absl::Status MergeWith(std::string_view survivor, std::string_view absorbed,
                         const IdentityChangeOptions& options,
                         ChangeTravel travel);
  absl::Status UnmergeWith(std::string_view survivor, std::string_view absorbed,
                           const IdentityChangeOptions& options,
                           ChangeTravel travel);
  absl::Status UnlinkWith(IdentityType type, std::string_view value,
                          const IdentityChangeOptions& options,
                          ChangeTravel travel,
                          std::optional<std::string_view> owner);
  // erase.cc: Erase with its travel; `cutoff_ms` replaces the store's clock
  // as the erasure's time (a change from elsewhere keeps its own).
  absl::StatusOr<ErasureResult> EraseWith(
      std::string_view customer_id, std::string_view reason,
      ChangeTravel travel, std::optional<std::int64_t> cutoff_ms);

  // identity.cc
  absl::Status CheckMergeLimits(const Resolved& survivor,
                                const Resolved& absorbed) const;
  absl::Status MergeLocked(const Resolved& survivor, const Resolved& absorbed,
                           const IdentityChangeOptions& options,
                           const ChangeTravel& travel);
  absl::Status UnmergeLocked(const Resolved& survivor, const Resolved& absorbed,
                             const IdentityChangeOptions& options,
                             const ChangeTravel& travel);
  IdentityChange ChangeOf(IdentityChange::Kind kind,
                          const IdentityChangeOptions& options) const;
  // Forgets what the caches know of a group whose members change.
  void ForgetGroup(keys::CustomerNumber root, std::string_view root_id);

  // verify.cc
  // Folds the history of every number in `numbers` into one profile, the
  // profile of `root_id`.
  absl::Status FoldHistory(std::string_view root_id,
                           const std::vector<keys::CustomerNumber>& numbers,
                           Folded& folded) const;
  absl::StatusOr<CustomerReport> VerifyLocked(std::string_view customer_id,
                                              const Resolved& who,
                                              Folded* folded_out) const;
  absl::StatusOr<StoreReport> ForAllCustomers(
      const std::function<absl::StatusOr<CustomerReport>(const std::string&)>&
          check) const;
  // Writes the fold. With `note_damage`, a stored value it could not read
  // is noted for RetireDamagedTables().
  absl::StatusOr<CustomerReport> RebuildLocked(std::string_view customer_id,
                                               const Resolved& who,
                                               bool note_damage = true);
  absl::StatusOr<CustomerReport> RebuildIfDamaged(const std::string& customer);
  // Adds to `batch` the writes that make `root`'s stored profile and
  // breakdowns `folded` (and clear every other group member's).
  rocksdb::Status AddRebuilt(rocksdb::WriteBatch& batch,
                             keys::CustomerNumber root,
                             const std::vector<keys::CustomerNumber>& group,
                             const Folded& folded);
  // After such a write: the buffer, stale set and product cache forget it.
  void ForgetRebuilt(keys::CustomerNumber root, std::string_view root_id);
  absl::Status CompareBreakdowns(keys::CustomerNumber number,
                                 const fold::Breakdowns& folded,
                                 CustomerReport& report,
                                 bool& unreadable) const;

  // damaged_tables.cc
  // A rebuild replaced the value under `key` of `cf`, which it could not
  // read (its block fails its checksum).
  void NoteDamagedBlock(rocksdb::ColumnFamilyHandle* cf, std::string key);
  // Takes the table files holding the noted blocks out of the tree, so that
  // no compaction meets them (storage/damaged_tables.h): first gives every
  // key in such a file's range a newer entry (CarryForward), then removes
  // the file. A file RocksDB cannot remove alone stays; the next compaction
  // of it fails (docs/reliability.md). On an error the noted blocks stay
  // noted. REQUIRES: no stripe held.
  absl::Status RetireDamagedTables();
  absl::Status RetireTablesOf(
      const std::vector<std::pair<rocksdb::ColumnFamilyHandle*, std::string>>&
          noted);
  absl::Status RetireTable(rocksdb::ColumnFamilyHandle* cf,
                           const storage::DamagedTable& table);
  // Writes, unsynced, a newer entry for customer `number`'s key in `cf`:
  // its current value copied (read through its merges), a deletion where
  // it has none (an erased customer, one merged into another), or, where
  // the value cannot be read, the root's fold of its history.
  absl::Status CarryForward(rocksdb::ColumnFamilyHandle* cf,
                            keys::CustomerNumber number);

  std::unique_ptr<storage::Db> db_;
  std::unique_ptr<storage::Directory> directory_;
  const StoreOptions options_;
  // Guarded per customer by the customer's stripe.
  KnownProducts known_products_;
  BreakdownsBuffer breakdowns_buffer_;
  // Set once a Record() has written without the WAL (kNone). From then on
  // the buffer's merges are written without the WAL too: a merge derived
  // from unlogged events must not outlive them in a crash (a logged merge
  // would be replayed while its events are gone). Unlogged, it becomes
  // durable in the same atomic flush as they do, and until then its pending
  // marker stays on disk, so a crash leaves the customer stale, not wrong.
  // The next logged Record() flushes the memtables first and clears it
  // (Recorder::SettleUnlogged).
  std::atomic<bool> wrote_unlogged_{false};
  // The duplicate check's memory of customers this process numbered, one
  // per lock stripe and guarded by it: 64 customers a stripe, 262,144 in
  // all (about 10 MB at most, estimated from the entry size).
  std::array<LatestEvents, kLockStripes> latest_events_;
  // Customers whose pending marker an earlier process left (see LoadStale).
  mutable std::mutex stale_mu_;
  absl::flat_hash_set<keys::CustomerNumber> stale_;  // guarded by stale_mu_
  // Striped per-customer locks: Record() holds the stripes of every customer
  // (and identity) in its batch, in ascending order, from the directory
  // lookup to the end of the write, so that two threads recording the same
  // customer give it one number and count each event once.
  //
  // std::mutex rather than absl::Mutex: a batch holds hundreds of stripes at
  // once, and Debian's Abseil runs its deadlock detector's lock graph on
  // every such acquisition (2% of an import's CPU). The stripes are always
  // taken in ascending order, so there is no cycle for it to find.
  mutable std::array<std::mutex, kLockStripes> stripes_;
  // Erasures run one at a time; a sequence numbers each.
  std::mutex erase_mu_;
  std::uint64_t next_erasure_ = 1;  // guarded by erase_mu_
  bool scrub_pending_ = false;      // guarded by erase_mu_
  std::atomic<bool> has_tombstones_{false};
  // The next outbox sequence; Record() takes a run of them per batch. A
  // batch that fails leaves a gap, never a sequence used twice.
  std::atomic<std::uint64_t> next_outbox_{1};
  // Removals from the outbox run one at a time, so that the floor they
  // write only grows.
  std::mutex outbox_mu_;
  // ApplyChange runs one at a time: a change is looked up as applied and
  // applied with nothing in between (changes are rare; events never wait).
  std::mutex apply_mu_;
  // The access audit. Audited reads take no stripe lock (they would wait on
  // a Record's synced write); instead each append holds audit_mu_ shared,
  // and Erase holds it exclusively from listing a group's entries to
  // writing their deletion, then notes the group's numbers: an append for
  // a number erased meanwhile writes nothing.
  mutable std::shared_mutex audit_mu_;
  absl::flat_hash_set<keys::CustomerNumber>
      erased_numbers_;  // guarded by audit_mu_
  // Keeps entries of the same millisecond apart. Starts at RocksDB's
  // sequence number, which every earlier entry's write advanced.
  mutable std::atomic<std::uint64_t> next_access_{0};
  // Set by a write that failed; cleared by a successful DB::Resume().
  std::atomic<bool> write_failed_{false};
  // RocksDB's count of background errors at the last resume.
  std::atomic<std::uint64_t> resumed_background_errors_{0};
  std::mutex resume_mu_;
  // Blocks a rebuild could not read, awaiting RetireDamagedTables().
  std::mutex damaged_mu_;
  std::vector<std::pair<rocksdb::ColumnFamilyHandle*, std::string>>
      damaged_blocks_;  // guarded by damaged_mu_
};

}  // namespace ckm::engine

#endif  // CKM_SRC_ENGINE_STORE_IMPL_H_
