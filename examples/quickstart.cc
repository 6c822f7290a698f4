// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
#include <iostream>

#include "absl/time/clock.h"
#include "ckm/money.h"
#include "ckm/store.h"

int Fail(const absl::Status& status) {
  std::cerr << status << "\n";
  return 1;
}

int main(int argc, char** argv) {
  // [snippet:quickstart]
  auto store = ckm::Store::Open(argc > 1 ? argv[1] : "/tmp/ckm-quickstart");
  if (!store.ok()) return Fail(store.status());
  const auto c1001 = ckm::CustomerRef::Id("c-1001");
  const std::int64_t t = 1'768'471'200'000;  // 2026-01-15T10:00:00Z
  ckm::Purchase order{"o-1", "GBP", ckm::Channel::kInStore, "london-01"};
  order.lines = {{"tea-earl-grey", "tea", 2, 4'500'000},  // 2 x 4.50 GBP
                 {"mug-white", "homeware", 1, 8'990'000}};
  ckm::Interaction survey{ckm::Channel::kPhone, ckm::InteractionKind::kSurvey};
  survey.sentiment = 60;
  survey.rating = 9;
  const auto earn = ckm::Loyalty::Earn(/*points=*/180);
  const std::vector<ckm::Event> events = {
      {1, c1001, t, "pos-07", order},
      {2, c1001, t + 3'600'000, "crm", survey},
      {3, c1001, t + 3'600'000, "pos-07", earn}};
  auto result = (*store)->Record(events);
  if (!result.ok()) return Fail(result.status());
  auto profile = (*store)->Get("c-1001");
  if (!profile.ok()) return Fail(profile.status());
  std::cout << profile->ToJson(absl::ToUnixMillis(absl::Now())) << "\n";
  const ckm::CurrencyTotals gbp = profile->purchases().by_currency.at(0);
  std::cout << "net spend " << ckm::FormatMicros(gbp.net_micros()) << " GBP, "
            << profile->loyalty().balance() << " points, NPS "
            << *profile->nps() << "\n";
  // [end]
}
