// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Tests of tools/csv.h: RFC 4180 records, line and column bookkeeping, the
// exact text of each malformed-input error, gzip input giving the same records
// as plain, and records that straddle the reader's 256 KiB blocks.

#include "csv.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "test_util.h"

namespace {

using ckm::tools::CsvReader;
using Record = std::vector<std::string>;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  REQUIRE(gz != nullptr);
  // gzwrite takes an unsigned length; write in pieces to keep it small.
  for (std::size_t at = 0; at < bytes.size(); at += 1 << 20) {
    const std::size_t n = std::min<std::size_t>(bytes.size() - at, 1 << 20);
    REQUIRE(gzwrite(gz, bytes.data() + at, static_cast<unsigned>(n)) ==
            static_cast<int>(n));
  }
  REQUIRE(gzclose(gz) == Z_OK);
}

struct ReadResult {
  std::vector<Record> records;
  std::vector<std::int64_t> lines;  // record_line() of each record.
  absl::Status status;              // OK, or the error that stopped reading.
};

ReadResult ReadAll(const std::string& path, char delimiter = ',') {
  ReadResult result;
  absl::StatusOr<CsvReader> reader = CsvReader::Open(path, delimiter);
  if (!reader.ok()) {
    result.status = reader.status();
    return result;
  }
  Record fields;
  for (;;) {
    absl::StatusOr<bool> more = reader->Next(fields);
    if (!more.ok()) {
      result.status = more.status();
      return result;
    }
    if (!*more) break;
    result.records.push_back(fields);
    result.lines.push_back(reader->record_line());
  }
  CHECK(reader->bytes_consumed() == reader->file_bytes());
  CHECK(static_cast<std::uintmax_t>(reader->file_bytes()) ==
        std::filesystem::file_size(path));
  return result;
}

struct WellFormed {
  const char* name;
  std::string input;
  char delimiter;
  std::vector<Record> records;
  std::vector<std::int64_t> lines;
};

