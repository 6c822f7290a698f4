// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Privacy: reads checked against an access policy, a customer's export, and
// an erasure (docs/privacy.md).
#include <iostream>
#include <string>
#include <vector>

#include "ckm/event_json.h"
#include "ckm/store.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // [snippet:policy]
  ckm::AccessPolicy policy;
  policy.roles["call_centre"] = {
      ckm::DataPart::kIdentities, ckm::DataPart::kPersonal,
      ckm::DataPart::kInteractionText, ckm::DataPart::kPurchaseLines};
  policy.roles["analyst"] = {ckm::DataPart::kDemographic,
                             ckm::DataPart::kPurchaseLines};
  policy.consent_purposes = {"marketing.email"};
  ckm::StoreOptions options;
  options.access_policy = policy;
  auto store =
      ckm::Store::Open(argc > 1 ? argv[1] : "/tmp/ckm-privacy", options);
  // [end]
  if (!store.ok()) return Fail(store.status());

  const std::int64_t t = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  const auto ann = ckm::CustomerRef::Id("ann");
  const std::vector<ckm::Event> events = {
      {1, ann, t, "web",
       ckm::Identity{ckm::IdentityType::kEmail, "ann@example.org"}},
      {2, ann, t, "web",
       ckm::Attribute{"personal.first_name", std::string("Ann")}},
      {3, ann, t, "web",
       ckm::Attribute{"demographic.age_band", std::string("30-39")}}};
  if (auto r = (*store)->Record(events); !r.ok()) return Fail(r.status());

  // [snippet:read]
  // The analyst sees demographics but not Ann's name or email, and the
  // profile says what it lacks.
  auto profile = (*store)->Get("ann", ckm::ReadOptions{"", "analyst"});
  if (!profile.ok()) return Fail(profile.status());
  for (ckm::DataPart part : profile->redacted())
    std::cout << "redacted: " << ckm::ToString(part) << "\n";
  // [end]
  if (profile->attribute("personal.first_name")) return 1;  // must be hidden
  if (!profile->attribute("demographic.age_band")) return 1;

  // [snippet:export]
  const std::int64_t now_ms = t + 86'400'000;
  auto exported =
      (*store)->Export("ann", now_ms, ckm::ReadOptions{"", "call_centre"});
  // PermissionDenied: the call centre may not see demographics, and an
  // export is a complete copy or nothing.
  if (!absl::IsPermissionDenied(exported.status())) return 1;
  // [end]

  // [snippet:erase]
  auto erased = (*store)->Erase("ann", "data-subject request 2026-117");
  if (!erased.ok()) return Fail(erased.status());
  std::cout << "erased " << erased->events << " events\n";
  // A replay of Ann's old events is refused: they are dated before the
  // erasure.
  auto replay = (*store)->Record(events);
  if (!absl::IsFailedPrecondition(replay.status())) return 1;
  // [end]
  std::cout << replay.status().message() << "\n";
  return 0;
}
