// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "import.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ckm/money.h"
#include "ckm/validate.h"
#include "csv.h"
#include "csv_import.h"
#include "enum_names.h"
#include "quote.h"
#include "timestamp.h"

namespace ckm::tools {
namespace {

absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

enum Field : int {
  kCustomer = 0,
  kOrder,
  kSku,
  kDescription,
  kCategory,
  kQuantity,
  kUnitPrice,
  kLineTotal,
  kTs,
  kCurrency,
  kChannel,
  kStore,
  kLineDiscount,
  kOrderDiscount,
  kFieldCount
};

std::optional<Channel> ParseChannel(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(Av(Trim(text)));
  if (lower.empty()) return Channel::kUnspecified;
  if (std::optional<Channel> c = EnumNamed<Channel>(lower)) return c;
  if (lower == "store" || lower == "instore" || lower == "in-store")
    return Channel::kInStore;
  if (lower == "online") return Channel::kWeb;
  return std::nullopt;
}

// One order being assembled from its rows.
// Whether `total` is quantity * price, the price rounded (either way) to
// the decimals it is written with in `price_text`: |q * p - t| < |q| * one
// unit of its last decimal.
bool WithinRounding(std::int64_t quantity, std::int64_t price,
                    std::string_view price_text, std::int64_t total) {
  const std::size_t dot = price_text.find('.');
  const std::size_t decimals =
      dot == std::string_view::npos ? 0 : price_text.size() - dot - 1;
  std::int64_t step = 1;  // micros in one unit of the last decimal
  for (std::size_t d = decimals; d < 6; ++d) step *= 10;
  const absl::int128 gap = absl::int128(quantity) * price - absl::int128(total);
  const absl::int128 units =
      quantity < 0 ? -absl::int128(quantity) : absl::int128(quantity);
  return (gap < 0 ? -gap : gap) < units * step;
}

struct Order {
  std::string customer;
  std::string order_id;
  std::uint64_t event_id = 0;
  std::int64_t ts_ms = 0;  // earliest line
  std::string currency;
  Channel channel = Channel::kUnspecified;
  std::string store;
  std::vector<PurchaseLine> lines;
  std::optional<std::int64_t> discount_micros;  // order_discount, if given
  std::string where;  // "file:line" of its first row, for errors
};

class Importer final : public CsvImport {
 public:
  Importer(Store& store, const ImportOptions& options)
      : CsvImport(store, options, kImportFields) {}

