// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Queries over a customer's history and breakdowns, and their results.
// Plain values: copy them freely.

#ifndef CKM_QUERY_H_
#define CKM_QUERY_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "ckm/event.h"

namespace ckm {

// A half-open time range [since_ms, until_ms) in UTC milliseconds.
struct TimeRange {
  std::int64_t since_ms = std::numeric_limits<std::int64_t>::min();
  std::int64_t until_ms = std::numeric_limits<std::int64_t>::max();
};

struct HistoryQuery {
  // Only events of this kind; unset: every kind (the same as Timeline()).
  std::optional<EventKind> kind;
  TimeRange range;
  // At most this many events; 0 means no limit. Default: 100.
  std::size_t limit = 100;
  // Newest first (default) or oldest first. Ties in time are ordered by id,
  // then by kind.
  bool newest_first = true;
  // Only the attribute events that set this key (the key's audit trail);
  // empty: no such filter. Implies kind kAttribute.
  std::string attribute_key;
  // Only the consent events for this purpose; empty: no such filter. Implies
  // kind kConsent. At most one of attribute_key and consent_purpose.
  std::string consent_purpose;
  // Empty: from the start. Else a HistoryPage::next_cursor: the events that
  // come after that page's last one, in this query's direction.
  std::string cursor;
};

// One page of a customer's history (Store::ListHistory()).
struct HistoryPage {
  std::vector<Event> events;
  // Set when the limit cut the result: pass it as HistoryQuery::cursor for
  // the next page. Empty when this page ends the history.
  std::string next_cursor;
};

// Results of History() and Timeline(): the events as recorded, with the
// customer named by id (an event recorded by identity comes back with the
// id it resolved to).
using Events = std::vector<Event>;

// Dimensions of Breakdown().
enum class Dimension : std::uint8_t {
  kProduct = 1,   // by PurchaseLine::sku (lines without a SKU are left out)
  kStore = 2,     // by Purchase::store (purchases without a store left out)
  kCategory = 3,  // by PurchaseLine::category (lines without one left out)
};

// Money of one breakdown entry in one currency; amounts in micros, >= 0.
struct BreakdownMoney {
  std::string currency;
  std::int64_t gross_micros = 0;
  std::int64_t discount_micros = 0;  // line discounts (order-level ones count
                                     // only for the store)
  std::int64_t returned_micros = 0;
  std::int64_t net_micros() const;  // gross - discount - returned
};

// What a customer did with one product, store or category.
struct BreakdownEntry {
  std::string key;                  // the SKU, store or category
  std::int64_t orders = 0;          // orders with a positive line for it
  std::int64_t returns = 0;         // events with a negative line for it
  std::int64_t units = 0;           // positive quantities
  std::int64_t returned_units = 0;  // |negative quantities|
  // Earliest and latest order; unset if it was only ever returned.
  std::optional<std::int64_t> first_purchase_ms;
  std::optional<std::int64_t> last_purchase_ms;
  std::vector<BreakdownMoney> money;  // sorted by currency
  // (last - first) / (orders - 1); nullopt with fewer than two orders.
  std::optional<std::int64_t> mean_interval_ms() const;
  // When the customer is expected to buy it again: last purchase + mean
  // interval (saturating); nullopt with fewer than two orders.
  std::optional<std::int64_t> expected_next_purchase_ms() const;
};

// What Verify() found for one customer.
struct CustomerReport {
  std::string customer_id;
  bool profile_matches = true;        // stored profile == fold(history)
  bool breakdowns_match = true;       // stored breakdowns == fold(history)
  std::int64_t corrupt_operands = 0;  // as counted in the stored profile
  std::int64_t corrupt_history = 0;   // history values that fail to decode
  std::string detail;  // human-readable description of the first difference
  bool ok() const {
    return profile_matches && breakdowns_match && corrupt_operands == 0 &&
           corrupt_history == 0;
  }
};

// What a store-wide Verify() or Rebuild() found.
struct StoreReport {
  std::int64_t customers = 0;            // customers examined
  std::int64_t damaged = 0;              // customers whose report was not ok
  std::vector<CustomerReport> problems;  // the first 100 damaged customers
  bool ok() const { return damaged == 0; }
};

}  // namespace ckm

#endif  // CKM_QUERY_H_
