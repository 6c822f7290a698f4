// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "policy.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
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
      if (words[w] == "all") {
        for (int p = 1; p < kDataPartEnd; ++p)
          parts.insert(static_cast<DataPart>(p));
        continue;
      }
      const std::optional<DataPart> part = ParseDataPart(words[w]);
      if (part) parts.insert(*part);
      if (!part) {
        return error(absl::StrCat(
            "unknown part ", QuoteForError(words[w]),
            " (identities, personal, demographic, psychographic, custom, "
            "interaction_text, purchase_lines or all)"));
      }
    }
  }
  return policy;
}

absl::StatusOr<std::optional<AccessPolicy>> LoadPolicy(
    const std::string& file) {
  if (file.empty()) return std::optional<AccessPolicy>();
  std::ifstream in(file);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", QuoteForError(file),
                                            ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<AccessPolicy> policy = ParsePolicy(text.str(), file);
  if (!policy.ok()) return policy.status();
  return std::optional<AccessPolicy>(*std::move(policy));
}

}  // namespace ckm::tools
