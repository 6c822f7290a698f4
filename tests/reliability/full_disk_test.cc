// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A full disk (issue 11, item 1): every write returns ResourceExhausted,
// nothing aborts (Debian's RocksDB keeps its assertions, and its info-log
// writer used to fail one on ENOSPC), reads keep working, a follower can
// still open, and once space is freed the store records again, with every
// acknowledged event in place: the same Store, at its next write, after a
// failed WAL write and after a failed background flush.
//
// First through a file system that fails every write with NoSpace, then,
// when the test runs as root (as CI does), on a real, small tmpfs.

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "reliability/faulty_file_system.h"
#include "storage/store_internal.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::EventGen;
using ckm_test::TempDir;

constexpr int kCustomers = 5;

RecordOptions With(Durability d) {
  RecordOptions o;
  o.durability = d;
  return o;
}

// Records `batch` once the store has resumed after space was freed: RocksDB
// polls for free space in its own thread, so the first tries may still
// fail with ResourceExhausted. Gives up after about a minute.
void RecordOnceResumed(Store& store, const std::vector<Event>& batch) {
  absl::StatusOr<RecordResult> r = store.Record(batch);
  for (int i = 0; i < 600 && absl::IsResourceExhausted(r.status()); ++i) {
    usleep(100'000);
    r = store.Record(batch);
  }
  REQUIRE_OK(r);
}

// Every acknowledged event is in the store, counted once.
void CheckAcked(const Store& store, const std::vector<Event>& acked) {
  std::map<std::string, std::int64_t> count;
  for (const Event& e : acked) ++count[e.customer.id];
  for (const auto& [customer, n] : count) {
    absl::StatusOr<Profile> p = store.Get(customer);
    REQUIRE_OK(p);
    CHECK(p->event_count() == n);
  }
  absl::StatusOr<StoreReport> all = store.VerifyAll();
  REQUIRE_OK(all);
  CHECK(all->ok());
}

TEST_CASE("Injected ENOSPC on every write: statuses, reads, then carry on") {
  TempDir dir;
  ckm_test::FaultyEnv faulty;
  EventGen gen(41, kCustomers);
  std::vector<Event> acked;
  absl::StatusOr<std::unique_ptr<Store>> opened =
      internal::Open(dir.path(), StoreOptions{}, faulty.env.get());
  REQUIRE_OK(opened);
  Store& store = **opened;
  for (int i = 0; i < 5; ++i) {
    std::vector<Event> batch = gen.Events(20);
    REQUIRE_OK(store.Record(batch));
    acked.insert(acked.end(), batch.begin(), batch.end());
  }

  faulty.fs->SetNoSpace(true);
  faulty.fs->FailAfter(ckm_test::kAppend | ckm_test::kSync | ckm_test::kFlush |
                           ckm_test::kCreate,
                       "", 0);
  for (Durability d :
       {Durability::kSync, Durability::kBuffered, Durability::kSync}) {
    absl::StatusOr<RecordResult> r = store.Record(gen.Events(10), With(d));
    INFO(r.status().ToString());
    CHECK(absl::IsResourceExhausted(r.status()));
  }
  const absl::Status flushed = store.Flush();
  INFO(flushed.ToString());
  CHECK(absl::IsResourceExhausted(flushed));
  CheckAcked(store, acked);  // reads keep working
  {
    StoreOptions follower;
    follower.access = Access::kFollower;
    absl::StatusOr<std::unique_ptr<Store>> reader =
        Store::Open(dir.path(), follower);
    REQUIRE_OK(reader);
    CheckAcked(**reader, acked);
  }

  faulty.fs->Clear();  // space is freed: the same Store carries on
  std::vector<Event> batch = gen.Events(20);
  RecordOnceResumed(store, batch);
  acked.insert(acked.end(), batch.begin(), batch.end());
  REQUIRE_OK(store.Flush());
  CheckAcked(store, acked);
  opened->reset();  // and everything is there after reopening
  opened = internal::Open(dir.path(), StoreOptions{}, faulty.env.get());
  REQUIRE_OK(opened);
  CheckAcked(**opened, acked);
}

TEST_CASE("A background flush fails on a full disk: the same Store goes on") {
  // Only table files fail: the write-ahead log takes every batch, and the
  // flush of a full memtable, in RocksDB's background thread, meets the
  // full disk. RocksDB then stops writes (a hard error) until it resumes;
  // the store resumes at its first write after space is freed, without a
  // reopen and without waiting for RocksDB's 5-second poll.
  TempDir dir;
  ckm_test::FaultyEnv faulty;
  StoreOptions options;
  options.write_buffer_bytes = 64 << 10;
  options.breakdowns_buffer_bytes = 0;
  absl::StatusOr<std::unique_ptr<Store>> opened =
      internal::Open(dir.path(), options, faulty.env.get());
  REQUIRE_OK(opened);
  Store& store = **opened;
  EventGen gen(43, 50);
  std::vector<Event> acked;
  faulty.fs->SetNoSpace(true);
  faulty.fs->FailAfter(ckm_test::kAppend | ckm_test::kSync | ckm_test::kFlush |
                           ckm_test::kCreate,
                       ".sst", 0);
  absl::Status failed;
  for (int i = 0; i < 2000 && failed.ok(); ++i) {
    std::vector<Event> batch = gen.Events(20);
    absl::StatusOr<RecordResult> r = store.Record(batch);
    if (r.ok()) {
      acked.insert(acked.end(), batch.begin(), batch.end());
    } else {
      failed = r.status();
    }
  }
  INFO(failed.ToString());
  REQUIRE(absl::IsResourceExhausted(failed));
  CHECK(faulty.fs->injected() > 0);
  CHECK(absl::IsResourceExhausted(store.Record(gen.Events(5)).status()));
  CheckAcked(store, acked);  // reads keep working

  faulty.fs->Clear();  // space is freed: the very next write goes through
  std::vector<Event> batch = gen.Events(20);
  REQUIRE_OK(store.Record(batch));
  acked.insert(acked.end(), batch.begin(), batch.end());
  REQUIRE_OK(store.Flush());
  CheckAcked(store, acked);
  opened->reset();  // and everything is there after reopening
  opened = internal::Open(dir.path(), options, faulty.env.get());
  REQUIRE_OK(opened);
  CheckAcked(**opened, acked);
}

// A tmpfs of `bytes` mounted on a fresh directory while it lives; mounted()
// is false where mounting is not permitted (not root, or no CAP_SYS_ADMIN).
class SmallTmpfs {
 public:
  explicit SmallTmpfs(std::size_t bytes) {
    const std::string options = "size=" + std::to_string(bytes);
    mounted_ = geteuid() == 0 && ::mount("tmpfs", dir_.path().c_str(), "tmpfs",
                                         0, options.c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  std::string sub(const std::string& name) const { return dir_.sub(name); }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

TEST_CASE("A real full tmpfs: ResourceExhausted, reads, then carry on") {
  SmallTmpfs disk(std::size_t{3} << 20);
  if (!disk.mounted()) {
    WARN("skipped: mounting a tmpfs is not permitted here");
    return;
  }
  // Room to free later.
  std::ofstream(disk.sub("filler"), std::ios::binary)
      << std::string(std::size_t{1} << 20, 'x');
  StoreOptions options;
  options.write_buffer_bytes = 256 << 10;
  absl::StatusOr<std::unique_ptr<Store>> opened =
      Store::Open(disk.sub("store"), options);
  REQUIRE_OK(opened);
  EventGen gen(42, 200);
  std::vector<Event> acked;
  absl::Status failed;
  for (int i = 0; i < 2000 && failed.ok(); ++i) {
    std::vector<Event> batch = gen.Events(50);
    absl::StatusOr<RecordResult> r = (*opened)->Record(batch);
    if (r.ok()) {
      acked.insert(acked.end(), batch.begin(), batch.end());
    } else {
      failed = r.status();
    }
  }
  INFO(failed.ToString());
  REQUIRE(absl::IsResourceExhausted(failed));
  CheckAcked(**opened, acked);  // reads keep working

  // Space is freed: the same Store records again at its next write (the
  // store resumes RocksDB itself; RocksDB's own recovery used to hold it
  // busy), and everything is there after reopening.
  std::filesystem::remove(disk.sub("filler"));
  std::vector<Event> batch = gen.Events(5);
  REQUIRE_OK((*opened)->Record(batch));
  acked.insert(acked.end(), batch.begin(), batch.end());
  CheckAcked(**opened, acked);
  opened->reset();
  opened = Store::Open(disk.sub("store"), options);
  REQUIRE_OK(opened);
  CheckAcked(**opened, acked);
}

// Erase on a full disk (docs/privacy.md): the disk fills after the n-th
// write call of the erasure, for every n up to one that lets it finish.
// Each time the customer is wholly there (and a later Erase succeeds) or
// wholly gone; once space is back, a later Erase or open finishes removing
// its bytes; and nobody else changes.
TEST_CASE(
    "A full disk during Erase: wholly there or wholly gone, then "
    "scrubbed") {
  const auto id = [](int c) { return "erase-full-" + std::to_string(c); };
  const auto email = [](int c) {
    return "full-" + std::to_string(c) + "@disk.example";
  };
  bool finished = false;
  for (int n = 0; n < 5000 && !finished; n += 1 + n / 4) {
    INFO("disk full after " << n << " write calls");
    TempDir dir;
    ckm_test::FaultyEnv faulty;
    faulty.fs->SetNoSpace(true);
    std::map<std::string, std::string> before;
    {
      absl::StatusOr<std::unique_ptr<Store>> opened =
          internal::Open(dir.path(), StoreOptions{}, faulty.env.get());
      REQUIRE_OK(opened);
      Store& store = **opened;
      EventGen gen(n, 3);
      std::vector<Event> events = gen.Events(60);
      for (int c = 0; c < 3; ++c) {
        Event link;
        link.id = 500 + c;
        link.customer = CustomerRef::Id("cust-" + std::to_string(c));
        link.ts_ms = 1'500'000'000'000;
        link.body = Identity{IdentityType::kEmail, email(c)};
        events.push_back(link);
      }
      for (Event& e : events)  // distinctive ids, to search the files for
        e.customer.id = id(e.customer.id.back() - '0');
      REQUIRE_OK(store.Record(events));
      REQUIRE_OK(store.ForEachProfile([&](const Profile& p) {
        before[std::string(p.customer_id())] = std::string(p.bytes());
        return true;
      }));
      faulty.fs->FailAfter(ckm_test::kAppend | ckm_test::kSync |
                               ckm_test::kFlush | ckm_test::kCreate,
                           "", n);
      absl::StatusOr<ErasureResult> erased = store.Erase(id(0), "full disk");
      finished = erased.ok() && faulty.fs->injected() == 0;
      INFO(erased.status().ToString());
      CHECK((erased.ok() || absl::IsResourceExhausted(erased.status())));
      faulty.fs->Clear();  // space is freed
      absl::StatusOr<Profile> p = store.Get(id(0));
      if (p.ok()) {  // wholly there: the erasure's batch never landed
        CHECK(std::string(p->bytes()) == before[id(0)]);
        CHECK(*store.Resolve(IdentityType::kEmail, email(0)) == id(0));
        CHECK(store.Erasures()->empty());
        absl::StatusOr<ErasureResult> again = store.Erase(id(0), "retry");
        for (int i = 0; i < 600 && absl::IsResourceExhausted(again.status());
             ++i) {
          usleep(100'000);  // RocksDB resumes in its own time
          again = store.Erase(id(0), "retry");
        }
        REQUIRE_OK(again);
      } else {  // wholly gone
        CHECK(absl::IsNotFound(p.status()));
        CHECK(absl::IsNotFound(
            store.Resolve(IdentityType::kEmail, email(0)).status()));
        CHECK(store.History(id(0))->empty());
      }
      CHECK(store.Erasures()->size() == 1);
      CHECK(store.Get(id(1))->bytes() == before[id(1)]);
      CHECK(store.VerifyAll()->ok());
    }
    // Reopened with room: any scrub left over is finished, and no file
    // holds the erased customer.
    absl::StatusOr<std::unique_ptr<Store>> reopened =
        internal::Open(dir.path(), StoreOptions{}, faulty.env.get());
    REQUIRE_OK(reopened);
    reopened->reset();
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      std::ifstream in(f.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      INFO(f.path().string());
      CHECK(bytes.str().find(id(0)) == std::string::npos);
      CHECK(bytes.str().find(email(0)) == std::string::npos);
    }
  }
  CHECK(finished);
}

}  // namespace
}  // namespace ckm
