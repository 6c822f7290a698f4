// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "identities.h"

#include "absl/strings/str_cat.h"
#include "enum_names.h"
#include "quote.h"
#include "timestamp.h"

namespace ckm::tools {

absl::StatusOr<IdentityType> ParseIdentityType(std::string_view name,
                                               std::string_view flag) {
  if (std::optional<IdentityType> t = EnumNamed<IdentityType>(name)) return *t;
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(flag), ": unknown identity type ", QuoteForError(name),
      " (email, phone, loyalty_card or external_id)"));
}

absl::StatusOr<std::pair<IdentityType, std::string>> ParseIdentityRef(
    std::string_view text, std::string_view flag) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq + 1 == text.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(flag), ": expected TYPE=VALUE, got ", QuoteForError(text)));
  }
  absl::StatusOr<IdentityType> type =
      ParseIdentityType(text.substr(0, eq), flag);
  if (!type.ok()) return type.status();
  return std::make_pair(*type, std::string(text.substr(eq + 1)));
}

void PrintIdentities(const CustomerIdentities& ids, std::ostream& out) {
  out << "customer " << ids.customer << "\n";
  if (ids.survivor != ids.customer)
    out << "  merged into " << ids.survivor << "\n";
  for (const auto& [type, value] : ids.identities)
    out << "  identity " << ToString(type) << " " << value << "\n";
  for (const std::string& alias : ids.aliases)
    out << "  alias " << alias << "\n";
  for (const IdentityChange& c : ids.changes) {
    out << "  " << FormatIsoSeconds(c.ts_ms) << " " << ToString(c.kind);
    if (!c.other.empty()) out << " " << c.other;
    if (c.identity_type)
      out << " " << ToString(*c.identity_type) << " " << c.identity_value;
    if (!c.actor.empty()) out << " by " << c.actor;
    if (!c.reason.empty()) out << ": " << c.reason;
    out << "\n";
  }
}

}  // namespace ckm::tools
