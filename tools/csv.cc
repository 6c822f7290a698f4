// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The parser is a byte-level state machine over 256 KiB blocks read through
// zlib's gzread, which inflates gzip members and passes any other content
// through unchanged (it checks for the 1f 8b magic itself). The state survives
// block boundaries, so a field or a quoted line break may straddle two blocks
// without any look-ahead.

#include "csv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ckm::tools {
namespace {

constexpr std::size_t kBlockBytes = 256 * 1024;

enum class State {
  kRecordStart,    // Nothing of the record consumed yet.
  kFieldStart,     // After a delimiter: a field begins with the next byte.
  kUnquoted,       // Inside a field that did not start with '"'.
  kQuoted,         // Inside a quoted field.
  kQuoteInQuoted,  // Saw '"' in a quoted field: "" or the closing quote.
  kCrAfterQuote,   // Saw '\r' right after a closing quote: expects '\n'.
};

}  // namespace

struct CsvReader::Impl {
  std::string path;
  char delimiter = ',';
  gzFile gz = nullptr;
  std::int64_t file_bytes = 0;
  bool eof = false;
  absl::Status error;  // Sticky: once a record is malformed, Next() repeats it.

  std::vector<char> block = std::vector<char>(kBlockBytes);
  std::size_t pos = 0;  // Next unread byte of `block`.
  std::size_t end = 0;  // Bytes of `block` filled.
  // Offset (in decompressed bytes) of block[0], and of the current line's
  // first byte: their difference gives error columns.
  std::int64_t block_offset = 0;
  std::int64_t line_offset = 0;
  std::int64_t line = 1;
  bool at_file_start = true;

  std::int64_t record_line = 0;

  ~Impl() {
    if (gz != nullptr) gzclose(gz);
  }

  std::string Where(std::int64_t at_line, std::int64_t column) const {
    return absl::StrCat(path, ":", at_line, ":", column);
  }

  // Reads the next block. False at the end of the file or on an error, which
  // is then left in `error`.
  bool Refill() {
    if (eof) return false;
    block_offset += static_cast<std::int64_t>(end);
    pos = 0;
    end = 0;
    const int n = gzread(gz, block.data(), static_cast<unsigned>(block.size()));
    if (n > 0) {
      end = static_cast<std::size_t>(n);
      if (at_file_start) {
        at_file_start = false;
        // The UTF-8 byte order mark is not part of line 1's text. gzread
        // returns a full block unless the file is shorter, so the three bytes
        // are never split across blocks.
        if (end >= 3 && std::memcmp(block.data(), "\xEF\xBB\xBF", 3) == 0) {
          pos = 3;
          line_offset = 3;
        }
      }
      return true;
    }
    eof = true;
    int zerr = Z_OK;
    const char* msg = gzerror(gz, &zerr);
    if (n < 0 || zerr != Z_OK) {
      if (zerr == Z_ERRNO) {
        error = absl::UnavailableError(
            absl::StrCat(path, ": read failed: ", std::strerror(errno)));
      } else if (zerr == Z_BUF_ERROR) {
        error = absl::DataLossError(
            absl::StrCat(path, ": gzip stream is truncated"));
      } else {
        error = absl::DataLossError(
            absl::StrCat(path, ": corrupt gzip data: ", msg));
      }
    }
    return false;
  }
};

CsvReader::CsvReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CsvReader::CsvReader(CsvReader&&) noexcept = default;
CsvReader& CsvReader::operator=(CsvReader&&) noexcept = default;
CsvReader::~CsvReader() = default;

