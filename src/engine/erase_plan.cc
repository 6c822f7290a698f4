// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "engine/erase_plan.h"

#include <utility>

namespace ckm::engine {
namespace {

// The keys held under the customer's number alone, and its history range.
void AddNumber(const storage::Db& db, keys::CustomerNumber number,
               ErasurePlan& plan) {
  const std::string key = keys::CustomerKey(number);
  plan.points.push_back({db.customers(), keys::ReverseKey(number)});
  plan.points.push_back({db.profiles(), key});
  plan.points.push_back({db.breakdowns(), key});
  plan.points.push_back({db.pending(), key});
  for (rocksdb::ColumnFamilyHandle* cf : db.history())
    plan.ranges.push_back({cf, key, keys::CustomerKey(number + 1)});
}

// Outbox keys are sequences, not the customer's: the entries of an erased
// customer are points, and the whole outbox (a terminal's backlog, small) is
// rewritten.
void AddOutbox(const storage::Db& db, ErasurePlan& plan) {
  if (db.outbox() == nullptr) return;
  plan.ranges.push_back(
      {db.outbox(), keys::OutboxKey(0), keys::OutboxKey(~0ull)});
}

}  // namespace

ErasurePlan PlanErasure(const storage::Db& db, GroupSurvey survey) {
  ErasurePlan plan;
  plan.points = std::move(survey.history_keys);
  for (const ErasedCustomer& c : survey.customers) {
    plan.points.push_back({db.customers(), c.id});
    AddNumber(db, c.number, plan);
    if (c.merged_into) {  // its merge link and the link's reverse
      plan.points.push_back({db.customers(), keys::MergedIntoKey(c.number)});
      plan.points.push_back(
          {db.customers(), keys::AbsorbedKey(*c.merged_into, c.number)});
    }
  }
  for (std::string& key : survey.identity_keys)
    plan.points.push_back({db.identities(), std::move(key)});
  for (std::string& key : survey.change_keys)
    plan.points.push_back({db.customers(), std::move(key)});
  for (std::string& key : survey.outbox_keys)
    plan.points.push_back({db.outbox(), std::move(key)});
  AddOutbox(db, plan);
  return plan;
}

ErasurePlan PlanScrub(const storage::Db& db,
                      const std::vector<keys::CustomerNumber>& numbers) {
  ErasurePlan plan;
  for (keys::CustomerNumber number : numbers) AddNumber(db, number, plan);
  AddOutbox(db, plan);
  plan.whole_directory = true;
  return plan;
}

}  // namespace ckm::engine
