// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// QuoteForError: short values whole, long ones cut at a character boundary
// with their size, so that no error message grows with its input.

#include "quote.h"

#include <string>

#include "catch2/catch.hpp"
#include "validate.h"

namespace ckm {
namespace {

TEST_CASE("Values up to 64 bytes are quoted whole") {
  CHECK(QuoteForError("") == "\"\"");
  CHECK(QuoteForError("two") == "\"two\"");
  const std::string at_limit(kMaxQuotedBytes, 'a');
  CHECK(QuoteForError(at_limit) == "\"" + at_limit + "\"");
}

TEST_CASE("Longer values are cut to 64 bytes and give their size") {
  const std::string huge(10'000'000, 'x');
  const std::string quoted = QuoteForError(huge);
  CHECK(quoted ==
        "\"" + std::string(64, 'x') + "\"\xE2\x80\xA6(10000000 bytes)");
  CHECK(QuoteForError(std::string(65, 'y')) ==
        "\"" + std::string(64, 'y') + "\"\xE2\x80\xA6(65 bytes)");
}

TEST_CASE("The cut never falls inside a UTF-8 sequence") {
  // Characters of 2, 3 and 4 bytes at every offset relative to the cut.
  for (const std::string ch :
       {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    for (std::size_t pad = 0; pad < 4; ++pad) {
      std::string value(pad, 'a');
      while (value.size() < 200) value += ch;
      REQUIRE(IsValidUtf8(value));
      const std::size_t keep = Utf8PrefixBytes(value, kMaxQuotedBytes);
      INFO("char of " << ch.size() << " bytes, pad " << pad);
      CHECK(keep <= kMaxQuotedBytes);
      CHECK(keep + ch.size() > kMaxQuotedBytes);  // no more was cut than needed
      CHECK(IsValidUtf8(value.substr(0, keep)));
      CHECK(IsValidUtf8(QuoteForError(value)));
    }
  }
  // Invalid UTF-8 has no sequences to respect: the cut is at the limit.
  CHECK(Utf8PrefixBytes(std::string(100, '\x80'), 64) == 64);
}

TEST_CASE("C-escaped quoting escapes the kept bytes only") {
  CHECK(QuoteForError("bogus\n", QuoteStyle::kCEscaped) == "\"bogus\\n\"");
  const std::string quoted =
      QuoteForError(std::string(1000, '\n'), QuoteStyle::kCEscaped);
  CHECK(quoted.size() < 200);
  CHECK(quoted.find("(1000 bytes)") != std::string::npos);
}

}  // namespace
}  // namespace ckm