TEST_CASE("CsvReader parses well-formed input, plain and gzip alike", "[csv]") {
  const WellFormed cases[] = {
      {"simple",
       "a,b,c\n1,2,3\n",
       ',',
       {{"a", "b", "c"}, {"1", "2", "3"}},
       {1, 2}},
      {"empty file", "", ',', {}, {}},
      {"only line breaks", "\n\r\n\n", ',', {}, {}},
      {"no final line break",
       "a,b\nc,d",
       ',',
       {{"a", "b"}, {"c", "d"}},
       {1, 2}},
      {"no final line break, quoted", "a\n\"c\"", ',', {{"a"}, {"c"}}, {1, 2}},
      {"empty fields", ",a,,\n,\n", ',', {{"", "a", "", ""}, {"", ""}}, {1, 2}},
      {"final empty field without line break", "a,", ',', {{"a", ""}}, {1}},
      {"quoted empty field is a record", "\"\"\n", ',', {{""}}, {1}},
      {"quoted delimiter", "\"a,b\",c\n", ',', {{"a,b", "c"}}, {1}},
      {"doubled quotes",
       "\"say \"\"hi\"\"\",\"\"\"\"\n",
       ',',
       {{"say \"hi\"", "\""}},
       {1}},
      {"line breaks in quotes",
       "\"x\ny\nz\",1\nnext,2\n\"\n\",3\nlast,4\n",
       ',',
       {{"x\ny\nz", "1"}, {"next", "2"}, {"\n", "3"}, {"last", "4"}},
       {1, 4, 5, 7}},
      {"CRLF", "a,b\r\nc,d\r\n", ',', {{"a", "b"}, {"c", "d"}}, {1, 2}},
      {"CRLF after quoted field",
       "\"a\",\"b\"\r\n\"c\"\r\n",
       ',',
       {{"a", "b"}, {"c"}},
       {1, 2}},
      {"CRLF inside quotes is kept",
       "\"a\r\nb\",c\r\nd\r\n",
       ',',
       {{"a\r\nb", "c"}, {"d"}},
       {1, 3}},
      {"CR inside quotes is kept", "\"a\rb\"\n", ',', {{"a\rb"}}, {1}},
      {"CR at end without LF", "a,b\r", ',', {{"a", "b"}}, {1}},
      {"CR after closing quote at end", "\"a\"\r", ',', {{"a"}}, {1}},
      {"empty lines are skipped",
       "\na\n\n\nb\n\r\n\nc",
       ',',
       {{"a"}, {"b"}, {"c"}},
       {2, 5, 8}},
      {"BOM",
       "\xEF\xBB\xBF"
       "id,name\n1,x\n",
       ',',
       {{"id", "name"}, {"1", "x"}},
       {1, 2}},
      {"BOM only", "\xEF\xBB\xBF", ',', {}, {}},
      {"BOM-like bytes later are data",
       "a\n\xEF\xBB\xBF"
       "b\n",
       ',',
       {{"a"},
        {"\xEF\xBB\xBF"
         "b"}},
       {1, 2}},
      {"semicolon", "a;b,c;\"d;e\"\n", ';', {{"a", "b,c", "d;e"}}, {1}},
      {"tab", "a\tb c\t\"d\te\"\t\n", '\t', {{"a", "b c", "d\te", ""}}, {1}},
      {"spaces are data", " a , b \n", ',', {{" a ", " b "}}, {1}},
      {"ragged records",
       "a\nb,c,d\ne,f\n",
       ',',
       {{"a"}, {"b", "c", "d"}, {"e", "f"}},
       {1, 2, 3}},
      {"UTF-8",
       "caf\xC3\xA9,\xE2\x82\xAC"
       "5\n",
       ',',
       {{"caf\xC3\xA9",
         "\xE2\x82\xAC"
         "5"}},
       {1}},
      {"NUL byte is data",
       std::string("a\0b,c\n", 6),
       ',',
       {{std::string("a\0b", 3), "c"}},
       {1}},
  };
  ckm_test::TempDir dir;
  for (const WellFormed& c : cases) {
    INFO(c.name);
    const std::string plain = dir.sub("plain.csv");
    const std::string gz = dir.sub("compressed.csv.gz");
    WriteFile(plain, c.input);
    WriteGzip(gz, c.input);
    for (const std::string& path : {plain, gz}) {
      INFO(path);
      const ReadResult got = ReadAll(path, c.delimiter);
      REQUIRE_OK(got.status);
      CHECK(got.records == c.records);
      CHECK(got.lines == c.lines);
    }
  }
}

struct Malformed {
  const char* name;
  std::string input;
  std::size_t good_records;  // Records returned before the error.
  std::string where_what;    // The message after "path:".
};

TEST_CASE("CsvReader names line and column of malformed input", "[csv]") {
  const Malformed cases[] = {
      {"quote inside unquoted field", "a,b\"c\n", 0,
       "1:4: '\"' inside an unquoted field"},
      {"quote after leading space", "a, \"b\"\n", 0,
       "1:4: '\"' inside an unquoted field"},
      {"text after closing quote", "a,b\nc,\"d\"e\n", 1,
       "2:6: text after the closing quote of a field"},
      {"space after closing quote", "\"a\" ,b\n", 0,
       "1:4: text after the closing quote of a field"},
      {"CR then text after closing quote", "\"a\"\rb\n", 0,
       "1:4: text after the closing quote of a field"},
      {"unterminated quote", "a,\"open\nmore\n", 0,
       "1:3: quoted field is not closed before the end of the file"},
      {"unterminated quote on a later line", "x\r\ny\r\n\r\nz,\"abc", 2,
       "4:3: quoted field is not closed before the end of the file"},
      {"line count after quoted line breaks", "\"x\ny\",z\n\nq\"r\n", 1,
       "4:2: '\"' inside an unquoted field"},
      {"column counts from the line, not the record", "\"a\nbc\"d\n", 0,
       "2:4: text after the closing quote of a field"},
      {"BOM is not a column", "\xEF\xBB\xBF\"a\"x\n", 0,
       "1:4: text after the closing quote of a field"},
      {"after good records, semicolon", "a;b\nc;d\ne;\"f\"g\n", 2,
       "3:6: text after the closing quote of a field"},
  };
  ckm_test::TempDir dir;
  for (const Malformed& c : cases) {
    INFO(c.name);
    const std::string path = dir.sub("bad.csv");
    WriteFile(path, c.input);
    const char delimiter = c.input.find(';') != std::string::npos ? ';' : ',';
    absl::StatusOr<CsvReader> reader = CsvReader::Open(path, delimiter);
    REQUIRE_OK(reader);
    Record fields;
    std::size_t good = 0;
    absl::StatusOr<bool> more;
    while ((more = reader->Next(fields)).ok() && *more) ++good;
    CHECK(good == c.good_records);
    REQUIRE_FALSE(more.ok());
    CHECK(more.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(more.status().message()) ==
          absl::StrCat(path, ":", c.where_what));
    // The error is sticky.
    const absl::StatusOr<bool> again = reader->Next(fields);
    CHECK(again.status() == more.status());
  }
}

