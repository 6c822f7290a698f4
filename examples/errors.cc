// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Errors: a bad event rejects its whole batch with InvalidArgument naming the
// event's index and field; a retried batch is recognised and not counted
// twice; an unknown customer is NotFound; Verify() checks a stored profile.
#include <iostream>
#include <string>
#include <vector>

#include "ckm/store.h"
#include "ckm/validate.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << status << "\n";
  return 1;
}

int Expect(bool condition, const char* what) {
  if (!condition) std::cerr << "unexpected: " << what << "\n";
  return condition ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto opened = ckm::Store::Open(argc > 1 ? argv[1] : "/tmp/ckm-errors");
  if (!opened.ok()) return Fail(opened.status());
  ckm::Store& store = **opened;
  const auto c = ckm::CustomerRef::Id("c-3003");
  const auto other = ckm::CustomerRef::Id("c-3004");
  const std::int64_t t = 1'768'471'200'000;  // 2026-01-15T10:00:00Z
  int failures = 0;

  // [snippet:invalid]
  ckm::Purchase good{"o-7", "GBP"};
  good.lines = {{"tea-earl-grey", "tea", 1, 4'500'000}};
  ckm::Purchase bad = good;
  bad.currency = "gbp";  // must be an upper-case ISO 4217 code
  const std::vector<ckm::Event> rejected = {{1, other, t, "pos-07", good},
                                            {2, other, t + 1, "pos-07", bad}};
  absl::StatusOr<ckm::RecordResult> result = store.Record(rejected);
  if (absl::IsInvalidArgument(result.status())) {
    // e.g. events[1].purchase.currency: "gbp" is not an ISO 4217 currency code
    std::cout << "rejected: " << result.status().message() << "\n";
  }
  // [end]
  const std::string message(result.status().message());
  failures += Expect(absl::IsInvalidArgument(result.status()),
                     "a bad batch is InvalidArgument");
  failures += Expect(message.find("events[1]") != std::string::npos &&
                         message.find("currency") != std::string::npos,
                     "the message names the index and the field");

  // [snippet:validate]
  // The same check without a store, as an import does for its whole input
  // before it records any of it.
  const absl::Status checked = ckm::ValidateBatch(rejected);
  if (!checked.ok()) std::cout << "would be rejected: " << checked << "\n";
  // [end]
  failures +=
      Expect(checked == result.status(), "ValidateBatch gives Record's answer");

  // [snippet:not_found]
  // Nothing of the rejected batch was written: c-3004 has no profile.
  absl::StatusOr<ckm::Profile> profile = store.Get("c-3004");
  if (absl::IsNotFound(profile.status())) std::cout << "c-3004: not found\n";
  // [end]
  failures += Expect(absl::IsNotFound(profile.status()),
                     "nothing of a rejected batch is written");

  // [snippet:retry]
  const std::vector<ckm::Event> batch = {
      {1, c, t, "pos-07", good},
      {2, c, t + 1, "pos-07", ckm::Loyalty::Earn(45)}};
  result = store.Record(batch);
  if (!result.ok()) return Fail(result.status());
  std::cout << "first try: " << result->recorded << " recorded, "
            << result->already_recorded << " already recorded\n";
  // The same events again, as a terminal's outbox retries after a timeout:
  // same customer, ts_ms and id, so they are recognised and skipped.
  result = store.Record(batch);
  if (!result.ok()) return Fail(result.status());
  std::cout << "retry: " << result->recorded << " recorded, "
            << result->already_recorded << " already recorded\n";
  // [end]
  failures += Expect(result->recorded == 0 && result->already_recorded == 2,
                     "a retried batch is recognised");

  // [snippet:verify]
  absl::StatusOr<ckm::CustomerReport> report = store.Verify("c-3003");
  if (!report.ok()) return Fail(report.status());
  if (!report->ok()) {
    std::cerr << "c-3003 is damaged: " << report->detail << "\n";
    auto repaired = store.Rebuild("c-3003");  // refold from history
    if (!repaired.ok()) return Fail(repaired.status());
  }
  // [end]
  failures += Expect(report->ok(), "a fresh store verifies");

  profile = store.Get("c-3003");
  if (!profile.ok()) return Fail(profile.status());
  failures +=
      Expect(profile->event_count() == 2 && profile->purchases().orders == 1 &&
                 profile->corrupt_operands() == 0,
             "the profile counts each event once");
  return failures == 0 ? 0 : 1;
}