 private:
  absl::Status CheckColumns(const std::string& path) override {
    if (!Has(kCustomer)) return MissingField(path, "customer");
    if (!Has(kTs)) return MissingField(path, "ts");
    if (!Has(kUnitPrice) && !Has(kLineTotal)) {
      return MissingField(path, "unit_price or line_total");
    }
    // A unit_price and a line_total column are both used, and checked
    // against each other, when both are mapped or both found by name;
    // mapping only one of them with --map uses only that one.
    const bool price = options_.columns.count("unit_price") > 0;
    const bool total = options_.columns.count("line_total") > 0;
    use_price_ = Has(kUnitPrice) && !(total && !price);
    use_total_ = Has(kLineTotal) && !(price && !total);
    if (!Has(kCurrency) && options_.currency.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": no currency column; map one or pass --currency"));
    }
    if (!options_.currency.empty() && !IsIsoCurrency(options_.currency)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--currency: ", QuoteForError(options_.currency),
                       " is not an ISO 4217 code"));
    }
    return absl::OkStatus();
  }

  // An amount >= 0 in column `f`, or nullopt when the column is not mapped
  // or the cell is empty.
  absl::Status ParseAmount(const std::vector<std::string>& row,
                           const std::string& where, Field f,
                           std::optional<std::int64_t>& out) {
    const std::string_view text = Trim(Get(row, f));
    if (text.empty()) return absl::OkStatus();
    absl::StatusOr<std::int64_t> micros = ParseMicros(text);
    if (!micros.ok()) return Bad(where, f, "not a decimal amount", text);
    if (*micros < 0) return Bad(where, f, "negative", text);
    out = *micros;
    return absl::OkStatus();
  }

  // Quantity, unit price, line total and line discount. With both a unit
  // price and a line total, the total must be quantity * unit price up to
  // the rounding of the unit price as written (3 x 3.33 for 10.00 is; 3 x
  // 3.50 for 10.00 is not, and says so).
  absl::Status ParseLineMoney(const std::vector<std::string>& row,
                              const std::string& where, PurchaseLine& line) {
    std::int64_t quantity = 1;
    if (Has(kQuantity)) {
      const std::string_view text = Trim(Get(row, kQuantity));
      if (!absl::SimpleAtoi(Av(text), &quantity)) {
        return Bad(where, kQuantity, "not a whole number", text);
      }
      if (quantity == 0) return Bad(where, kQuantity, "must not be 0", text);
    }
    std::optional<std::int64_t> price;
    if (use_price_) {
      const std::string_view text = Trim(Get(row, kUnitPrice));
      absl::StatusOr<std::int64_t> parsed = ParseMicros(text);
      if (!parsed.ok())
        return Bad(where, kUnitPrice, "not a decimal amount", text);
      if (*parsed < 0)
        return Bad(where, kUnitPrice, "negative unit price", text);
      price = *parsed;
      line.unit_price_micros = *parsed;
    }
    if (use_total_) {
      const std::string_view text = Trim(Get(row, kLineTotal));
      absl::StatusOr<std::int64_t> total = ParseMicros(text);
      if (!total.ok())
        return Bad(where, kLineTotal, "not a decimal amount", text);
      if (!Has(kQuantity) && *total < 0) quantity = -1;
      if ((*total < 0) != (quantity < 0) && *total != 0) {
        return Bad(where, kLineTotal, "sign differs from the quantity's", text);
      }
      if (price && !WithinRounding(quantity, *price, Trim(Get(row, kUnitPrice)),
                                   *total)) {
        return Bad(where, kLineTotal,
                   absl::StrCat("is not quantity x unit_price (", quantity,
                                " x ", Av(Trim(Get(row, kUnitPrice))),
                                ") up to the unit price's rounding; if the "
                                "file has multibuy deals, map only line_total"),
                   text);
      }
      line.line_total_micros = *total;
    }
    line.quantity = quantity;
    std::optional<std::int64_t> discount;
    if (absl::Status s = ParseAmount(row, where, kLineDiscount, discount);
        !s.ok()) {
      return s;
    }
    line.discount_micros = discount.value_or(0);
    return absl::OkStatus();
  }

  absl::Status AddRow(const std::vector<std::string>& row,
                      const std::string& where) override {
    const std::string customer = Customer(row, kCustomer);
    if (customer.empty()) return absl::OkStatus();

    PurchaseLine line;
    line.sku = std::string(Trim(Get(row, kSku)));
    line.category = std::string(Trim(Get(row, kCategory)));
    if (absl::Status s = ParseLineMoney(row, where, line); !s.ok()) return s;
    std::optional<std::int64_t> order_discount;
    if (absl::Status s =
            ParseAmount(row, where, kOrderDiscount, order_discount);
        !s.ok()) {
      return s;
    }

    absl::StatusOr<std::int64_t> ts = Time(row, where, kTs);
    if (!ts.ok()) return ts.status();

    std::string currency(Trim(Get(row, kCurrency)));
    if (currency.empty()) currency = options_.currency;
    if (!IsIsoCurrency(currency)) {
      return Bad(where, Has(kCurrency) ? kCurrency : kCustomer,
                 "not an ISO 4217 currency", currency);
    }
    const std::optional<Channel> channel = ParseChannel(Get(row, kChannel));
    if (!channel)
      return Bad(where, kChannel, "not a known channel", Get(row, kChannel));
    const std::string store(Trim(Get(row, kStore)));

    // Which order the row belongs to, and that order's event id: without
    // an order id each row is an order of its own.
    const std::uint64_t id =
        RowEventId("purchase", customer, row, kOrder, "order");
    const std::string_view order_id = Trim(Get(row, kOrder));
    const std::string key =
        order_id.empty()
            ? absl::StrCat("\x01row", std::to_string(order_index_.size()))
            : absl::StrCat(customer, absl::string_view("\0", 1), Av(order_id));
    auto [it, inserted] = order_index_.try_emplace(key, orders_.size());
    if (inserted) {
      Order order;
      order.customer = customer;
      order.order_id = std::string(Trim(Get(row, kOrder)));
      order.event_id = id;
      order.ts_ms = *ts;
      order.currency = currency;
      order.channel = *channel;
      order.store = store;
      order.where = where;
      orders_.push_back(std::move(order));
    }
    Order& order = orders_[it->second];
    if (order.currency != currency) {
      return Bad(where, kCurrency, "differs from the order's first row",
                 currency);
    }
    if (order_discount) {
      if (order.discount_micros && *order.discount_micros != *order_discount) {
        return Bad(where, kOrderDiscount,
                   "differs from the order's earlier rows",
                   Trim(Get(row, kOrderDiscount)));
      }
      order.discount_micros = order_discount;
    }
    order.ts_ms = std::min(order.ts_ms, *ts);
    order.lines.push_back(std::move(line));
    return absl::OkStatus();
  }

  // Turns the assembled orders into purchase events, in the order they were
  // first seen; where[i] is the first row of events[i].
  void TakeEvents(std::vector<Event>& events,
                  std::vector<std::string>& where) override {
    events.reserve(orders_.size());
    where.reserve(orders_.size());
    for (Order& order : orders_) {
      Event e;
      e.id = order.event_id;
      e.customer = CustomerRef::Id(std::move(order.customer));
      e.ts_ms = order.ts_ms;
      e.source = "import";
      Purchase p;
      p.order_id = std::move(order.order_id);
      p.currency = std::move(order.currency);
      p.channel = order.channel;
      p.store = std::move(order.store);
      p.lines = std::move(order.lines);
      p.discount_micros = order.discount_micros.value_or(0);
      e.body = std::move(p);
      events.push_back(std::move(e));
      where.push_back(std::move(order.where));
    }
    orders_.clear();
    order_index_.clear();
  }

  std::string Name(const Event& e) const override {
    return absl::StrCat("order ", QuoteForError(absl::StrCat(
                                      e.customer.id, "/",
                                      std::get<Purchase>(e.body).order_id)));
  }

  std::int64_t RowsOf(const Event& e) const override {
    return static_cast<std::int64_t>(std::get<Purchase>(e.body).lines.size());
  }

  bool use_price_ = false;  // CheckColumns(): which amounts a row has
  bool use_total_ = false;
  std::vector<Order> orders_;
  absl::flat_hash_map<std::string, std::size_t> order_index_;
};
}  // namespace

