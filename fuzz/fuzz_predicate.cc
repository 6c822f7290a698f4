// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The predicate language on arbitrary text: parsing a predicate, a figure or
// a sort order never crashes and fails only with InvalidArgument; what
// parses has a canonical text that parses to itself and means the same on
// every profile of a small fixed set.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ckm/segment.h"
#include "fold/fold.h"

namespace {

constexpr std::int64_t kNow = 1'767'225'600'000;

void Check(bool ok) {
  if (!ok) std::abort();
}

// Profiles of every kind of event, folded in place (no store).
const std::vector<ckm::Profile>& Profiles() {
  static const auto* const profiles = [] {
    auto* out = new std::vector<ckm::Profile>();
    const auto who = ckm::CustomerRef::Id("c1");
    ckm::Purchase order{"o1", "GBP"};
    order.lines.push_back({"tea", "", 2, 4'500'000});
    ckm::Purchase refund{"o2", "EUR"};
    refund.lines.push_back({"mug", "", -1, 9'000'000});
    ckm::Interaction call;
    call.channel = ckm::Channel::kPhone;
    call.kind = ckm::InteractionKind::kComplaint;
    call.rating = 3;
    call.sentiment = -40;
    const std::vector<ckm::Event> events = {
        {1, who, kNow - 100, "", order},
        {2, who, kNow - 50, "", refund},
        {3, who, kNow, "", call},
        {4, who, kNow, "",
         ckm::Loyalty{ckm::LoyaltyKind::kTierChange, 0, "gold", ""}},
        {5, who, kNow, "",
         ckm::Attribute{"demographic.city", std::string("London")}},
        {6, who, kNow, "", ckm::Attribute{"custom.vip", true}},
        {7, who, kNow, "", ckm::Consent{"marketing.email", true}},
        {8, who, kNow, "",
         ckm::Identity{ckm::IdentityType::kEmail, "c1@example.com"}},
    };
    ckm::fold::ProfileState state;
    for (const ckm::Event& e : events) {
      ckm::fold::Join(state, ckm::fold::DeltaOf(e, "c1"));
      out->push_back(ckm::Profile::FromBytes(ckm::fold::Encode(state)).value());
    }
    return out;
  }();
  return *profiles;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ckm::Predicate> p = ckm::Predicate::Parse(text);
  if (p.ok()) {
    const std::string canonical = p->ToString();
    absl::StatusOr<ckm::Predicate> again = ckm::Predicate::Parse(canonical);
    Check(again.ok() && again->ToString() == canonical);
    for (const ckm::Profile& profile : Profiles()) {
      for (std::int64_t now : {kNow, std::int64_t{0}, INT64_MAX, INT64_MIN})
        Check(p->Matches(profile, now) == again->Matches(profile, now));
    }
  } else {
    Check(absl::IsInvalidArgument(p.status()));
  }
  absl::StatusOr<ckm::Figure> f = ckm::Figure::Parse(text);
  if (f.ok()) {
    Check(ckm::Figure::Parse(f->ToString()).ok());
    for (const ckm::Profile& profile : Profiles()) {
      const ckm::SegmentValue v = f->Of(profile, INT64_MIN);
      const std::string printed = v.ToString();
      Check(v.type == ckm::SegmentValue::Type::kNone
                ? printed.empty()
                : v.type == ckm::SegmentValue::Type::kText || !printed.empty());
      Check(ckm::CompareValues(v, v) == 0);
    }
  } else {
    Check(absl::IsInvalidArgument(f.status()));
  }
  absl::StatusOr<ckm::SortOrder> s = ckm::SortOrder::Parse(text);
  Check(s.ok() || absl::IsInvalidArgument(s.status()));
  return 0;
}
