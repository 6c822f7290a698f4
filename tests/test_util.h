// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Helpers shared by the tests.

#ifndef CKM_TESTS_TEST_UTIL_H_
#define CKM_TESTS_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catch2/catch.hpp"
#include "ckm/store.h"

// REQUIRE_OK(status_or_statusor): fails the test with the status text.
#define REQUIRE_OK(expr)                                         \
  do {                                                           \
    const absl::Status ckm_status_ = ::ckm_test::StatusOf(expr); \
    INFO(ckm_status_.ToString());                                \
    REQUIRE(ckm_status_.ok());                                   \
  } while (0)

#define CHECK_OK(expr)                                           \
  do {                                                           \
    const absl::Status ckm_status_ = ::ckm_test::StatusOf(expr); \
    INFO(ckm_status_.ToString());                                \
    CHECK(ckm_status_.ok());                                     \
  } while (0)

namespace ckm_test {

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// A fresh directory under the system's temp dir, removed when destroyed.
class TempDir {
 public:
  TempDir() : TempDir(std::filesystem::temp_directory_path()) {}
  explicit TempDir(const std::filesystem::path& base) {
    std::random_device rd;
    path_ = base /
            ("ckm-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  // In memory (/dev/shm) where the system has it, else as TempDir(): for
  // tests whose many synced writes would otherwise wait on the disk, and
  // that test logic, not durability.
  static TempDir InMemory() {
    std::error_code ec;
    if (std::filesystem::is_directory("/dev/shm", ec))
      return TempDir(std::filesystem::path("/dev/shm"));
    return TempDir();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string sub(const std::string& name) const {
    return (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

// Every file in `dir` (recursively), by relative name, with its size and a
// hash of its bytes: equal before and after a call shows that the call
// changed no file, created none and deleted none.
inline std::map<std::string, std::string> FilesOf(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string content = bytes.str();
    files[std::filesystem::relative(e.path(), dir).string()] =
        std::to_string(content.size()) + ":" +
        std::to_string(std::hash<std::string>()(content));
  }
  return files;
}

// Every profile of `store`, by customer id, as its bytes: equal maps are
// byte-identical profiles.
inline std::map<std::string, std::string> ProfilesById(
    const ckm::Store& store) {
  std::map<std::string, std::string> out;
  REQUIRE_OK(store.ForEachProfile([&](const ckm::Profile& p) {
    out[std::string(p.customer_id())] = std::string(p.bytes());
    return true;
  }));
  return out;
}

// XORs the byte at `offset` of the file at `path` with `mask`: damage a
// checksum should catch.
inline void FlipByte(const std::string& path, std::uint64_t offset,
                     char mask = 0x55) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  REQUIRE(f.good());
  c = static_cast<char>(c ^ mask);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
  REQUIRE(f.good());
}

// Writes `text` to the file `name` in `dir`; returns its path.
inline std::string WriteFile(const TempDir& dir, const std::string& name,
                             const std::string& text) {
  std::ofstream(dir.sub(name), std::ios::binary) << text;
  return dir.sub(name);
}

}  // namespace ckm_test

#endif  // CKM_TESTS_TEST_UTIL_H_
