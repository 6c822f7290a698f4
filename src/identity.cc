// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Identity normalisation and the blocked-value rules (ckm/identity.h,
// identity_rules.h). The rules are written out in docs/identity.md.

#include "ckm/identity.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "identity_rules.h"
#include "quote.h"
#include "string_util.h"

namespace ckm {
namespace {

// E.164 allows at most 15 digits, country code included.
constexpr std::size_t kMaxPhoneDigits = 15;
constexpr std::size_t kMinPhoneDigits = 2;

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

absl::StatusOr<std::string> NormalizeEmail(std::string_view value) {
  std::string out(Trim(value));
  if (out.empty()) {
    return absl::InvalidArgumentError("an email address cannot be blank");
  }
  absl::AsciiStrToLower(&out);
  return out;
}

absl::StatusOr<std::string> NormalizePhone(std::string_view value,
                                           std::string_view country_code) {
  std::string_view text = Trim(value);
  bool international = false;
  if (!text.empty() && text.front() == '+') {
    international = true;
    text.remove_prefix(1);
  }
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '.' && c != '/' && c != '(' &&
               c != ')') {
      return absl::InvalidArgumentError(
          absl::StrCat("not a phone number: ", QuoteForError(value)));
    }
  }
  if (!international && digits.size() > 2 && digits[0] == '0' &&
      digits[1] == '0') {
    international = true;  // the international call prefix 00
    digits.erase(0, 2);
  }
  if (digits.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a phone number: ", QuoteForError(value)));
  }
  std::string out;
  if (international) {
    out = absl::StrCat("+", digits);
  } else if (!country_code.empty()) {
    if (!digits.empty() && digits[0] == '0' && country_code != "39")
      digits.erase(0, 1);  // the national trunk prefix
    out = absl::StrCat("+", Av(country_code), digits);
  } else {
    out = digits;
  }
  const std::size_t count =
      out.size() - (international || !country_code.empty());
  if (count < kMinPhoneDigits || count > kMaxPhoneDigits) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a phone number (", kMinPhoneDigits, " to ",
                     kMaxPhoneDigits, " digits): ", QuoteForError(value)));
  }
  return out;
}

char Lower(char c) {
  return absl::ascii_tolower(static_cast<unsigned char>(c));
}

}  // namespace

absl::StatusOr<std::string> NormalizeIdentity(
    IdentityType type, std::string_view value,
    std::string_view default_country_code) {
  switch (type) {
    case IdentityType::kEmail:
      return NormalizeEmail(value);
    case IdentityType::kPhone:
      return NormalizePhone(value, default_country_code);
    case IdentityType::kLoyaltyCard:
    case IdentityType::kExternalId:
      break;
  }
  return std::string(value);
}

absl::Status CheckCountryCode(std::string_view code) {
  bool digits = code.size() <= 3;
  for (char c : code) digits = digits && c >= '0' && c <= '9';
  if (!digits || (!code.empty() && code[0] == '0')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "identity.default_country_code: must be 1 to 3 digits without '+' "
        "and not starting with 0, got ",
        QuoteForError(code)));
  }
  return absl::OkStatus();
}

absl::Status CheckIdentityOptions(const IdentityOptions& options) {
  return CheckCountryCode(options.default_country_code);
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative matching with one backtrack point: linear for one '*', and
  // never worse than |pattern| * |text|.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || Lower(pattern[p]) == Lower(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool IsBlockedIdentity(const IdentityOptions& options,
                       std::string_view normalized, std::string* rule) {
  for (const std::string& value : options.blocked_values) {
    if (absl::EqualsIgnoreCase(Av(value), Av(normalized))) {
      *rule = value;
      return true;
    }
  }
  for (const std::string& pattern : options.blocked_patterns) {
    if (GlobMatch(pattern, normalized)) {
      *rule = pattern;
      return true;
    }
  }
  return false;
}

std::string_view ToString(IdentityChange::Kind kind) {
  switch (kind) {
    case IdentityChange::Kind::kMerged:
      return "merged";
    case IdentityChange::Kind::kMergedInto:
      return "merged_into";
    case IdentityChange::Kind::kUnmerged:
      return "unmerged";
    case IdentityChange::Kind::kSplitFrom:
      return "split_from";
    case IdentityChange::Kind::kUnlinked:
      return "unlinked";
  }
  return "unknown";
}

}  // namespace ckm
