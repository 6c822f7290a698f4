// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/store_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ckm::storage {
namespace {

namespace fs = std::filesystem;

bool EndsWith(const std::string& s, const char* suffix) {
  return absl::EndsWith(s, suffix);
}

}  // namespace

std::string StoreFiles::Summary() const {
  return absl::StrCat(has_current ? "CURRENT, " : "", manifests.size(),
                      " MANIFEST, ", tables, " .sst, ", logs, " .log, ",
                      options_files, " OPTIONS");
}

StoreFiles ListStoreFiles(const std::string& dir) {
  StoreFiles files;
  std::error_code ec;
  files.directory_exists = fs::is_directory(dir, ec);
  if (!files.directory_exists) return files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name == "CURRENT") {
      files.has_current = true;
    } else if (absl::StartsWith(name, "MANIFEST-")) {
      files.manifests.push_back(name);
    } else if (absl::StartsWith(name, "OPTIONS-")) {
      ++files.options_files;
    } else if (EndsWith(name, ".sst")) {
      ++files.tables;
    } else if (EndsWith(name, ".log")) {
      ++files.logs;
      std::error_code size_ec;
      const std::uintmax_t bytes = e.file_size(size_ec);
      files.log_bytes += size_ec ? 1 : bytes;  // unknown: it may hold data
    } else if (files.foreign.empty() && name != "LOCK" && name != "LOG" &&
               !absl::StartsWith(name, "LOG.old.") && name != "IDENTITY" &&
               !EndsWith(name, ".dbtmp")) {
      files.foreign = name;
    }
  }
  return files;
}

std::optional<long> LockHolder(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock query = {};
  query.l_type = F_WRLCK;
  query.l_whence = SEEK_SET;
  const int r = ::fcntl(fd, F_GETLK, &query);
  ::close(fd);
  if (r != 0 || query.l_type == F_UNLCK) return std::nullopt;
  return static_cast<long>(query.l_pid);
}

absl::Status DamagedStoreFile(const std::string& dir, const std::string& file,
                              const std::string& what) {
  return absl::DataLossError(absl::StrCat(
      "store \"", dir, "\" is damaged: \"", file, "\" ", what,
      ". Nothing was written. To recover, run `ckm repair ", dir,
      "` (RepairStore), which first copies the directory to a backup"));
}

absl::Status StoreBusy(const std::string& dir, long pid) {
  return absl::UnavailableError(
      absl::StrCat("store \"", dir, "\" is busy: process ", pid,
                   " has it open for writing (or is creating it); open it "
                   "as a follower to read meanwhile, or try again later"));
}

absl::StatusOr<std::string> CheckCurrent(const std::string& dir,
                                         const StoreFiles& files) {
  const std::string current = dir + "/CURRENT";
  if (!files.has_current) {
    return DamagedStoreFile(
        dir, current,
        absl::StrCat("is missing although the directory holds a store's "
                     "files (",
                     files.Summary(), ")"));
  }
  std::ifstream in(current, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  if (content.empty() || content.back() != '\n' ||
      !absl::StartsWith(content, "MANIFEST-") ||
      content.find('\n') != content.size() - 1) {
    return DamagedStoreFile(dir, current,
                            "is damaged (it does not name a MANIFEST file)");
  }
  const std::string manifest =
      absl::StrCat(dir, "/", content.substr(0, content.size() - 1));
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(manifest, ec);
  if (ec) {
    return DamagedStoreFile(
        dir, current,
        absl::StrCat("names \"", manifest,
                     "\", which cannot be read: ", ec.message()));
  }
  if (size == 0) return DamagedStoreFile(dir, manifest, "is empty");
  return manifest;
}

}  // namespace ckm::storage
