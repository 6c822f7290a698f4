// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The ckm tool on stores whose metadata was damaged (issue 11, items 2-4):
// every read command leaves every file as it was (names, sizes, bytes) and
// never aborts; messages name the damaged file instead of "no store" or
// "create_if_missing"; an import never creates a store over the files of
// one whose CURRENT is gone; and `ckm repair` brings the store back after
// taking a copy.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "storage/store_internal.h"
#include "test_util.h"
#include "tools/cli_runner.h"

namespace ckm {
namespace {

namespace fs = std::filesystem;
using ckm_test::FilesOf;
using ckm_test::TempDir;

using Result = ckm_test::CliResult;
using ckm_test::Ckm;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string Manifest(const std::string& dir) {
  std::string current = ReadFile(dir + "/CURRENT");
  return dir + "/" + current.substr(0, current.find('\n'));
}

// A store written with sync durability, flushed, with more in its WAL; or
// never flushed, when its MANIFEST's last record creates a column family.
void MakeStore(const std::string& dir, bool flushed = true) {
  ckm_test::EventGen gen(21, 4);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
  REQUIRE_OK(store);
  REQUIRE_OK((*store)->Record(gen.Events(100)));
  if (flushed) REQUIRE_OK((*store)->Flush());
  REQUIRE_OK((*store)->Record(gen.Events(20)));
  internal::AbandonBreakdownsBuffer(**store);  // as a kill -9 would
}

struct Damage {
  const char* name;
  const char* file;  // what the message must name ("" : anything clear)
  std::function<void(const std::string&)> apply;
  bool flushed = true;
};

const std::vector<Damage>& Damages() {
  static const std::vector<Damage> damages = {
      {"MANIFEST loses its last byte", "",
       [](const std::string& dir) {
         const std::string m = Manifest(dir);
         fs::resize_file(m, fs::file_size(m) - 1);
       }},
      {"MANIFEST of a store never flushed loses its last byte", "MANIFEST",
       [](const std::string& dir) {
         const std::string m = Manifest(dir);
         fs::resize_file(m, fs::file_size(m) - 1);
       },
       false},
      {"a MANIFEST byte flipped", "MANIFEST",
       [](const std::string& dir) {
         const std::string m = Manifest(dir);
         std::string bytes = ReadFile(m);
         bytes[bytes.size() / 2] ^= 0x5a;
         WriteFile(m, bytes);
       }},
      {"MANIFEST truncated to 0", "MANIFEST",
       [](const std::string& dir) { fs::resize_file(Manifest(dir), 0); }},
      {"CURRENT truncated", "CURRENT",
       [](const std::string& dir) {
         fs::resize_file(dir + "/CURRENT", fs::file_size(dir + "/CURRENT") - 1);
       }},
      {"CURRENT deleted", "CURRENT",
       [](const std::string& dir) { fs::remove(dir + "/CURRENT"); }},
  };
  return damages;
}

TEST_CASE("Read commands on a damaged store change no file and say which") {
  for (const Damage& damage : Damages()) {
    INFO(damage.name);
    TempDir tmp;
    const std::string dir = tmp.sub("store");
    MakeStore(dir, damage.flushed);
    damage.apply(dir);
    const auto before = FilesOf(dir);
    const std::string db = " --db " + dir;
    for (const std::string& command :
         {"get cust-1" + db, "history cust-1" + db, "products cust-1" + db,
          "verify" + db, "stats" + db, "export profiles" + db, "top" + db}) {
      INFO(command);
      const Result r = Ckm(tmp, command);
      INFO(r.out);
      CHECK(r.exit_code >= 0);  // no abort
      CHECK(FilesOf(dir) == before);
      if (r.exit_code != 0) {
        CHECK(r.out.find("no store at") == std::string::npos);
        CHECK(r.out.find("create_if_missing") == std::string::npos);
        CHECK(r.out.find(damage.file) != std::string::npos);
      }
    }
  }
}

TEST_CASE("An import never creates a store over one whose CURRENT is gone") {
  TempDir tmp;
  const std::string dir = tmp.sub("store");
  MakeStore(dir);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
  REQUIRE_OK(store);
  absl::StatusOr<StoreReport> all = (*store)->VerifyAll();
  REQUIRE_OK(all);
  const std::int64_t customers = all->customers;
  store->reset();
  fs::remove(dir + "/CURRENT");
  const auto before = FilesOf(dir);
  std::ofstream(tmp.sub("one.csv")) << "c,o,s,q,p,t\nx1,1,A,1,1.00,"
                                       "2024-01-01T00:00:00Z\n";
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Result r = Ckm(
        tmp, "import purchases " + tmp.sub("one.csv") + " --db " + dir +
                 " --map customer=c,order=o,sku=s,quantity=q,unit_price=p,ts=t"
                 " --currency GBP");
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("CURRENT") != std::string::npos);
    CHECK(r.out.find("ckm repair") != std::string::npos);
    CHECK(FilesOf(dir) == before);
  }
  // The repair path the message names.
  const Result r = Ckm(tmp, "repair " + dir);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(dir + ".backup-1") != std::string::npos);
  CHECK(FilesOf(dir + ".backup-1") == before);
  store = Store::Open(dir);
  REQUIRE_OK(store);
  all = (*store)->VerifyAll();
  REQUIRE_OK(all);
  CHECK(all->ok());
  CHECK(all->customers == customers);
}

