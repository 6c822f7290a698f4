// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Identity: the same shopper recorded twice, by the web shop and by a till,
// is merged into one customer, looked at, and split again.
#include <iostream>
#include <string>
#include <vector>

#include "ckm/store.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  ckm::StoreOptions options;
  options.identity.default_country_code = "44";  // national numbers are UK
  auto store =
      ckm::Store::Open(argc > 1 ? argv[1] : "/tmp/ckm-identity", options);
  if (!store.ok()) return Fail(store.status());
  const std::int64_t t = 1'768'471'200'000;  // 2026-01-15T10:00:00Z
  ckm::Purchase order{"o-1", "GBP"};
  order.lines = {{"tea-earl-grey", "tea", 2, 4'500'000}};
  ckm::Purchase again{"o-2", "GBP"};
  again.lines = {{"mug-white", "homeware", 1, 8'990'000}};
  // [snippet:identity-link]
  const std::vector<ckm::Event> events = {
      {1, ckm::CustomerRef::Id("web-5501"), t, "web",
       ckm::Identity{ckm::IdentityType::kEmail, " Sam@Example.org"}},
      {2, ckm::CustomerRef::Id("web-5501"), t, "web", order},
      {3, ckm::CustomerRef::Id("pos-77"), t + 1, "till-3",
       ckm::Identity{ckm::IdentityType::kPhone, "07700 900123"}},
      // Found by the phone's normalised form, +447700900123.
      {4,
       ckm::CustomerRef::ByIdentity(ckm::IdentityType::kPhone,
                                    "+44 7700 900 123"),
       t + 2, "till-3", again}};
  // [end]
  auto recorded = (*store)->Record(events);
  if (!recorded.ok()) return Fail(recorded.status());

  // [snippet:identity-merge]
  ckm::IdentityChangeOptions why;
  why.actor = "crm-review";
  why.reason = "same name, address and card";
  if (auto s = (*store)->Merge("web-5501", "pos-77", why); !s.ok())
    return Fail(s);
  auto merged = (*store)->Get("pos-77");  // the survivor's profile
  if (!merged.ok()) return Fail(merged.status());
  std::cout << merged->customer_id() << ": " << merged->purchases().orders
            << " orders, " << merged->purchases().distinct_products
            << " products\n";
  auto who = (*store)->Identities("web-5501");
  if (!who.ok()) return Fail(who.status());
  for (const auto& [type, value] : who->identities)
    std::cout << "  " << ckm::ToString(type) << " " << value << "\n";
  for (const std::string& alias : who->aliases)
    std::cout << "  alias " << alias << "\n";
  // [end]
  if (merged->purchases().orders != 2 || who->aliases.size() != 1) return 1;

  // [snippet:identity-unmerge]
  if (auto s = (*store)->Unmerge("web-5501", "pos-77", why); !s.ok())
    return Fail(s);
  auto split = (*store)->Get("pos-77");
  if (!split.ok()) return Fail(split.status());
  std::cout << split->customer_id() << ": " << split->purchases().orders
            << " order after the unmerge\n";
  // [end]
  return split->purchases().orders == 1 ? 0 : 1;
}
