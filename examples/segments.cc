// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Segments: record a few customers, then ask the questions a marketer asks
// ("net spend over 100 and no order in 90 days"; "the top 2 by spend among
// those who consented to email") and read the answer page by page.
#include <iostream>
#include <string>
#include <vector>

#include "ckm/segment.h"
#include "ckm/store.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << status << "\n";
  return 1;
}

constexpr std::int64_t kDay = 86'400'000;

}  // namespace

int main(int argc, char** argv) {
  auto store = ckm::Store::Open(argc > 1 ? argv[1] : "/tmp/ckm-segments");
  if (!store.ok()) return Fail(store.status());
  const std::int64_t now = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

  // Six customers: c-1 spent 60 GBP 20 days ago, ... c-6 spent 360 GBP 120
  // days ago; even ones consented to email.
  std::vector<ckm::Event> events;
  for (int i = 1; i <= 6; ++i) {
    const auto who = ckm::CustomerRef::Id("c-" + std::to_string(i));
    ckm::Purchase order{"o-" + std::to_string(i), "GBP"};
    order.lines = {{"gift-box", "gifts", i, 60'000'000}};
    events.push_back({static_cast<std::uint64_t>(i), who, now - 20 * i * kDay,
                      "web", order});
    events.push_back({static_cast<std::uint64_t>(100 + i), who,
                      now - 20 * i * kDay, "web",
                      ckm::Consent{"marketing.email", i % 2 == 0}});
  }
  auto recorded = (*store)->Record(events);
  if (!recorded.ok()) return Fail(recorded.status());

  // [snippet:lapsed]
  // Customers worth winning back: spent over 100 GBP, no order in 90 days.
  auto lapsed =
      ckm::Predicate::Parse("net_spend(GBP) > 100 and recency_days > 90");
  if (!lapsed.ok()) return Fail(lapsed.status());
  ckm::SegmentQuery query;
  query.where = *lapsed;
  query.now_ms = now;  // recency is measured to this time
  auto page = ckm::SelectSegment(**store, query);
  if (!page.ok()) return Fail(page.status());
  for (const ckm::SegmentRow& row : page->rows) {
    std::cout << "lapsed: " << row.customer_id << "\n";
  }
  // [end]
  if (page->rows.size() != 2) return Fail(absl::InternalError("lapsed"));

  // [snippet:top]
  // The top 2 by net spend among those who consented to email, then the rest
  // of them two at a time.
  auto consented = ckm::Predicate::Parse("consent(marketing.email)");
  auto by_spend = ckm::SortOrder::Parse("net_spend(GBP) desc");
  auto spend = ckm::Figure::Parse("net_spend(GBP)");
  if (!consented.ok() || !by_spend.ok() || !spend.ok()) {
    return Fail(absl::InvalidArgumentError("bad segment"));
  }
  ckm::SegmentQuery top;
  top.where = *consented;
  top.sort = *by_spend;
  top.columns = {*spend};
  top.limit = 2;
  do {
    auto result = ckm::SelectSegment(**store, top);
    if (!result.ok()) return Fail(result.status());
    for (const ckm::SegmentRow& row : result->rows) {
      std::cout << row.customer_id << " spent " << row.values[0].ToString()
                << " GBP\n";
    }
    top.cursor = result->next_cursor;  // empty after the last page
  } while (!top.cursor.empty());
  // [end]

  // [snippet:errors]
  auto typo = ckm::Predicate::Parse("net_spend(GBP) > 100 and recency > 90");
  // INVALID_ARGUMENT: where, column 26: unknown figure "recency" (did you
  // mean recency_days?); docs/segments.md lists the figures
  std::cout << typo.status() << "\n";
  // [end]
  if (typo.ok()) return Fail(absl::InternalError("typo"));
  return 0;
}