std::string NormalizeCustomerId(std::string_view raw) {
  std::string_view id = Trim(raw);
  // "17850.0": an integer id that went through a float column.
  const std::size_t point = id.find('.');
  if (point != std::string_view::npos && point > 0) {
    const std::string_view whole = id.substr(0, point);
    const std::string_view fraction = id.substr(point + 1);
    if (!fraction.empty() &&
        std::all_of(whole.begin(), whole.end(),
                    [](char c) { return c >= '0' && c <= '9'; }) &&
        std::all_of(fraction.begin(), fraction.end(),
                    [](char c) { return c == '0'; })) {
      id = whole;
    }
  }
  return std::string(id);
}

absl::StatusOr<std::map<std::string, std::string>> ParseColumnMap(
    std::string_view text, absl::Span<const char* const> fields) {
  std::map<std::string, std::string> columns;
  for (absl::string_view pair :
       absl::StrSplit(Av(text), ',', absl::SkipEmpty())) {
    const std::size_t eq = pair.find('=');
    if (eq == absl::string_view::npos || eq == 0 || eq + 1 == pair.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--map: expected FIELD=COLUMN, got ",
          QuoteForError(std::string_view(pair.data(), pair.size()))));
    }
    const std::string field(pair.substr(0, eq));
    if (std::find_if(fields.begin(), fields.end(), [&](const char* f) {
          return field == f;
        }) == fields.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--map: unknown field ", QuoteForError(field), " (",
                       absl::StrJoin(fields, ", "), ")"));
    }
    columns[field] = std::string(pair.substr(eq + 1));
  }
  return columns;
}

absl::StatusOr<ImportSummary> ImportPurchases(
    Store& store, const std::vector<std::string>& files,
    const ImportOptions& options) {
  if (options.batch_size == 0)
    return absl::InvalidArgumentError("batch_size: must be > 0");
  absl::StatusOr<ImportSummary> summary = Importer(store, options).Run(files);
  if (summary.ok()) summary->orders = summary->events;
  return summary;
}

}  // namespace ckm::tools
