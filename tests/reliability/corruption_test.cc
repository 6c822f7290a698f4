// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Corruption: damaged bytes in a stored profile, in SST files and in the
// write-ahead log. Whatever the damage, every read either fails with a clean
// status or returns exactly what was stored before the damage, nothing
// crashes (this suite also runs under ASan/UBSan), Verify() reports damaged
// profiles, and Rebuild() restores them while the history is intact.
//
// What protects what (RocksDB 7.8 with ckm's options):
//   * A profile value carries no checksum of its own. Profile::FromBytes runs
//     the FlatBuffers Verifier (and checks the file identifier), so damage to
//     the header, the offsets or a vtable is DataLoss; a flipped byte inside a
//     scalar field yields a well-formed profile with a wrong number, which
//     only Verify() (stored bytes == encode(fold(history))) can see. Rebuild()
//     writes the fold back.
//   * SST files: every block has a CRC32c checksum, and ReadOptions::
//     verify_checksums is on by default, so a read that touches a damaged
//     block fails with Corruption (DataLoss to ckm). paranoid_checks (on by
//     default) makes RocksDB check at open that every live SST file exists
//     with its recorded size, and turns a corruption met by a background
//     flush or compaction into a background error: the database then refuses
//     writes until it is reopened. A damaged footer or meta-index makes the
//     table unreadable, so Open or the first read of it fails cleanly. Damage
//     RocksDB never reads (e.g. parts of the properties block it ignores)
//     changes nothing.
//   * The WAL: each record has a CRC32c. ckm keeps RocksDB's default
//     wal_recovery_mode, kPointInTimeRecovery: replay stops at the first bad
//     record and drops the rest of the log. The store then opens at a
//     consistent earlier point: each batch is one WAL record, so a batch is
//     there whole or not at all, and profile == fold(history) still holds,
//     but acknowledged batches after the damage are gone. If the damage
//     reaches the records that created the store, Open fails cleanly
//     (FailedPrecondition "not a ckm store", or a RocksDB error).

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "rocksdb/db.h"
#include "rocksdb/metadata.h"
#include "storage/keys.h"
#include "storage/store_internal.h"
#include "test_util.h"

