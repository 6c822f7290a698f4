// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "quote.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "string_util.h"

namespace ckm {

std::size_t Utf8PrefixBytes(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  std::size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) so the byte at `cut` starts a
  // character; a sequence is at most 4 bytes, so at most 3 steps are needed.
  // Invalid UTF-8 has no sequences to respect: cut where the limit falls.
  for (std::size_t steps = 0; steps < 3 && cut > 0; ++steps) {
    if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80) return cut;
    --cut;
  }
  return (static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80 ? cut
                                                                : max_bytes;
}

std::string QuoteForError(std::string_view value, QuoteStyle style) {
  const std::string_view kept =
      value.substr(0, Utf8PrefixBytes(value, kMaxQuotedBytes));
  std::string out =
      absl::StrCat("\"",
                   style == QuoteStyle::kCEscaped ? absl::CHexEscape(Av(kept))
                                                  : std::string(Av(kept)),
                   "\"");
  if (kept.size() < value.size())
    absl::StrAppend(&out, "\xE2\x80\xA6(", value.size(), " bytes)");
  return out;
}

}  // namespace ckm