TEST_CASE("CsvReader::Open reports missing files and bad delimiters", "[csv]") {
  ckm_test::TempDir dir;
  const absl::StatusOr<CsvReader> missing =
      CsvReader::Open(dir.sub("nope.csv"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()).find("nope.csv") !=
        std::string::npos);

  const absl::StatusOr<CsvReader> in_missing_dir =
      CsvReader::Open(dir.sub("no/such.csv"));
  CHECK(in_missing_dir.status().code() == absl::StatusCode::kNotFound);

  const absl::StatusOr<CsvReader> directory = CsvReader::Open(dir.path());
  CHECK(directory.status().code() == absl::StatusCode::kInvalidArgument);

  const std::string path = dir.sub("ok.csv");
  WriteFile(path, "a\n");
  for (const char bad : {'"', '\r', '\n'}) {
    const absl::StatusOr<CsvReader> reader = CsvReader::Open(path, bad);
    CHECK(reader.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("CsvReader reports a truncated or corrupt gzip file as DataLoss",
          "[csv]") {
  ckm_test::TempDir dir;
  std::string text;
  for (int i = 0; i < 20000; ++i)
    absl::StrAppend(&text, i, ",row ", i * 7919 % 10007, "\n");
  const std::string gz = dir.sub("full.csv.gz");
  WriteGzip(gz, text);
  std::string compressed;
  {
    std::ifstream in(gz, std::ios::binary);
    compressed.assign(std::istreambuf_iterator<char>(in),
                      std::istreambuf_iterator<char>());
  }
  REQUIRE(compressed.size() > 100);

  const std::string truncated = dir.sub("truncated.csv.gz");
  WriteFile(truncated, compressed.substr(0, compressed.size() / 2));
  ReadResult got = ReadAll(truncated);
  CHECK(got.status.code() == absl::StatusCode::kDataLoss);

  std::string flipped = compressed;
  for (std::size_t i = 40; i < 60; ++i)
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5A);
  const std::string corrupt = dir.sub("corrupt.csv.gz");
  WriteFile(corrupt, flipped);
  got = ReadAll(corrupt);
  CHECK(got.status.code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("CsvReader handles records straddling its 256 KiB blocks", "[csv]") {
  constexpr std::size_t kBlock = 256 * 1024;
  // A tricky tail placed so the block boundary falls on each of its bytes in
  // turn: a doubled quote, CR then LF after a closing quote, a quoted line
  // break, and a CRLF after an unquoted field.
  const std::string tail = "\"a\"\"b\"\r\nc,\"d\ne\"\r\nf\r\n";
  ckm_test::TempDir dir;
  for (std::size_t shift = 0; shift <= tail.size(); ++shift) {
    INFO(shift);
    const std::string filler(kBlock - tail.size() + shift - 1, 'x');
    const std::string input = filler + "\n" + tail;
    const std::vector<Record> want = {{filler}, {"a\"b"}, {"c", "d\ne"}, {"f"}};
    const std::vector<std::int64_t> want_lines = {1, 2, 3, 5};
    const std::string plain = dir.sub("plain.csv");
    const std::string gz = dir.sub("compressed.csv.gz");
    WriteFile(plain, input);
    WriteGzip(gz, input);
    for (const std::string& path : {plain, gz}) {
      const ReadResult got = ReadAll(path);
      REQUIRE_OK(got.status);
      CHECK(got.records == want);
      CHECK(got.lines == want_lines);
    }
  }

  // An error just past a block boundary still has the right column.
  const std::string filler(kBlock - 3, 'x');
  const std::string path = dir.sub("bad.csv");
  WriteFile(path, filler + "\n\"ab\"c\n");  // 'c' is byte kBlock + 2.
  const ReadResult got = ReadAll(path);
  CHECK(got.records.size() == 1);
  CHECK(std::string(got.status.message()) ==
        absl::StrCat(path, ":2:5: text after the closing quote of a field"));
}

TEST_CASE("CsvReader reads many records the same from plain and gzip",
          "[csv]") {
  // Varied records over several blocks, with the expected parse built
  // alongside the text.
  std::string text = "\xEF\xBB\xBFid,name,note\r\n";
  std::vector<Record> want = {{"id", "name", "note"}};
  std::vector<std::int64_t> want_lines = {1};
  std::int64_t line = 2;
  for (int i = 0; i < 30000; ++i) {
    const std::string id = std::to_string(i);
    const std::string name(static_cast<std::size_t>(i % 37),
                           static_cast<char>('a' + i % 26));
    want_lines.push_back(line);
    if (i % 5 == 0) {
      absl::StrAppend(&text, id, ",\"", name, ",\"\"q\"\"\nmore\",", i % 3,
                      "\n");
      want.push_back({id, name + ",\"q\"\nmore", std::to_string(i % 3)});
      line += 2;
    } else if (i % 7 == 0) {
      absl::StrAppend(&text, id, ",", name, ",\r\n\r\n");
      want.push_back({id, name, ""});
      line += 2;
    } else {
      absl::StrAppend(&text, id, ",", name, ",plain\n");
      want.push_back({id, name, "plain"});
      line += 1;
    }
  }
  ckm_test::TempDir dir;
  const std::string plain = dir.sub("many.csv");
  const std::string gz = dir.sub("many.csv.gz");
  WriteFile(plain, text);
  WriteGzip(gz, text);
  REQUIRE(text.size() > 3 * 256 * 1024);
  for (const std::string& path : {plain, gz}) {
    INFO(path);
    const ReadResult got = ReadAll(path);
    REQUIRE_OK(got.status);
    CHECK(got.records == want);
    CHECK(got.lines == want_lines);
  }
}

TEST_CASE("CsvReader tracks progress and moves", "[csv]") {
  ckm_test::TempDir dir;
  const std::string path = dir.sub("p.csv");
  WriteFile(path, "a,b\nc,d\n");
  absl::StatusOr<CsvReader> opened = CsvReader::Open(path);
  REQUIRE_OK(opened);
  CsvReader reader = std::move(*opened);
  CHECK(reader.path() == path);
  CHECK(reader.file_bytes() == 8);
  CHECK(reader.bytes_consumed() <= reader.file_bytes());

  Record fields = {"stale", "stale", "stale"};
  absl::StatusOr<bool> more = reader.Next(fields);
  REQUIRE_OK(more);
  REQUIRE(*more);
  CHECK(fields == Record{"a", "b"});  // Cleared first.
  CHECK(reader.record_line() == 1);

  CsvReader moved = std::move(reader);
  more = moved.Next(fields);
  REQUIRE_OK(more);
  REQUIRE(*more);
  CHECK(fields == Record{"c", "d"});
  CHECK(moved.record_line() == 2);

  more = moved.Next(fields);
  REQUIRE_OK(more);
  CHECK_FALSE(*more);
  CHECK(fields.empty());
  CHECK(moved.bytes_consumed() == 8);
  more = moved.Next(fields);  // Stays at the end.
  REQUIRE_OK(more);
  CHECK_FALSE(*more);
}

}  // namespace