namespace ckm {
namespace {

namespace fs = std::filesystem;
using ckm_test::EventGen;
using ckm_test::TempDir;

constexpr int kCustomers = 4;
constexpr std::int64_t kNowMs = 1'700'000'000'000;

std::vector<std::string> Customers() {
  std::vector<std::string> out;
  for (int c = 0; c < kCustomers; ++c)
    out.push_back("cust-" + std::to_string(c));
  return out;
}

std::unique_ptr<Store> OpenStore(const std::string& path,
                                 StoreOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, options);
  REQUIRE_OK(store);
  return *std::move(store);
}

// Records `n` random events in batches of `batch`; returns the batches.
std::vector<std::vector<Event>> Populate(Store& store, int n, int batch,
                                         std::uint64_t seed,
                                         Durability durability) {
  EventGen gen(seed, kCustomers);
  RecordOptions options;
  options.durability = durability;
  std::vector<std::vector<Event>> batches;
  for (int i = 0; i < n; i += batch) {
    batches.push_back(gen.Events(std::min(batch, n - i)));
    REQUIRE_OK(store.Record(batches.back(), options));
  }
  return batches;
}

std::string Render(const std::vector<BreakdownEntry>& entries) {
  std::string out;
  for (const BreakdownEntry& e : entries) {
    out += e.key + ":" + std::to_string(e.orders) + "," +
           std::to_string(e.returns) + "," + std::to_string(e.units) + "," +
           std::to_string(e.returned_units) + "," +
           std::to_string(e.first_purchase_ms.value_or(-1)) + "," +
           std::to_string(e.last_purchase_ms.value_or(-1));
    for (const BreakdownMoney& m : e.money) {
      out += "," + m.currency + "=" + std::to_string(m.gross_micros) + "/" +
             std::to_string(m.returned_micros);
    }
    out += ";";
  }
  return out;
}

constexpr Dimension kDimensions[] = {Dimension::kProduct, Dimension::kStore,
                                     Dimension::kCategory};

// Everything the read API says about each customer.
struct Snapshot {
  std::map<std::string, std::string> profiles;  // customer -> bytes
  std::map<std::string, Events> history;        // oldest first
  std::map<std::string, Events> timeline;       // newest first
  std::map<std::string, std::string> breakdowns;
};

HistoryQuery AllOldestFirst() {
  HistoryQuery q;
  q.limit = 0;
  q.newest_first = false;
  return q;
}

// A report of a stored value that failed RocksDB's own checks.
bool Unreadable(const CustomerReport& report) {
  return report.detail.find("is unreadable") != std::string::npos;
}

Snapshot Capture(const Store& store) {
  Snapshot snap;
  for (const std::string& c : Customers()) {
    absl::StatusOr<Profile> profile = store.Get(c);
    REQUIRE_OK(profile);
    snap.profiles[c] = std::string(profile->bytes());
    absl::StatusOr<Events> history = store.History(c, AllOldestFirst());
    REQUIRE_OK(history);
    snap.history[c] = *history;
    absl::StatusOr<Events> timeline = store.Timeline(c, {}, 0);
    REQUIRE_OK(timeline);
    snap.timeline[c] = *timeline;
    for (Dimension d : kDimensions) {
      absl::StatusOr<std::vector<BreakdownEntry>> b = store.Breakdown(c, d);
      REQUIRE_OK(b);
      snap.breakdowns[c] += Render(*b) + "|";
    }
  }
  return snap;
}

// The codes a read may fail with when stored bytes are damaged.
bool IsCleanError(const absl::Status& s) {
  return absl::IsDataLoss(s) || absl::IsUnavailable(s) || absl::IsInternal(s);
}

// Reads everything. Each read must fail cleanly or return exactly what
// `want` holds. Returns how many reads failed.
int CheckReads(const Store& store, const Snapshot& want) {
  int errors = 0;
  auto failed = [&](const absl::Status& s) {
    INFO(s.ToString());
    CHECK(IsCleanError(s));
    ++errors;
  };
  for (const std::string& c : Customers()) {
    INFO("customer " << c);
    absl::StatusOr<Profile> profile = store.Get(c);
    if (profile.ok()) {
      CHECK(std::string(profile->bytes()) == want.profiles.at(c));
      CHECK_FALSE(profile->ToJson(kNowMs).empty());
    } else {
      failed(profile.status());
    }
    absl::StatusOr<Events> history = store.History(c, AllOldestFirst());
    if (history.ok()) {
      CHECK(*history == want.history.at(c));
    } else {
      failed(history.status());
    }
    absl::StatusOr<Events> timeline = store.Timeline(c, {}, 0);
    if (timeline.ok()) {
      CHECK(*timeline == want.timeline.at(c));
    } else {
      failed(timeline.status());
    }
    std::string breakdowns;
    bool breakdowns_ok = true;
    for (Dimension d : kDimensions) {
      absl::StatusOr<std::vector<BreakdownEntry>> b = store.Breakdown(c, d);
      if (b.ok()) {
        breakdowns += Render(*b) + "|";
      } else {
        failed(b.status());
        breakdowns_ok = false;
      }
    }
    if (breakdowns_ok) CHECK(breakdowns == want.breakdowns.at(c));
    // With every byte it reads intact, Verify finds nothing wrong; a stored
    // value it cannot read is damage it reports (Rebuild replaces it).
    absl::StatusOr<CustomerReport> report = store.Verify(c);
    if (report.ok()) {
      INFO(report->detail);
      CHECK((report->ok() || Unreadable(*report)));
    } else {
      failed(report.status());
    }
  }
  absl::StatusOr<StoreReport> all = store.VerifyAll();
  if (all.ok()) {
    for (const CustomerReport& problem : all->problems) {
      INFO(problem.customer_id << ": " << problem.detail);
      CHECK(Unreadable(problem));
    }
  } else {
    failed(all.status());
  }
  const absl::Status scan = store.ForEachProfile([&](const Profile& p) {
    const std::string c(p.customer_id());
    REQUIRE(want.profiles.count(c) == 1);
    CHECK(std::string(p.bytes()) == want.profiles.at(c));
    return true;
  });
  if (!scan.ok()) failed(scan);
  return errors;
}

// ---- (a) a damaged profile value ------------------------------------------

TEST_CASE(
    "A damaged profile value: Get fails with DataLoss or reads a well-formed "
    "profile, Verify flags it, Rebuild restores it") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  Populate(*store, 200, 20, 11, Durability::kSync);
  const Snapshot before = Capture(*store);
  const std::string customer = "cust-1";
  const std::string good = before.profiles.at(customer);
  REQUIRE(good.size() > 16);
  rocksdb::DB* db = internal::Db(*store);
  rocksdb::ColumnFamilyHandle* profiles =
      internal::Cf(*store, keys::kProfilesCf);
  const absl::StatusOr<std::string> key =
      internal::CustomerKey(*store, customer);
  REQUIRE_OK(key);

