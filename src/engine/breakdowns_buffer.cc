// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "engine/breakdowns_buffer.h"

#include <algorithm>
#include <mutex>

namespace ckm::engine {
namespace {

// What a row costs in memory, roughly: a map node with a short key, the row,
// and one money entry with its node (most rows have one currency).
constexpr std::size_t kRowBytes = 256;

}  // namespace

// By row count alone, which the maps know without a walk: a heavy customer's
// thousands of rows are not visited on every batch.
std::size_t BreakdownsBuffer::BytesOf(const fold::Breakdowns& b) {
  return 64 + kRowBytes *
                  (b.products.size() + b.stores.size() + b.categories.size());
}

bool BreakdownsBuffer::Holds(std::uint64_t number) const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.contains(number);
}

void BreakdownsBuffer::Add(std::uint64_t number, std::size_t stripe,
                           fold::Breakdowns delta) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = entries_.try_emplace(number);
  Entry& entry = it->second;
  entry.stripe = stripe;
  if (inserted) {
    entry.delta = std::move(delta);
  } else {
    fold::Join(entry.delta, delta);
  }
  const std::size_t bytes = BytesOf(entry.delta);
  bytes_ = bytes_ - entry.bytes + bytes;
  entry.bytes = bytes;
}

std::optional<fold::Breakdowns> BreakdownsBuffer::Get(
    std::uint64_t number) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(number);
  if (it == entries_.end()) return std::nullopt;
  return it->second.delta;
}

std::vector<std::string> BreakdownsBuffer::OrderedSkus(
    std::uint64_t number) const {
  std::vector<std::string> skus;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(number);
  if (it == entries_.end()) return skus;
  for (const auto& [sku, row] : it->second.delta.products)
    if (row.orders > 0) skus.push_back(sku);
  return skus;
}

void BreakdownsBuffer::Drop(std::uint64_t number) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(number);
  if (it == entries_.end()) return;
  bytes_ -= it->second.bytes;
  entries_.erase(it);
}

std::vector<BreakdownsBuffer::Held> BreakdownsBuffer::Customers() const {
  std::vector<Held> out;
  std::lock_guard<std::mutex> lock(mu_);
  out.reserve(entries_.size());
  for (const auto& [number, entry] : entries_)
    out.push_back({number, entry.stripe});
  return out;
}

std::optional<fold::Breakdowns> BreakdownsBuffer::Take(std::uint64_t number) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(number);
  if (it == entries_.end()) return std::nullopt;
  bytes_ -= it->second.bytes;
  fold::Breakdowns delta = std::move(it->second.delta);
  entries_.erase(it);
  return delta;
}

std::size_t BreakdownsBuffer::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace ckm::engine
