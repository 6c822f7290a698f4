// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// CsvReader: streams records from a CSV file, plain or gzip-compressed
// (detected by content, not by name), following RFC 4180: fields separated by
// one delimiter byte, records ended by LF or CRLF, fields optionally quoted
// with '"', a quote inside a quoted field written as "", and line breaks
// allowed inside quoted fields.
//
// Details RFC 4180 leaves open: a UTF-8 byte order mark at the very start of
// the file is skipped. A '\r' right before a record's line break (or before
// the end of the file) belongs to the line break; any other '\r' is field
// data. A line that is empty (or holds only "\r") is skipped, while a line
// holding "" is a record with one empty field. Spaces are data, so ` "a"` is
// an unquoted field containing a quote, which is malformed.
//
// Thread safety: one reader per thread. Not copyable; movable.

#ifndef CKM_TOOLS_CSV_H_
#define CKM_TOOLS_CSV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ckm::tools {

class CsvReader {
 public:
  // Opens `path`. NotFound if it does not exist; InvalidArgument for a
  // delimiter that is '"', '\r' or '\n', or if `path` is not a regular file;
  // Unavailable if it cannot be opened for another reason.
  [[nodiscard]] static absl::StatusOr<CsvReader> Open(const std::string& path,
                                                      char delimiter = ',');
  CsvReader(CsvReader&&) noexcept;
  CsvReader& operator=(CsvReader&&) noexcept;
  ~CsvReader();

  // Reads the next record into `fields` (cleared first). Returns false at the
  // end of the file. A malformed record (a quote inside an unquoted field,
  // text after a closing quote, a quoted field still open at the end of the
  // file) is InvalidArgument naming "path:line:column": the 1-based line
  // (line breaks inside quoted fields count) and the 1-based byte within that
  // line (the byte order mark is not counted) of the offending byte, or of the
  // opening quote of an unclosed field. Errors are sticky: every later call
  // returns the same status. A truncated or corrupt gzip stream is DataLoss; a
  // failed read is Unavailable. A final record without a line break is fine;
  // empty lines are skipped. The strings already in `fields` are reused, so
  // passing the same vector to every call avoids reallocating.
  [[nodiscard]] absl::StatusOr<bool> Next(std::vector<std::string>& fields);

  // 1-based line on which the record last returned by Next() starts.
  std::int64_t record_line() const;
  // Bytes of the file (compressed bytes for gzip) consumed so far, and the
  // file's size: for progress. Reading runs ahead of the records returned by
  // up to a 256 KiB block; at the end of the file the two are equal.
  std::int64_t bytes_consumed() const;
  std::int64_t file_bytes() const;
  const std::string& path() const;

 private:
  struct Impl;
  explicit CsvReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckm::tools

#endif  // CKM_TOOLS_CSV_H_
