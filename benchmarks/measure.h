// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Measuring helpers: clocks, CPU and memory of this process, percentiles, and
// a writer for one JSON object per line. All functions are thread-safe.

#ifndef CKM_BENCHMARKS_MEASURE_H_
#define CKM_BENCHMARKS_MEASURE_H_

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckm_bench {

inline double NowSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// User + system CPU of every thread of this process (RocksDB's background
// flush and compaction threads included).
inline double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU of the calling thread only.
inline double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// A field of /proc/self/status in MiB ("VmHWM", the peak resident set, or
// "VmRSS", the current one); -1 if it cannot be read.
inline double ProcStatusMiB(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size(), field) == 0 &&
        line.size() > field.size() && line[field.size()] == ':') {
      return std::stod(line.substr(field.size() + 1)) / 1024.0;  // kB
    }
  }
  return -1;
}

// Bytes of every regular file under `dir`.
inline std::int64_t DirBytes(const std::string& dir) {
  std::int64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      total += static_cast<std::int64_t>(it->file_size(ec));
    }
  }
  return total;
}

// Nearest-rank percentiles of a set of samples.
class Percentiles {
 public:
  explicit Percentiles(std::vector<double> samples)
      : sorted_(std::move(samples)) {
    std::sort(sorted_.begin(), sorted_.end());
  }
  // p in (0, 1]; nullopt without samples.
  std::optional<double> At(double p) const {
    if (sorted_.empty()) return std::nullopt;
    std::size_t rank = static_cast<std::size_t>(
        std::ceil(p * static_cast<double>(sorted_.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted_.size());
    return sorted_[rank - 1];
  }
  std::optional<double> Max() const {
    if (sorted_.empty()) return std::nullopt;
    return sorted_.back();
  }

 private:
  std::vector<double> sorted_;
};

// Builds one JSON object on one line: {"key":value,...}.
class JsonLine {
 public:
  JsonLine& Str(std::string_view key, std::string_view value) {
    Key(key);
    out_ += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out_ += buf;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
    return *this;
  }
  JsonLine& Int(std::string_view key, std::int64_t value) {
    Key(key);
    out_ += std::to_string(value);
    return *this;
  }
  // A number with `decimals` digits after the point; null if unset.
  JsonLine& Num(std::string_view key, std::optional<double> value,
                int decimals) {
    Key(key);
    if (!value || !std::isfinite(*value)) {
      out_ += "null";
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*f", decimals, *value);
      out_ += buf;
    }
    return *this;
  }
  JsonLine& Null(std::string_view key) {
    Key(key);
    out_ += "null";
    return *this;
  }
  // Prints the line to stdout and flushes it.
  void Print() const {
    std::printf("%s}\n", out_.c_str());
    std::fflush(stdout);
  }

 private:
  void Key(std::string_view key) {
    out_ += out_.size() == 1 ? "\"" : ",\"";
    out_.append(key.data(), key.size());
    out_ += "\":";
  }
  std::string out_ = "{";
};

}  // namespace ckm_bench

#endif  // CKM_BENCHMARKS_MEASURE_H_
