// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Fuzzes the importer's input side: CsvReader on arbitrary file contents (with
// ',' and ';' as the delimiter), and ParseTimestamp and ParseMicros on every
// field it returns.
//
// Checked, beyond "never crashes":
//   - a malformed record is InvalidArgument naming "path:line:column" with
//     1-based numbers; a broken gzip stream (input starting with the gzip
//     magic) is DataLoss; nothing else fails;
//   - the records, written back out with every field quoted, read back equal;
//   - ParseMicros fails only with InvalidArgument or OutOfRange, and what it
//     parses survives FormatMicros and parsing again;
//   - ParseTimestamp fails only with InvalidArgument, and a time in years
//     0000..9999 survives FormatIsoSeconds and parsing again (to the second).

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ckm/money.h"
#include "csv.h"
#include "timestamp.h"

namespace {

[[noreturn]] void Fail(std::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "fuzz_csv: %.*s: %s\n", static_cast<int>(what.size()),
               what.data(), status.ToString().c_str());
  std::abort();
}

[[noreturn]] void Fail(std::string_view what) { Fail(what, absl::OkStatus()); }

// One file per process, reused for every input; removed at exit.
struct TempFiles {
  std::string input;
  std::string rewritten;
  TempFiles() {
    const char* dir = std::getenv("TMPDIR");
    const std::string base = std::string(dir != nullptr ? dir : "/tmp") +
                             "/ckm-fuzz-csv-" + std::to_string(::getpid());
    input = base + ".csv";
    rewritten = base + "-rewritten.csv";
  }
  ~TempFiles() {
    std::remove(input.c_str());
    std::remove(rewritten.c_str());
  }
};

const TempFiles& Files() {
  static const TempFiles files;
  return files;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  // A new file rather than a truncated one: ext4 (auto_da_alloc) flushes a
  // file truncated and rewritten in place on close, 100 times slower.
  std::remove(path.c_str());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) Fail("cannot write the temporary file");
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return s != "0" && s.front() != '0';  // 1-based, no leading zeros
}

// "path:line:column: why" with positive line and column.
void CheckMalformedMessage(const absl::Status& status,
                           const std::string& path) {
  // Debian's Abseil has its own string_view.
  std::string_view m(status.message().data(), status.message().size());
  const std::string prefix = path + ":";
  if (m.substr(0, prefix.size()) != prefix) Fail("message lacks path", status);
  m.remove_prefix(prefix.size());
  const std::size_t colon1 = m.find(':');
  if (colon1 == std::string_view::npos || !IsDigits(m.substr(0, colon1))) {
    Fail("message lacks a line", status);
  }
  m.remove_prefix(colon1 + 1);
  const std::size_t colon2 = m.find(':');
  if (colon2 == std::string_view::npos || !IsDigits(m.substr(0, colon2))) {
    Fail("message lacks a column", status);
  }
}

// Reads every record; nullopt-like empty result with ok=false on an error.
struct ReadResult {
  bool ok = true;
  std::vector<std::vector<std::string>> records;
};

ReadResult ReadAll(const std::string& path, char delimiter, bool gzip) {
  ReadResult result;
  absl::StatusOr<ckm::tools::CsvReader> reader =
      ckm::tools::CsvReader::Open(path, delimiter);
  if (!reader.ok()) Fail("Open", reader.status());
  std::vector<std::string> fields;
  std::int64_t last_line = 0;
  for (;;) {
    absl::StatusOr<bool> next = reader->Next(fields);
    if (!next.ok()) {
      result.ok = false;
      if (absl::IsInvalidArgument(next.status())) {
        CheckMalformedMessage(next.status(), path);
      } else if (!(gzip && absl::IsDataLoss(next.status()))) {
        Fail("Next failed with an unexpected code", next.status());
      }
      // Errors are sticky.
      absl::StatusOr<bool> again = reader->Next(fields);
      if (again.ok() || again.status() != next.status()) {
        Fail("error is not sticky", next.status());
      }
      return result;
    }
    if (!*next) break;
    if (fields.empty()) Fail("a record without fields");
    if (reader->record_line() < 1 || reader->record_line() <= last_line) {
      Fail("record lines do not increase");
    }
    last_line = reader->record_line();
    result.records.push_back(fields);
  }
  if (!gzip && reader->bytes_consumed() != reader->file_bytes()) {
    Fail("bytes consumed at the end differ from the file's size");
  }
  return result;
}

std::string Quoted(const std::vector<std::vector<std::string>>& records,
                   char delimiter) {
  std::string out;
  for (const auto& record : records) {
    for (std::size_t i = 0; i < record.size(); ++i) {
      if (i > 0) out += delimiter;
      out += '"';
      for (char c : record[i]) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    }
    out += '\n';
  }
  return out;
}

constexpr std::int64_t kYear0Ms = -62'167'219'200'000;      // 0000-01-01
constexpr std::int64_t kYear10000Ms = 253'402'300'800'000;  // 10000-01-01

void CheckField(const std::string& field) {
  absl::StatusOr<std::int64_t> micros = ckm::ParseMicros(field);
  if (micros.ok()) {
    absl::StatusOr<std::int64_t> again =
        ckm::ParseMicros(ckm::FormatMicros(*micros, 0));
    if (!again.ok() || *again != *micros) Fail("FormatMicros round trip");
    (void)ckm::FormatCentsHalfEven(*micros);
  } else if (!absl::IsInvalidArgument(micros.status()) &&
             !absl::IsOutOfRange(micros.status())) {
    Fail("ParseMicros", micros.status());
  }

  absl::StatusOr<std::int64_t> ts = ckm::tools::ParseTimestamp(field);
  if (ts.ok()) {
    if (*ts >= kYear0Ms && *ts < kYear10000Ms) {
      const std::int64_t seconds_ms = *ts - ((*ts % 1000) + 1000) % 1000;
      absl::StatusOr<std::int64_t> again =
          ckm::tools::ParseTimestamp(ckm::tools::FormatIsoSeconds(*ts));
      if (!again.ok() || *again != seconds_ms) {
        Fail("FormatIsoSeconds round trip", again.status());
      }
    }
  } else if (!absl::IsInvalidArgument(ts.status())) {
    Fail("ParseTimestamp", ts.status());
  }
  for (const char* format : {"%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%E*S%Ez"}) {
    absl::StatusOr<std::int64_t> with_format =
        ckm::tools::ParseTimestamp(field, format);
    if (!with_format.ok() && !absl::IsInvalidArgument(with_format.status())) {
      Fail("ParseTimestamp with a format", with_format.status());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const TempFiles& files = Files();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  WriteFile(files.input, bytes);
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

  for (char delimiter : {',', ';'}) {
    const ReadResult result = ReadAll(files.input, delimiter, gzip);
    for (const auto& record : result.records) {
      for (const std::string& field : record) CheckField(field);
    }
    if (!result.ok) continue;
    // What was read, written back with every field quoted, reads back equal.
    WriteFile(files.rewritten, Quoted(result.records, delimiter));
    const ReadResult again = ReadAll(files.rewritten, delimiter, false);
    if (!again.ok || again.records != result.records) {
      Fail("records differ after writing them back quoted");
    }
  }
  return 0;
}