TEST_CASE("Read commands work while a writer has the store open") {
  TempDir tmp;
  const std::string dir = tmp.sub("store");
  MakeStore(dir);
  absl::StatusOr<std::unique_ptr<Store>> writer = Store::Open(dir);
  REQUIRE_OK(writer);  // holds the LOCK, as an import does
  Event more = ckm_test::EventGen(22, 4).Next();
  more.id = 77'000'001;
  REQUIRE_OK((*writer)->Record(more));
  for (const std::string& command : std::vector<std::string>{
           "get " + more.customer.id, "verify", "stats", "top"}) {
    const Result r = Ckm(tmp, command + " --db " + dir);
    INFO(command << ": " << r.out);
    CHECK(r.exit_code == 0);
  }
}

TEST_CASE("While another process creates a store, reads say it is busy") {
  TempDir tmp;
  const std::string dir = tmp.sub("store");
  fs::create_directories(dir);
  // What RocksDB has written a moment into creating a store: LOCK, held by
  // the creating process, and the first MANIFEST; no CURRENT yet.
  WriteFile(dir + "/MANIFEST-000001", std::string(64, 'x'));
  int ready[2];
  int hold[2];
  REQUIRE(pipe(ready) == 0);
  REQUIRE(pipe(hold) == 0);
  // The child makes only async-signal-safe calls: another thread may have
  // held the allocator's lock when the test forked.
  const std::string lock_path = dir + "/LOCK";
  const pid_t creator = fork();
  REQUIRE(creator >= 0);
  if (creator == 0) {
    close(hold[1]);
    close(ready[0]);
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0644);
    struct flock lock;
    std::memset(&lock, 0, sizeof lock);
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    const bool locked = fd >= 0 && fcntl(fd, F_SETLK, &lock) == 0;
    char c = locked ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    (void)!read(hold[0], &c, 1);  // until the parent closes its end
    _exit(0);
  }
  close(hold[0]);
  close(ready[1]);
  char c = 0;
  REQUIRE(read(ready[0], &c, 1) == 1);
  REQUIRE(c == 'y');
  const auto before = FilesOf(dir);
  const Result r = Ckm(tmp, "get c1 --db " + dir);
  StoreOptions options;
  options.access = Access::kFollower;
  const absl::Status opened = Store::Open(dir, options).status();
  close(hold[1]);
  waitpid(creator, nullptr, 0);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("busy") != std::string::npos);
  CHECK(r.out.find("unfinished") == std::string::npos);
  CHECK(r.out.find("interrupted") == std::string::npos);
  INFO(opened.ToString());
  CHECK(absl::IsUnavailable(opened));
  CHECK(FilesOf(dir) == before);
}

}  // namespace
}  // namespace ckm
