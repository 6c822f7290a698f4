// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The figures a predicate can read: one table (figures.cc), each entry a
// name, the argument it takes, the type it yields and how it is computed
// from a Profile's accessors. docs/segments.md lists the same table.

#ifndef CKM_SRC_QUERY_FIGURES_H_
#define CKM_SRC_QUERY_FIGURES_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "ckm/profile.h"
#include "ckm/segment.h"
#include "query/node.h"

namespace ckm::query {

// A profile being evaluated, with the summaries read from it once each.
// Not thread-safe; one per profile and thread.
class Facts {
 public:
  Facts(const Profile& profile, std::int64_t now_ms)
      : profile_(profile), now_ms_(now_ms) {}
  const Profile& profile() const { return profile_; }
  std::int64_t now_ms() const { return now_ms_; }
  const PurchaseSummary& purchases();
  const InteractionSummary& interactions();
  const LoyaltySummary& loyalty();

 private:
  const Profile& profile_;
  const std::int64_t now_ms_;
  std::optional<PurchaseSummary> purchases_;
  std::optional<InteractionSummary> interactions_;
  std::optional<LoyaltySummary> loyalty_;
};

enum class ArgKind : std::uint8_t {
  kNone,
  kCurrency,       // an ISO 4217 code, any case
  kChannel,        // a Channel name: web, in_store, ...
  kChannelOrKind,  // a Channel or an InteractionKind name
  kAttributeKey,   // an attribute key
  kPurpose,        // a consent purpose
  kIdentityType,   // email, phone, loyalty_card, external_id
};

struct FigureSpec {
  std::string_view name;
  ArgKind arg = ArgKind::kNone;
  bool arg_optional = false;  // the argument may be left out
  ValueType type = ValueType::kNumber;
  bool needs_now = false;
  SegmentValue (*eval)(Facts& facts, const Node& figure) = nullptr;
};

// The figure named `name`, or null.
const FigureSpec* FindFigure(std::string_view name);
// Every figure, in the order docs/segments.md lists them.
const std::vector<FigureSpec>& AllFigures();

// Values of each kind, as figures produce them.
SegmentValue NoValue();
SegmentValue Count(std::int64_t n);
SegmentValue Money(std::int64_t micros);
SegmentValue Days(std::int64_t ms);
SegmentValue Ratio(std::int64_t numerator, std::int64_t denominator);
SegmentValue Text(std::string_view text);
SegmentValue Bool(bool b);

}  // namespace ckm::query

#endif  // CKM_SRC_QUERY_FIGURES_H_
