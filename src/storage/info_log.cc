// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/info_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace ckm::storage {
namespace {

class FileInfoLog final : public rocksdb::Logger {
 public:
  explicit FileInfoLog(int fd) : fd_(fd) {}
  ~FileInfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    char line[2048];
    struct timeval now;
    gettimeofday(&now, nullptr);
    struct tm t;
    localtime_r(&now.tv_sec, &t);
    int n =
        std::snprintf(line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ",
                      t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
                      t.tm_min, t.tm_sec, static_cast<long>(now.tv_usec));
    if (n < 0) return;
    const int body = std::vsnprintf(
        line + n, sizeof line - static_cast<std::size_t>(n) - 1, format, ap);
    if (body < 0) return;
    n = std::min<int>(n + body, static_cast<int>(sizeof line) - 2);
    if (line[n - 1] != '\n') line[n++] = '\n';
    // One write per line, O_APPEND: lines from threads do not interleave. A
    // failure (a full disk) loses the line and nothing else.
    const ssize_t written = ::write(fd_, line, static_cast<std::size_t>(n));
    (void)written;
  }

 private:
  const int fd_;
};

class DiscardingInfoLog final : public rocksdb::Logger {
 public:
  DiscardingInfoLog() : rocksdb::Logger(rocksdb::InfoLogLevel::HEADER_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewFileInfoLog(const std::string& path,
                                                long max_bytes) {
  struct stat st;
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  if (::stat(path.c_str(), &st) == 0 && st.st_size > max_bytes)
    flags |= O_TRUNC;
  return std::make_shared<FileInfoLog>(::open(path.c_str(), flags, 0644));
}

std::shared_ptr<rocksdb::Logger> NewDiscardingInfoLog() {
  return std::make_shared<DiscardingInfoLog>();
}

}  // namespace ckm::storage