  // Where the FlatBuffer keeps its bookkeeping: the root offset (bytes 0..3),
  // the file identifier (4..7), the root table's offset to its vtable, and
  // the vtable itself (its size, the table size, one offset per field).
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
      v = (v << 8) | static_cast<std::uint8_t>(good[at + i]);
    return v;
  };
  const std::size_t root = u32(0);
  REQUIRE(root + 4 <= good.size());
  const std::int64_t vtable =
      static_cast<std::int64_t>(root) - static_cast<std::int32_t>(u32(root));
  REQUIRE(vtable >= 0);
  REQUIRE(static_cast<std::size_t>(vtable) + 4 <= good.size());
  const std::size_t vtable_size =
      static_cast<std::uint8_t>(good[vtable]) |
      (static_cast<std::uint8_t>(good[vtable + 1]) << 8);

  std::vector<std::pair<std::string, std::string>> damaged;  // (what, bytes)
  auto flip = [&](std::size_t at, char mask, const std::string& what) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ mask);
    damaged.emplace_back(what + " byte " + std::to_string(at), bad);
  };
  for (std::size_t i = 0; i < 8; ++i) flip(i, '\xff', "header");
  for (std::size_t i = root; i < root + 4; ++i) flip(i, '\x40', "root table");
  for (std::size_t i = vtable; i < vtable + vtable_size && i < good.size(); ++i)
    flip(i, '\x21', "vtable");
  // And every other byte, with a low, a middle or a high bit.
  for (std::size_t i = 0; i < good.size(); ++i) {
    flip(i, "\x01\x10\x80"[i % 3], "any");
  }
  for (std::size_t n : {std::size_t{0}, std::size_t{3}, std::size_t{7},
                        good.size() / 2, good.size() - 1}) {
    damaged.emplace_back("truncated to " + std::to_string(n),
                         good.substr(0, n));
  }

  // What the customer's profile and history are now: a new event recorded on
  // top of a damaged profile (below) moves them on.
  std::string current = good;
  Events current_history = before.history.at(customer);
  int rejected = 0;
  std::uint64_t next_id = 1'000'000;
  for (std::size_t k = 0; k < damaged.size(); ++k) {
    const auto& [what, bad] = damaged[k];
    INFO(what);
    REQUIRE(db->Put(rocksdb::WriteOptions(), profiles, *key, bad).ok());

    absl::StatusOr<Profile> profile = store->Get(customer);
    if (profile.ok()) {
      // Well-formed, so every accessor must be safe on it.
      CHECK(std::string(profile->bytes()) == bad);
      CHECK_FALSE(profile->ToJson(kNowMs).empty());
      (void)profile->attributes();
      (void)profile->consents();
      (void)profile->identities();
      (void)profile->purchases();
      (void)profile->interactions();
      (void)profile->loyalty();
      (void)profile->rfm(kNowMs);
    } else {
      CHECK(absl::IsDataLoss(profile.status()));
      ++rejected;
    }
    if (k < 8) CHECK(absl::IsDataLoss(profile.status()));  // the header
    const absl::Status scan =
        store->ForEachProfile([](const Profile&) { return true; });
    CHECK((scan.ok() || absl::IsDataLoss(scan)));

    absl::StatusOr<CustomerReport> report = store->Verify(customer);
    REQUIRE_OK(report);
    CHECK_FALSE(report->profile_matches);
    CHECK_FALSE(report->ok());
    // The history is untouched, so reading it still works.
    absl::StatusOr<Events> history = store->History(customer, AllOldestFirst());
    REQUIRE_OK(history);
    CHECK(*history == current_history);

    // Repair: usually by putting the bytes back, and every few variants with
    // each of the repair paths.
    if (k % 16 == 0) {
      // A new event merged on top of the damaged base: the merge operator
      // must cope (a base that fails verification is left out and counted),
      // and Rebuild still restores the exact fold.
      Event e = EventGen(next_id, kCustomers).Next();
      e.id = next_id++;
      e.customer = CustomerRef::Id(customer);
      REQUIRE_OK(store->Record(e));
      absl::StatusOr<Profile> merged = store->Get(customer);
      if (merged.ok()) CHECK_FALSE(merged->ToJson(kNowMs).empty());
      report = store->Verify(customer);
      REQUIRE_OK(report);
      CHECK_FALSE(report->ok());
      REQUIRE_OK(store->Rebuild(customer));
      report = store->Verify(customer);
      REQUIRE_OK(report);
      CHECK(report->ok());
      current = std::string(store->Get(customer)->bytes());
      current_history = *store->History(customer, AllOldestFirst());
    } else if (k % 16 == 5) {
      absl::StatusOr<StoreReport> all = store->RebuildAll();
      REQUIRE_OK(all);
      CHECK(all->damaged == 1);
      CHECK(std::string(store->Get(customer)->bytes()) == current);
    } else if (k % 16 == 10) {
      absl::StatusOr<CustomerReport> old = store->Rebuild(customer);
      REQUIRE_OK(old);
      CHECK_FALSE(old->ok());  // the report from before the rebuild
      CHECK(std::string(store->Get(customer)->bytes()) == current);
    } else {
      REQUIRE(db->Put(rocksdb::WriteOptions(), profiles, *key, current).ok());
      continue;
    }
    absl::StatusOr<StoreReport> all = store->VerifyAll();
    REQUIRE_OK(all);
    CHECK(all->ok());
  }
  // Damage to the structure is caught by the Verifier itself; damage to a
  // value only by Verify().
  CHECK(rejected > 0);
  WARN("profile damage: " << damaged.size() << " variants, " << rejected
                          << " rejected by the FlatBuffers Verifier, the rest "
                             "caught only by Verify()");

  // Flushed and compacted, the repaired store is still exact.
  REQUIRE_OK(store->Flush());
  REQUIRE(db->CompactRange(rocksdb::CompactRangeOptions(), profiles, nullptr,
                           nullptr)
              .ok());
  absl::StatusOr<StoreReport> all = store->VerifyAll();
  REQUIRE_OK(all);
  CHECK(all->ok());
}