absl::StatusOr<CsvReader> CsvReader::Open(const std::string& path,
                                          char delimiter) {
  if (delimiter == '"' || delimiter == '\r' || delimiter == '\n') {
    return absl::InvalidArgumentError(
        "CSV delimiter may not be '\"', '\\r' or '\\n'");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string msg = absl::StrCat(path, ": ", std::strerror(err));
    if (err == ENOENT || err == ENOTDIR)
      return absl::NotFoundError(std::move(msg));
    return absl::UnavailableError(std::move(msg));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a regular file"));
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->delimiter = delimiter;
  impl->file_bytes = st.st_size;
  impl->gz = gzdopen(fd, "rb");
  if (impl->gz == nullptr) {
    ::close(fd);
    return absl::InternalError(absl::StrCat(path, ": gzdopen failed"));
  }
  gzbuffer(impl->gz, static_cast<unsigned>(kBlockBytes));
  return CsvReader(std::move(impl));
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>& fields) {
  Impl& r = *impl_;
  if (!r.error.ok()) return r.error;

  const char delim = r.delimiter;
  std::size_t count =
      0;  // Fields begun in this record; fields[count-1] is current.
  bool quoted = false;  // Whether the current field started with '"'.
  std::int64_t quote_line = 0, quote_column = 0;  // Where it started.
  State state = State::kRecordStart;

  // Reuses the strings already in `fields` so their buffers are kept.
  auto begin_field = [&] {
    if (count < fields.size()) {
      fields[count].clear();
    } else {
      fields.emplace_back();
    }
    ++count;
    quoted = false;
  };
  // Ends the record. False if it was an empty line to skip.
  auto finish_record = [&]() -> bool {
    std::string& last = fields[count - 1];
    if (!quoted && !last.empty() && last.back() == '\r') last.pop_back();
    if (count == 1 && !quoted && last.empty()) {
      state = State::kRecordStart;
      count = 0;
      return false;
    }
    fields.resize(count);
    return true;
  };
  auto column_of = [&](std::size_t i) {
    return r.block_offset + static_cast<std::int64_t>(i) - r.line_offset + 1;
  };
  auto malformed = [&](std::int64_t column, const char* what) {
    r.error = absl::InvalidArgumentError(
        absl::StrCat(r.Where(r.line, column), ": ", what));
    return r.error;
  };

  for (;;) {
    if (r.pos == r.end && !r.Refill()) {
      if (!r.error.ok()) return r.error;
      switch (state) {
        case State::kRecordStart:
          fields.clear();
          return false;
        case State::kQuoted:
          r.error = absl::InvalidArgumentError(absl::StrCat(
              r.Where(quote_line, quote_column),
              ": quoted field is not closed before the end of the file"));
          return r.error;
        default:
          if (finish_record()) return true;
          fields.clear();
          return false;
      }
    }
    const char* const data = r.block.data();
    std::size_t i = r.pos;
    const std::size_t end = r.end;

    while (i < end) {
      switch (state) {
        case State::kRecordStart:
          r.record_line = r.line;
          begin_field();
          state = State::kFieldStart;
          [[fallthrough]];
        case State::kFieldStart: {
          const char c = data[i];
          if (c == '"') {
            quoted = true;
            quote_line = r.line;
            quote_column = column_of(i);
            ++i;
            state = State::kQuoted;
          } else {
            state = State::kUnquoted;
          }
          break;
        }
        case State::kUnquoted: {
          // Hot loop: most bytes are plain field text.
          std::size_t j = i;
          while (j < end) {
            const char c = data[j];
            if (c == delim || c == '\n' || c == '"') break;
            ++j;
          }
          fields[count - 1].append(data + i, j - i);
          i = j;
          if (i == end) break;
          const char c = data[i];
          if (c == delim) {
            ++i;
            begin_field();
            state = State::kFieldStart;
          } else if (c == '\n') {
            ++i;
            ++r.line;
            r.line_offset = r.block_offset + static_cast<std::int64_t>(i);
            if (finish_record()) {
              r.pos = i;
              return true;
            }
          } else {
            return malformed(column_of(i), "'\"' inside an unquoted field");
          }
          break;
        }
        case State::kQuoted: {
          std::size_t j = i;
          while (j < end) {
            const char c = data[j];
            if (c == '"') break;
            if (c == '\n') {
              ++r.line;
              r.line_offset = r.block_offset + static_cast<std::int64_t>(j) + 1;
            }
            ++j;
          }
          fields[count - 1].append(data + i, j - i);
          i = j;
          if (i == end) break;
          ++i;  // The quote.
          state = State::kQuoteInQuoted;
          break;
        }
        case State::kQuoteInQuoted: {
          const char c = data[i];
          if (c == '"') {
            fields[count - 1].push_back('"');
            ++i;
            state = State::kQuoted;
          } else if (c == delim) {
            ++i;
            begin_field();
            state = State::kFieldStart;
          } else if (c == '\n') {
            ++i;
            ++r.line;
            r.line_offset = r.block_offset + static_cast<std::int64_t>(i);
            finish_record();  // Quoted, so never an empty line.
            r.pos = i;
            return true;
          } else if (c == '\r') {
            ++i;
            state = State::kCrAfterQuote;
          } else {
            return malformed(column_of(i),
                             "text after the closing quote of a field");
          }
          break;
        }
        case State::kCrAfterQuote: {
          if (data[i] != '\n')
            return malformed(column_of(i) - 1,
                             "text after the closing quote of a field");
          ++i;
          ++r.line;
          r.line_offset = r.block_offset + static_cast<std::int64_t>(i);
          finish_record();
          r.pos = i;
          return true;
        }
      }
    }
    r.pos = i;
  }
}

std::int64_t CsvReader::record_line() const { return impl_->record_line; }

std::int64_t CsvReader::bytes_consumed() const {
  if (impl_->eof) return impl_->file_bytes;
  const z_off_t offset = gzoffset(impl_->gz);
  return offset < 0 ? 0 : static_cast<std::int64_t>(offset);
}

std::int64_t CsvReader::file_bytes() const { return impl_->file_bytes; }

const std::string& CsvReader::path() const { return impl_->path; }

}  // namespace ckm::tools
