// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Uses an installed ckm: opens a store in argv[1], records events of several
// kinds and reads the profile back.
#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include "ckm/store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer STORE_DIR\n";
    return 2;
  }
  auto store = ckm::Store::Open(argv[1]);
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  // The brace forms users write, built here with -Wall -Wextra -Werror and
  // no suppression: each names the fields it means and no more.
  const auto c1 = ckm::CustomerRef::Id("c-1");
  const std::int64_t t = 1'768'471'200'000;
  ckm::Purchase order{"o-1", "GBP", ckm::Channel::kInStore, "leeds-01"};
  order.lines = {{"tea", "drinks", 2, 4'500'000},
                 ckm::PurchaseLine::WithTotal("mug", "home", 3, 10'000'000)};
  const std::vector<ckm::Event> events = {
      {1, c1, t, "pos-1", ckm::Loyalty::Earn(10)},
      {2, c1, t, "pos-1", order},
      {3, c1, t, "crm",
       ckm::Interaction{ckm::Channel::kPhone, ckm::InteractionKind::kSurvey}},
      {4, c1, t, "crm", ckm::Attribute{"personal.first_name", "Ada"}},
      {5, c1, t, "crm", ckm::Consent{"marketing.email", true}}};
  auto recorded = (*store)->Record(events);
  if (!recorded.ok()) {
    std::cerr << recorded.status() << "\n";
    return 1;
  }
  auto profile = (*store)->Get("c-1");
  if (!profile.ok()) {
    std::cerr << profile.status() << "\n";
    return 1;
  }
  const auto name = profile->attribute("personal.first_name");
  std::cout << "installed ckm works: c-1 has " << profile->loyalty().balance()
            << " points and " << profile->purchases().orders << " order\n";
  return profile->loyalty().balance() == 10 &&
                 profile->purchases().orders == 1 && name &&
                 std::get<std::string>(name->value) == "Ada"
             ? 0
             : 1;
}
