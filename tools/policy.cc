// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "policy.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "quote.h"

namespace ckm::tools {

absl::StatusOr<AccessPolicy> ParsePolicy(std::string_view text,
                                         std::string_view name) {
  AccessPolicy policy;
  int number = 0;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++number;
    const std::size_t hash = line.find('#');
    if (hash != absl::string_view::npos) line = line.substr(0, hash);
    const std::vector<std::string> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) continue;
    const auto error = [&](const std::string& why) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(name), ":", number, ": ", why));
    };
    if (words[0] == "consent") {
      if (words.size() < 2) return error("consent: name at least one purpose");
      policy.consent_purposes.insert(words.begin() + 1, words.end());
      continue;
    }
    if (words[0] != "role") {
      return error("a line starts with \"role\" or \"consent\", not " +
                   QuoteForError(words[0]));
    }
    if (words.size() < 2) return error("role: name the role");
    std::set<DataPart>& parts = policy.roles[words[1]];
    for (std::size_t w = 2; w < words.size(); ++w) {
      bool known = false;
      for (int p = 1; p < kDataPartEnd; ++p) {
        const auto part = static_cast<DataPart>(p);
        if (words[w] == "all" || words[w] == ToString(part)) {
          parts.insert(part);
          known = true;
        }
      }
      if (!known) {
        return error(absl::StrCat(
            "unknown part ", QuoteForError(words[w]),
            " (identities, personal, demographic, psychographic, custom, "
            "interaction_text, purchase_lines or all)"));
      }
    }
  }
  return policy;
}

}  // namespace ckm::tools