TEST_CASE(
    "A damaged profile survives flush and compaction as a counted corrupt "
    "base, and RebuildAll repairs it") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  Populate(*store, 200, 10, 12, Durability::kSync);
  const Snapshot before = Capture(*store);
  rocksdb::DB* db = internal::Db(*store);
  rocksdb::ColumnFamilyHandle* profiles =
      internal::Cf(*store, keys::kProfilesCf);
  std::string bad = before.profiles.at("cust-2");
  bad[5] = static_cast<char>(bad[5] ^ 0x10);  // the file identifier
  const absl::StatusOr<std::string> key =
      internal::CustomerKey(*store, "cust-2");
  REQUIRE_OK(key);
  REQUIRE(db->Put(rocksdb::WriteOptions(), profiles, *key, bad).ok());
  // A merge on top of it, then flush and compaction run the operator over
  // the corrupt base: they must not fail (a failed merge in a compaction
  // would stop the database).
  Event e = EventGen(99, kCustomers).Next();
  e.id = 77'777'777;
  e.customer = CustomerRef::Id("cust-2");
  REQUIRE_OK(store->Record(e));
  REQUIRE_OK(store->Flush());
  REQUIRE(db->CompactRange(rocksdb::CompactRangeOptions(), profiles, nullptr,
                           nullptr)
              .ok());
  absl::StatusOr<Profile> profile = store->Get("cust-2");
  REQUIRE_OK(profile);
  CHECK(profile->corrupt_operands() == 1);
  CHECK(profile->event_count() == 1);  // only the new event survived
  absl::StatusOr<StoreReport> report = store->VerifyAll();
  REQUIRE_OK(report);
  CHECK(report->damaged == 1);
  REQUIRE_OK(store->Record(e));  // still writable
  REQUIRE_OK(store->RebuildAll());
  report = store->VerifyAll();
  REQUIRE_OK(report);
  CHECK(report->ok());
  profile = store->Get("cust-2");
  REQUIRE_OK(profile);
  CHECK(profile->event_count() ==
        static_cast<std::int64_t>(before.history.at("cust-2").size() + 1));
}

