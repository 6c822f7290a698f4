// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Where a customer id or an identity leads: the customer's own number (where
// its events' history goes) and the root of its chain of merges (whose
// profile takes them), and the locks that keep that answer true.

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "codec/operand.h"
#include "engine/store_impl.h"
#include "identity_rules.h"
#include "quote.h"
#include "string_util.h"
#include "validate.h"

namespace ckm::engine {

absl::StatusOr<std::string> StoreImpl::NormalizedIdentity(
    IdentityType type, std::string_view value, std::string_view field) const {
  absl::StatusOr<std::string> normalized =
      NormalizeIdentity(type, value, options_.identity.default_country_code);
  if (!normalized.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(field), ": ", normalized.status().message()));
  }
  std::string rule;
  if (IsBlockedIdentity(options_.identity, *normalized, &rule)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(field), ": ", IdentityName(type, *normalized),
                     " is a blocked identity value (IdentityOptions rule ",
                     QuoteForError(rule), ")"));
  }
  return normalized;
}

absl::Status StoreImpl::ResolveRoot(Resolved& r) const {
  r.root = directory_->Root(r.own);
  if (r.root == r.own) {
    r.root_id = r.own_id;
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> name = directory_->NameOf(r.root);
  if (!name.ok()) {
    return absl::DataLossError(absl::StrCat(
        "customer ", QuoteForError(r.own_id),
        " is merged into customer number ", r.root, ", which has no id"));
  }
  r.root_id = *std::move(name);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Resolved>> StoreImpl::ResolveId(
    std::string_view id) const {
  absl::StatusOr<std::optional<keys::CustomerNumber>> number = NumberOf(id);
  if (!number.ok()) return number.status();
  if (!*number) return std::nullopt;
  Resolved r;
  r.own = **number;
  r.own_id = std::string(id);
  if (absl::Status s = ResolveRoot(r); !s.ok()) return s;
  return r;
}

absl::StatusOr<std::optional<Resolved>> StoreImpl::ResolveIdentity(
    IdentityType type, std::string_view normalized) const {
  absl::StatusOr<std::optional<keys::CustomerNumber>> number =
      directory_->FindIdentity(type, normalized);
  if (!number.ok()) return number.status();
  if (!*number) return std::nullopt;
  Resolved r;
  r.own = **number;
  absl::StatusOr<std::string> name = directory_->NameOf(r.own);
  if (!name.ok()) {
    return absl::DataLossError(absl::StrCat("identity ",
                                            IdentityName(type, normalized),
                                            ": ", name.status().message()));
  }
  r.own_id = *std::move(name);
  if (absl::Status s = ResolveRoot(r); !s.ok()) return s;
  return r;
}

absl::StatusOr<std::vector<Resolved>> StoreImpl::LockResolved(
    const std::vector<std::string_view>& ids, std::vector<std::size_t> extra,
    std::optional<StripeLocks>& locks) const {
  std::vector<std::size_t> stripes = std::move(extra);
  for (std::string_view id : ids) stripes.push_back(StripeOf(id));
  for (;;) {
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    locks.reset();
    locks.emplace(stripes_, stripes);
    std::vector<Resolved> out;
    bool covered = true;
    for (std::string_view id : ids) {
      absl::StatusOr<std::optional<Resolved>> r = ResolveId(id);
      if (!r.ok()) return r.status();
      if (!*r) {
        return absl::NotFoundError(
            absl::StrCat("no customer ", QuoteForError(id)));
      }
      const std::size_t root_stripe = StripeOf((*r)->root_id);
      if (!std::binary_search(stripes.begin(), stripes.end(), root_stripe)) {
        covered = false;
        stripes.push_back(root_stripe);
      }
      out.push_back(**std::move(r));
    }
    if (covered) return out;
  }
}

absl::StatusOr<std::vector<std::pair<IdentityType, std::string>>>
StoreImpl::CurrentIdentities(keys::CustomerNumber root) const {
  std::vector<std::pair<IdentityType, std::string>> out;
  std::string bytes;
  const rocksdb::Status s = db_->db()->Get(
      rocksdb::ReadOptions(), db_->profiles(), keys::CustomerKey(root), &bytes);
  if (s.IsNotFound()) return out;
  if (!s.ok()) return storage::FromRocks(s, "reading profile");
  absl::StatusOr<fold::ProfileState> profile = fold::DecodeProfile(bytes);
  if (!profile.ok()) return profile.status();
  for (const auto& [link, linked_ms] : profile->identities) {
    const auto type = static_cast<IdentityType>(link.first);
    // Values linked before normalisation, or under other options, may not
    // normalise now; they lead nowhere.
    absl::StatusOr<std::string> normalized = NormalizeIdentity(
        type, link.second, options_.identity.default_country_code);
    if (!normalized.ok()) continue;
    absl::StatusOr<std::optional<keys::CustomerNumber>> owner =
        directory_->FindIdentity(type, *normalized);
    if (!owner.ok()) return owner.status();
    if (*owner && directory_->Root(**owner) == root)
      out.emplace_back(type, *std::move(normalized));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ckm::engine
