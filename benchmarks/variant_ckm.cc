// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// ckm through its public API only: Store::Open with default options except
// durability, Record(span), Get, History.

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ckm/store.h"
#include "variant.h"

namespace ckm_bench {
namespace {

constexpr ckm::Channel kChannels[] = {
    ckm::Channel::kInStore, ckm::Channel::kWeb, ckm::Channel::kApp,
    ckm::Channel::kPhone, ckm::Channel::kSelfService};

ckm::Event ToEvent(const Order& order) {
  ckm::Event event;
  event.id = order.id;
  event.customer = ckm::CustomerRef::Id(CustomerName(order.customer));
  event.ts_ms = order.ts_ms;
  ckm::Purchase purchase;
  purchase.currency = "GBP";
  purchase.channel = kChannels[order.channel % 5];
  purchase.store = "s" + std::to_string(order.store);
  purchase.lines.reserve(order.line_count);
  for (std::uint32_t i = 0; i < order.line_count; ++i) {
    const OrderLine& line = order.lines[i];
    ckm::PurchaseLine out;
    out.sku = "p" + std::to_string(line.product);
    out.category = "cat" + std::to_string(line.category);
    out.quantity = line.quantity;
    out.unit_price_micros = line.unit_price_micros;
    purchase.lines.push_back(std::move(out));
  }
  event.body = std::move(purchase);
  return event;
}

class CkmVariant final : public Variant {
 public:
  explicit CkmVariant(bool sync) : sync_(sync) {}

  bool has_profiles() const override { return true; }
  bool concurrent_writes() const override { return true; }

  absl::Status Open(const std::string& dir) override {
    ckm::StoreOptions options;  // defaults: 64 MiB block cache, ...
    options.durability =
        sync_ ? ckm::Durability::kSync : ckm::Durability::kBuffered;
    // For comparing the breakdowns buffer's sizes (0: merge every batch).
    if (const char* bytes = std::getenv("CKM_BENCH_BREAKDOWNS_BUFFER"))
      options.breakdowns_buffer_bytes = std::strtoull(bytes, nullptr, 10);
    auto store = ckm::Store::Open(dir, options);
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    return absl::OkStatus();
  }

  absl::Status IngestBatch(absl::Span<const Order> orders) override {
    std::vector<ckm::Event> events;
    events.reserve(orders.size());
    for (const Order& order : orders) events.push_back(ToEvent(order));
    auto result = store_->Record(events);
    if (!result.ok()) return result.status();
    if (result->recorded != events.size()) {
      return absl::InternalError(absl::StrCat(
          "Record recorded ", result->recorded, " of ", events.size(),
          " events (", result->already_recorded, " taken for duplicates)"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<Totals>> Get(std::uint64_t customer) override {
    auto profile = store_->Get(CustomerName(customer));
    if (absl::IsNotFound(profile.status())) return std::nullopt;
    if (!profile.ok()) return profile.status();
    const ckm::PurchaseSummary purchases = profile->purchases();
    Totals totals;
    totals.orders = purchases.orders;
    for (const ckm::CurrencyTotals& c : purchases.by_currency) {
      if (c.currency == "GBP") totals.spend_micros = c.net_micros();
    }
    return totals;
  }

  absl::StatusOr<std::size_t> Recent20(std::uint64_t customer) override {
    ckm::HistoryQuery query;
    query.kind = ckm::EventKind::kPurchase;
    query.limit = 20;
    auto events = store_->History(CustomerName(customer), query);
    if (!events.ok()) return events.status();
    return events->size();
  }

  // Merges the breakdowns buffer. Store::Flush() also flushes the
  // memtables, which the RocksDB variants leave to the background: that
  // makes ckm's figure conservative.
  absl::Status Settle() override { return store_->Flush(); }

  absl::Status Close() override {
    store_.reset();
    return absl::OkStatus();
  }

 private:
  const bool sync_;
  std::unique_ptr<ckm::Store> store_;
};

}  // namespace

std::unique_ptr<Variant> NewCkmVariant(bool sync) {
  return std::make_unique<CkmVariant>(sync);
}

}  // namespace ckm_bench
