// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The public faces of the parsed forms: Figure, Predicate and SortOrder.

#include "absl/strings/str_cat.h"
#include "ckm/segment.h"
#include "query/eval.h"
#include "query/parser.h"

namespace ckm {

absl::StatusOr<Figure> Figure::Parse(std::string_view text) {
  absl::StatusOr<query::NodePtr> node = query::ParseFigure(text, "figure");
  if (!node.ok()) return node.status();
  return Figure(*std::move(node));
}

SegmentValue Figure::Of(const Profile& profile, std::int64_t now_ms) const {
  query::Facts facts(profile, now_ms);
  return query::ValueOf(*node_, facts);
}

bool Figure::needs_now() const { return node_->spec->needs_now; }

std::string Figure::ToString() const { return query::ToText(*node_); }

absl::StatusOr<Predicate> Predicate::Parse(std::string_view text) {
  absl::StatusOr<query::NodePtr> node = query::ParsePredicate(text);
  if (!node.ok()) return node.status();
  Predicate predicate;
  predicate.node_ = *std::move(node);
  return predicate;
}

bool Predicate::Matches(const Profile& profile, std::int64_t now_ms) const {
  if (node_ == nullptr) return true;
  query::Facts facts(profile, now_ms);
  return query::Satisfies(*node_, facts);
}

bool Predicate::needs_now() const {
  return node_ != nullptr && query::NeedsNow(*node_);
}

std::string Predicate::ToString() const {
  return node_ == nullptr ? "" : query::ToText(*node_);
}

std::vector<Figure> Predicate::figures() const {
  std::vector<query::NodePtr> nodes;
  query::CollectFigures(node_, nodes);
  std::vector<Figure> out;
  for (query::NodePtr& node : nodes) out.push_back(Figure(std::move(node)));
  return out;
}

absl::StatusOr<SortOrder> SortOrder::Parse(std::string_view text) {
  absl::StatusOr<std::pair<query::NodePtr, bool>> sort = query::ParseSort(text);
  if (!sort.ok()) return sort.status();
  return SortOrder{Figure(std::move(sort->first)), sort->second};
}

std::string SortOrder::ToString() const {
  return absl::StrCat(figure.ToString(), descending ? " desc" : " asc");
}

}  // namespace ckm
