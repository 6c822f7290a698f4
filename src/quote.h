// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Quoting caller-supplied values in error messages. A value can be megabytes
// long (a 10 MB customer id), and an error that echoes it whole is itself a
// problem: logs fill, terminals stall. Every message that quotes a value does
// it through QuoteForError, so none of them can grow with the input.

#ifndef CKM_SRC_QUOTE_H_
#define CKM_SRC_QUOTE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace ckm {

// Values up to this many bytes are quoted whole.
inline constexpr std::size_t kMaxQuotedBytes = 64;

enum class QuoteStyle {
  kRaw,       // the bytes as they are (the default: UTF-8 text stays legible)
  kCEscaped,  // C escapes for quotes, backslashes, control and non-ASCII bytes
};

// `value` in double quotes. A value longer than kMaxQuotedBytes is cut to at
// most that many bytes, never inside a UTF-8 sequence, and followed by its
// full size: "abc"…(10000000 bytes).
std::string QuoteForError(std::string_view value,
                          QuoteStyle style = QuoteStyle::kRaw);

// The length of the longest prefix of `text` of at most `max_bytes` bytes
// that does not end inside a UTF-8 sequence.
std::size_t Utf8PrefixBytes(std::string_view text, std::size_t max_bytes);

}  // namespace ckm

#endif  // CKM_SRC_QUOTE_H_