// ---- (b) damaged SST files ------------------------------------------------

TEST_CASE(
    "A damaged SST file: Open and every read fail cleanly or return the data "
    "as stored") {
  const std::string cf =
      GENERATE(std::string(keys::kProfilesCf), std::string(keys::kPurchasesCf));
  // Where in each file: a quarter, the middle, three quarters, the last byte
  // (the footer's magic number).
  const int where = GENERATE(1, 2, 3, 4);
  INFO("column family " << cf << ", position " << where << "/4");
  TempDir dir;
  Snapshot before;
  std::vector<std::string> files;
  {
    auto store = OpenStore(dir.path());
    Populate(*store, 2'000, 50, 21, Durability::kSync);
    REQUIRE_OK(store->Flush());
    before = Capture(*store);
    std::vector<rocksdb::LiveFileMetaData> live;
    internal::Db(*store)->GetLiveFilesMetaData(&live);
    for (const rocksdb::LiveFileMetaData& f : live) {
      if (f.column_family_name == cf) files.push_back(f.db_path + f.name);
    }
  }
  REQUIRE_FALSE(files.empty());
  for (const std::string& f : files) {
    const std::uint64_t size = fs::file_size(f);
    REQUIRE(size > 64);
    ckm_test::FlipByte(f, where == 4 ? size - 1 : size * where / 4, 0x5a);
  }

  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(dir.path());
  if (!opened.ok()) {
    INFO(opened.status().ToString());
    CHECK(IsCleanError(opened.status()));
    WARN(cf << " SST damaged at " << where
            << "/4: Open refused the store: " << opened.status().ToString());
    return;
  }
  Store& store = **opened;
  const int errors = CheckReads(store, before);
  WARN(cf << " SST damaged at " << where << "/4: " << errors
          << " reads failed cleanly, the rest returned the stored data");

  // Repair must not make things worse: a rebuild that cannot read the whole
  // history fails instead of writing a profile folded from part of it.
  absl::StatusOr<StoreReport> rebuilt = store.RebuildAll();
  if (!rebuilt.ok()) CHECK(IsCleanError(rebuilt.status()));
  CheckReads(store, before);

  // New writes either work or fail cleanly (a corruption met in the
  // background stops writes until the store is reopened).
  Event e = EventGen(5, kCustomers).Next();
  e.id = 123'456'789;
  absl::StatusOr<RecordResult> recorded = store.Record(e);
  if (!recorded.ok()) CHECK(IsCleanError(recorded.status()));
}

// ---- (c) a damaged write-ahead log ----------------------------------------

TEST_CASE(
    "A damaged WAL: the store opens at a consistent earlier point with whole "
    "batches, or Open fails cleanly") {
  const Durability durability =
      GENERATE(Durability::kSync, Durability::kBuffered);
  // 0..2: flip a byte at a quarter, the middle, three quarters of the log;
  // 3: cut the log in the middle (a torn tail).
  const int damage = GENERATE(0, 1, 2, 3);
  INFO("durability " << static_cast<int>(durability) << ", damage " << damage);
  TempDir dir;
  const std::string copy = dir.sub("copy");
  std::vector<std::vector<Event>> batches;
  {
    auto store = OpenStore(dir.sub("store"));
    batches = Populate(*store, 600, 10, 31, durability);
    // Copy the store while it is open: nothing has been flushed, so the
    // events live only in the WAL (16 MiB memtables are far from full). A
    // clean close might flush; a copy taken now is what a crash leaves.
    fs::copy(dir.sub("store"), copy, fs::copy_options::recursive);
  }
  std::vector<std::string> logs;
  for (const auto& entry : fs::directory_iterator(copy)) {
    if (entry.path().extension() == ".log") logs.push_back(entry.path());
  }
  REQUIRE_FALSE(logs.empty());
  std::uint64_t biggest = 0;
  std::string wal;
  for (const std::string& log : logs) {
    if (fs::file_size(log) > biggest) {
      biggest = fs::file_size(log);
      wal = log;
    }
  }
  REQUIRE(biggest > 1'000);
  if (damage < 3) {
    ckm_test::FlipByte(wal, biggest * (damage + 1) / 4, 0x5a);
  } else {
    fs::resize_file(wal, biggest / 2);
  }

  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(copy);
  if (!opened.ok()) {
    INFO(opened.status().ToString());
    CHECK((IsCleanError(opened.status()) ||
           absl::IsFailedPrecondition(opened.status())));
    return;
  }
  Store& store = **opened;
  // Which batches survived: each whole or not at all, and only a prefix of
  // them (replay stops at the damage).
  std::size_t present_batches = 0;
  bool gap = false;
  for (const std::vector<Event>& batch : batches) {
    std::size_t present = 0;
    for (const Event& e : batch) {
      HistoryQuery q = AllOldestFirst();
      q.kind = e.kind();
      q.range = {e.ts_ms, e.ts_ms + 1};
      absl::StatusOr<Events> h = store.History(e.customer.id, q);
      REQUIRE_OK(h);
      present += std::count(h->begin(), h->end(), e);
    }
    INFO("batch " << present_batches);
    CHECK((present == 0 || present == batch.size()));
    if (present == batch.size()) {
      CHECK_FALSE(gap);
      ++present_batches;
    } else {
      gap = true;
    }
  }
  CHECK(present_batches < batches.size());  // the damage cost something
  WARN("WAL damage " << damage << ": the store reopened with "
                     << present_batches << " of " << batches.size()
                     << " batches");
  absl::StatusOr<StoreReport> report = store.VerifyAll();
  REQUIRE_OK(report);
  CHECK(report->ok());
  std::int64_t counted = 0;
  REQUIRE_OK(store.ForEachProfile([&](const Profile& p) {
    counted += p.event_count();
    return true;
  }));
  std::size_t events = 0;
  for (std::size_t i = 0; i < present_batches; ++i) events += batches[i].size();
  CHECK(counted == static_cast<std::int64_t>(events));
  // And it takes writes: the lost batches can be recorded again.
  for (std::size_t i = present_batches; i < batches.size(); ++i)
    REQUIRE_OK(store.Record(batches[i]));
  report = store.VerifyAll();
  REQUIRE_OK(report);
  CHECK(report->ok());
}

}  // namespace
}  // namespace ckm
