// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "engine/known_products.h"

#include <algorithm>

#include "string_util.h"

namespace ckm {

std::optional<std::int64_t> KnownProducts::CountNew(
    std::string_view customer, const std::vector<std::string_view>& skus) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(Av(customer));
  if (it == entries_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  std::int64_t fresh = 0;
  for (std::string_view sku : skus) {
    if (!it->second.skus.contains(Av(sku))) ++fresh;
  }
  return fresh;
}

void KnownProducts::Put(std::string_view customer,
                        const std::vector<std::string>& skus) {
  // A customer worth more than half the cache would only push everyone else
  // out; such a customer is read from the store each time.
  if (capacity_ == 0 || skus.size() > capacity_ / 2) {
    Forget(customer);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(Av(customer));
  if (it == entries_.end()) {
    lru_.emplace_front(customer);
    it = entries_.try_emplace(lru_.front()).first;
    it->second.lru = lru_.begin();
  } else {
    size_ -= it->second.skus.size();
    it->second.skus.clear();
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  it->second.skus.insert(skus.begin(), skus.end());
  size_ += it->second.skus.size();
  EvictLocked();
}

void KnownProducts::Add(std::string_view customer,
                        const std::vector<std::string_view>& skus) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(Av(customer));
  if (it == entries_.end()) return;
  for (std::string_view sku : skus) {
    if (!it->second.skus.contains(Av(sku))) {
      it->second.skus.emplace(sku);
      ++size_;
    }
  }
  if (it->second.skus.size() > capacity_ / 2) {
    EraseLocked(it);  // grown past what Put would cache
  } else {
    EvictLocked();
  }
}

void KnownProducts::Forget(std::string_view customer) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = entries_.find(Av(customer)); it != entries_.end())
    EraseLocked(it);
}

bool KnownProducts::Admit(std::string_view customer) {
  if (capacity_ == 0) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (missed_.erase(Av(customer)) > 0 || missed_before_.erase(Av(customer)) > 0)
    return true;
  if (missed_.size() >= std::max<std::size_t>(capacity_ / 512, 1)) {
    missed_before_ = std::move(missed_);
    missed_ = {};
  }
  missed_.emplace(customer);
  return false;
}

void KnownProducts::EraseLocked(
    absl::flat_hash_map<std::string, Entry>::iterator it) {
  size_ -= it->second.skus.size();
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

void KnownProducts::EvictLocked() {
  while (size_ > capacity_ && !lru_.empty()) {
    EraseLocked(entries_.find(lru_.back()));
  }
}

}  // namespace ckm
