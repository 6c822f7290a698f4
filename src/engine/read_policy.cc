// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "engine/read_policy.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fold/fold.h"
#include "quote.h"
#include "string_util.h"

namespace ckm {

std::string_view ToString(DataPart part) {
  switch (part) {
    case DataPart::kIdentities:
      return "identities";
    case DataPart::kPersonal:
      return "personal";
    case DataPart::kDemographic:
      return "demographic";
    case DataPart::kPsychographic:
      return "psychographic";
    case DataPart::kCustom:
      return "custom";
    case DataPart::kInteractionText:
      return "interaction_text";
    case DataPart::kPurchaseLines:
      return "purchase_lines";
  }
  return "invalid";
}

std::optional<DataPart> ParseDataPart(std::string_view name) {
  for (int p = 1; p < kDataPartEnd; ++p) {
    const auto part = static_cast<DataPart>(p);
    if (name == ToString(part)) return part;
  }
  return std::nullopt;
}

namespace engine {

Parts PersonalParts() {
  return {DataPart::kIdentities,  DataPart::kPersonal,
          DataPart::kDemographic, DataPart::kPsychographic,
          DataPart::kCustom,      DataPart::kInteractionText};
}

absl::StatusOr<Parts> WithheldByRole(const std::optional<AccessPolicy>& policy,
                                     const ReadOptions& read) {
  if (!policy) return Parts();
  const auto it = policy->roles.find(read.role);
  if (it == policy->roles.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", QuoteForError(read.role),
                     " may read nothing: the access policy does not name it"));
  }
  Parts withheld;
  for (int p = 1; p < kDataPartEnd; ++p) {
    const auto part = static_cast<DataPart>(p);
    if (it->second.count(part) == 0) withheld.insert(part);
  }
  return withheld;
}

bool LacksConsent(const std::optional<AccessPolicy>& policy,
                  const ReadOptions& read, const Profile& profile) {
  if (!policy || policy->consent_purposes.count(read.purpose) == 0)
    return false;
  const std::optional<ConsentState> consent = profile.consent(read.purpose);
  return !consent || !consent->granted;
}

std::optional<DataPart> PartOfAttribute(std::string_view key) {
  constexpr std::pair<const char*, DataPart> kPrefixes[] = {
      {"personal.", DataPart::kPersonal},
      {"demographic.", DataPart::kDemographic},
      {"psychographic.", DataPart::kPsychographic},
      {"custom.", DataPart::kCustom},
  };
  for (const auto& [prefix, part] : kPrefixes)
    if (absl::StartsWith(Av(key), prefix)) return part;
  return std::nullopt;
}

absl::StatusOr<Profile> Redact(const Profile& profile, const Parts& withheld) {
  if (withheld.empty()) return profile;
  absl::StatusOr<fold::ProfileState> state =
      fold::DecodeProfile(profile.bytes());
  if (!state.ok()) return state.status();
  if (withheld.count(DataPart::kIdentities) > 0) state->identities.clear();
  for (auto it = state->attributes.begin(); it != state->attributes.end();) {
    const std::optional<DataPart> part = PartOfAttribute(it->first);
    it = part && withheld.count(*part) > 0 ? state->attributes.erase(it)
                                           : std::next(it);
  }
  return Profile::FromRedactedBytes(
      fold::Encode(*state),
      std::vector<DataPart>(withheld.begin(), withheld.end()));
}

void Redact(Event& event, const Parts& withheld) {
  if (withheld.empty()) return;
  const auto hidden = [&](DataPart part) { return withheld.count(part) > 0; };
  if (auto* link = std::get_if<Identity>(&event.body)) {
    if (hidden(DataPart::kIdentities)) link->value = kRedacted;
  } else if (auto* a = std::get_if<Attribute>(&event.body)) {
    const std::optional<DataPart> part = PartOfAttribute(a->key);
    if (part && hidden(*part)) a->value = std::string(kRedacted);
  } else if (auto* i = std::get_if<Interaction>(&event.body)) {
    if (i->text && hidden(DataPart::kInteractionText)) i->text = kRedacted;
  } else if (auto* p = std::get_if<Purchase>(&event.body)) {
    if (!hidden(DataPart::kPurchaseLines)) return;
    for (PurchaseLine& line : p->lines) {
      if (!line.sku.empty()) line.sku = kRedacted;
      if (!line.category.empty()) line.category = kRedacted;
    }
  }
}

absl::Status Denied(DataPart part, const ReadOptions& read) {
  return absl::PermissionDeniedError(absl::StrCat(
      Av(ToString(part)), " are withheld from role ", QuoteForError(read.role),
      read.purpose.empty()
          ? ""
          : absl::StrCat(" for purpose ", QuoteForError(read.purpose)),
      " by the access policy or the customer's consent"));
}

}  // namespace engine
}  // namespace ckm
