// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// `ckm segment` over the bundled retail data against an independent Python
// computation (retail_segment_reference.py) over `ckm export profiles`. Run
// from retail_import_test on the store it imported, so that the suite
// imports the data once for both.

#ifndef CKM_TESTS_TOOLS_RETAIL_SEGMENTS_H_
#define CKM_TESTS_TOOLS_RETAIL_SEGMENTS_H_

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "test_util.h"

namespace ckm_test {

inline std::string SlurpFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `command`, returns its stdout; stderr goes to `err`.
inline std::string Shell(const TempDir& dir, const std::string& command,
                         std::string* err = nullptr) {
  const std::string out = dir.sub("shell.out"), errors = dir.sub("shell.err");
  INFO(command);
  const int status =
      std::system((command + " > " + out + " 2> " + errors).c_str());
  INFO(SlurpFile(errors));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  if (err != nullptr) *err = SlurpFile(errors);
  return SlurpFile(out);
}

// `export_csv` is `ckm export profiles --format csv` of the store in `db`.
inline void CheckRetailSegments(const TempDir& dir, const std::string& db,
                                const std::string& export_csv) {
  const std::string reference =
      Shell(dir, std::string(CKM_PYTHON3) + " " + CKM_SOURCE_DIR +
                     "/tests/tools/retail_segment_reference.py " + export_csv);
  const std::string segment = std::string(CKM_CLI) + " segment --db " + db +
                              " --now 2011-12-10T00:00:00 ";
  std::size_t blocks = 0;
  std::size_t at = reference.find("### ");
  while (at != std::string::npos) {
    const std::size_t flags_end = reference.find('\n', at);
    const std::size_t next = reference.find("### ", flags_end);
    const std::string flags = reference.substr(at + 4, flags_end - at - 4);
    const std::string want = reference.substr(
        flags_end + 1,
        (next == std::string::npos ? reference.size() : next) - flags_end - 1);
    INFO("ckm segment " << flags);
    CHECK(Shell(dir, segment + flags) == want);
    ++blocks;

    // The same rows, 50 at a time, following each page's cursor.
    const std::size_t all = flags.find("--limit 0");
    if (all != std::string::npos) {
      std::string paged = flags;
      paged.replace(all, 9, "--limit 50");
      std::string got = want.substr(0, want.find('\n') + 1);  // the header
      std::string cursor;
      for (int page = 0; page < 100; ++page) {
        std::string err;
        const std::string out = Shell(dir, segment + paged + cursor, &err);
        got += out.substr(out.find('\n') + 1);
        if (err.empty()) break;
        const std::string prefix = "next page: --cursor ";
        REQUIRE(err.rfind(prefix, 0) == 0);
        cursor = " --cursor " +
                 err.substr(prefix.size(), err.size() - prefix.size() - 1);
      }
      CHECK(got == want);
    }
    at = next;
  }
  CHECK(blocks == 6);
}

}  // namespace ckm_test

#endif  // CKM_TESTS_TOOLS_RETAIL_SEGMENTS_H_
