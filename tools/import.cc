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
#include "absl/strings/str_split.h"
#include "ckm/money.h"
#include "ckm/validate.h"
#include "csv.h"
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

// FNV-1a, 64 bits: stable across builds and platforms, unlike std::hash, so
// event ids stay the same from one import to the next.
class StableHash {
 public:
  StableHash& Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash_ ^= c;
      hash_ *= 0x100000001b3ULL;
    }
    // A separator that cannot be confused with data: fields "ab","c" and
    // "a","bc" hash differently.
    hash_ ^= 0xff;
    hash_ *= 0x100000001b3ULL;
    return *this;
  }
  std::uint64_t value() const {
    return hash_ == 0 ? 1 : hash_;
  }  // ids are non-zero

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::optional<Channel> ParseChannel(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(Av(Trim(text)));
  if (lower.empty()) return Channel::kUnspecified;
  for (int c = 0; c < kChannelCount; ++c) {
    if (lower == ToString(static_cast<Channel>(c)))
      return static_cast<Channel>(c);
  }
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

class Importer {
 public:
  Importer(Store& store, const ImportOptions& options)
      : store_(store), options_(options) {}

  absl::StatusOr<ImportSummary> Run(const std::vector<std::string>& files) {
    for (const std::string& file : files) {
      if (absl::Status s = ReadFile(file); !s.ok()) return s;
      ++summary_.files;
    }
    summary_.customers = static_cast<std::int64_t>(customers_.size());
    std::vector<Event> events = TakeEvents();
    if (absl::Status s = CheckEvents(events); !s.ok()) return s;
    if (absl::Status s = RecordEvents(events); !s.ok()) return s;
    return summary_;
  }

 private:
  absl::Status ReadFile(const std::string& path) {
    absl::StatusOr<CsvReader> reader =
        CsvReader::Open(path, options_.delimiter);
    if (!reader.ok()) return reader.status();
    std::vector<std::string> fields;
    absl::StatusOr<bool> more = reader->Next(fields);
    if (!more.ok()) return more.status();
    if (!*more)
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": empty file, no header"));
    if (absl::Status s = MapColumns(path, fields); !s.ok()) return s;

    std::int64_t rows_here = 0;
    while (true) {
      more = reader->Next(fields);
      if (!more.ok()) {
        if (!options_.skip_bad_rows) return more.status();
        // The reader cannot resynchronise inside a broken quoted field.
        return absl::InvalidArgumentError(
            absl::StrCat(more.status().message(),
                         " (malformed CSV cannot be skipped row by row)"));
      }
      if (!*more) break;
      ++summary_.rows;
      ++rows_here;
      const std::string where = absl::StrCat(path, ":", reader->record_line());
      if (absl::Status s = AddRow(fields, where); !s.ok()) {
        if (!options_.skip_bad_rows) return s;
        ++summary_.bad_rows;
        ++summary_.bad_row_reasons[reason_];
      }
      if (options_.progress && (rows_here & 0x3fff) == 0) {
        options_.progress(summary_.rows, reader->bytes_consumed(),
                          reader->file_bytes());
      }
    }
    if (options_.progress) {
      options_.progress(summary_.rows, reader->file_bytes(),
                        reader->file_bytes());
    }
    return absl::OkStatus();
  }

  absl::Status MapColumns(const std::string& path,
                          const std::vector<std::string>& header) {
    column_of_.fill(-1);
    for (int f = 0; f < kFieldCount; ++f) {
      const std::string field = kImportFields[f];
      auto mapped = options_.columns.find(field);
      for (std::size_t c = 0; c < header.size(); ++c) {
        const bool match =
            mapped != options_.columns.end()
                ? header[c] == mapped->second
                : absl::EqualsIgnoreCase(Av(Trim(header[c])), field);
        if (match) {
          column_of_[f] = static_cast<int>(c);
          break;
        }
      }
      if (mapped != options_.columns.end() && column_of_[f] < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": no column ", QuoteForError(mapped->second),
                         " (mapped to ", field, ") in the header"));
      }
    }
    header_ = header;
    if (column_of_[kCustomer] < 0) return MissingField(path, "customer");
    if (column_of_[kTs] < 0) return MissingField(path, "ts");
    if (column_of_[kUnitPrice] < 0 && column_of_[kLineTotal] < 0) {
      return MissingField(path, "unit_price or line_total");
    }
    // A unit_price and a line_total column are both used, and checked
    // against each other, when both are mapped or both found by name;
    // mapping only one of them with --map uses only that one.
    if (column_of_[kUnitPrice] >= 0 && column_of_[kLineTotal] >= 0) {
      const bool price = options_.columns.count("unit_price") > 0;
      const bool total = options_.columns.count("line_total") > 0;
      if (price && !total) column_of_[kLineTotal] = -1;
      if (total && !price) column_of_[kUnitPrice] = -1;
    }
    if (column_of_[kCurrency] < 0 && options_.currency.empty()) {
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

  absl::Status MissingField(const std::string& path,
                            std::string_view field) const {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no column for ", Av(field),
                     "; name it with --map ", Av(field), "=COLUMN"));
  }

  // The field's raw text in this row, or "" when the field is not mapped.
  std::string_view Get(const std::vector<std::string>& row, Field f) const {
    const int c = column_of_[f];
    return c >= 0 && c < static_cast<int>(row.size()) ? std::string_view(row[c])
                                                      : std::string_view();
  }

  absl::Status Bad(const std::string& where, Field f, std::string_view reason,
                   std::string_view value) {
    reason_ = absl::StrCat(kImportFields[f], ": ", Av(reason));
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": column '", header_[column_of_[f]], "' (", column_of_[f] + 1,
        "): ", Av(reason), ": ", QuoteForError(value)));
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
    if (column_of_[kQuantity] >= 0) {
      const std::string_view text = Trim(Get(row, kQuantity));
      if (!absl::SimpleAtoi(Av(text), &quantity)) {
        return Bad(where, kQuantity, "not a whole number", text);
      }
      if (quantity == 0) return Bad(where, kQuantity, "must not be 0", text);
    }
    std::optional<std::int64_t> price;
    if (column_of_[kUnitPrice] >= 0) {
      const std::string_view text = Trim(Get(row, kUnitPrice));
      absl::StatusOr<std::int64_t> parsed = ParseMicros(text);
      if (!parsed.ok())
        return Bad(where, kUnitPrice, "not a decimal amount", text);
      if (*parsed < 0)
        return Bad(where, kUnitPrice, "negative unit price", text);
      price = *parsed;
      line.unit_price_micros = *parsed;
    }
    if (column_of_[kLineTotal] >= 0) {
      const std::string_view text = Trim(Get(row, kLineTotal));
      absl::StatusOr<std::int64_t> total = ParseMicros(text);
      if (!total.ok())
        return Bad(where, kLineTotal, "not a decimal amount", text);
      if (column_of_[kQuantity] < 0 && *total < 0) quantity = -1;
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
                      const std::string& where) {
    if (row.size() != header_.size()) {
      reason_ = "wrong number of fields";
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": ", row.size(), " fields, the header has ", header_.size()));
    }
    const std::string customer = NormalizeCustomerId(Get(row, kCustomer));
    if (customer.empty()) {
      ++summary_.rows_without_customer;
      return absl::OkStatus();
    }

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

    const std::string_view ts_text = Trim(Get(row, kTs));
    absl::StatusOr<std::int64_t> ts =
        ParseTimestamp(ts_text, options_.time_format, options_.date_order);
    if (!ts.ok()) {
      // Readable both ways round: say how to choose rather than just "bad".
      if (options_.time_format.empty() &&
          ParseTimestamp(ts_text, {}, DateOrder::kDayFirst).ok() &&
          ParseTimestamp(ts_text, {}, DateOrder::kMonthFirst).ok()) {
        return Bad(where, kTs,
                   "ambiguous day/month date; say which comes first with "
                   "--date-order dmy or mdy, or give --time-format",
                   ts_text);
      }
      return Bad(where, kTs, "not a date/time", ts_text);
    }

    std::string currency(Trim(Get(row, kCurrency)));
    if (currency.empty()) currency = options_.currency;
    if (!IsIsoCurrency(currency)) {
      return Bad(where, column_of_[kCurrency] >= 0 ? kCurrency : kCustomer,
                 "not an ISO 4217 currency", currency);
    }
    const std::optional<Channel> channel = ParseChannel(Get(row, kChannel));
    if (!channel)
      return Bad(where, kChannel, "not a known channel", Get(row, kChannel));
    const std::string store(Trim(Get(row, kStore)));

    // Which order the row belongs to, and that order's event id.
    std::string key;
    StableHash id;
    id.Add("ckm.import.purchase.v1").Add(customer);
    if (column_of_[kOrder] >= 0 && !Trim(Get(row, kOrder)).empty()) {
      const std::string_view order_id = Trim(Get(row, kOrder));
      key = absl::StrCat(customer, absl::string_view("\0", 1), Av(order_id));
      id.Add("order").Add(order_id);
    } else {
      // Each row is an order of its own; its id is the row's content plus
      // how many identical rows came before it.
      std::string content;
      for (const std::string& field : row)
        absl::StrAppend(&content, field, absl::string_view("\0", 1));
      const std::int64_t copy = row_copies_[content]++;
      id.Add("row").Add(content).Add(std::to_string(copy));
      key = absl::StrCat("\x01row", std::to_string(order_index_.size()));
    }

    auto [it, inserted] = order_index_.try_emplace(key, orders_.size());
    if (inserted) {
      Order order;
      order.customer = customer;
      order.order_id = std::string(Trim(Get(row, kOrder)));
      order.event_id = id.value();
      order.ts_ms = *ts;
      order.currency = currency;
      order.channel = *channel;
      order.store = store;
      order.where = where;
      orders_.push_back(std::move(order));
      customers_.insert(customer);
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
  // first seen; where_[i] is the first row of events[i].
  std::vector<Event> TakeEvents() {
    std::vector<Event> events;
    events.reserve(orders_.size());
    where_.reserve(orders_.size());
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
      where_.push_back(std::move(order.where));
    }
    orders_.clear();
    order_index_.clear();
    return events;
  }

  // Checks every event with the store's own rules before anything is written,
  // so that a bad value cannot stop the import half-way. The first bad event
  // is an error at its order's first row; with skip_bad_rows, bad events are
  // dropped and their rows counted.
  absl::Status CheckEvents(std::vector<Event>& events) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (absl::Status s = Validate(events[i]); !s.ok()) {
        // "events[0].purchase.lines[2].sku: why" -> "purchase.lines[2].sku..."
        const std::string message(s.message());
        const std::string detail = message.substr(message.find("].") + 2);
        const Purchase& p = std::get<Purchase>(events[i].body);
        if (!options_.skip_bad_rows) {
          return absl::InvalidArgumentError(
              absl::StrCat(where_[i], ": order ",
                           QuoteForError(absl::StrCat(events[i].customer.id,
                                                      "/", p.order_id)),
                           ": ", detail));
        }
        const auto rows = static_cast<std::int64_t>(p.lines.size());
        summary_.bad_rows += rows;
        summary_.bad_row_reasons[detail.substr(0, detail.find(':'))] += rows;
        continue;
      }
      if (kept != i) {
        events[kept] = std::move(events[i]);
        where_[kept] = std::move(where_[i]);
      }
      ++kept;
    }
    events.resize(kept);
    where_.resize(kept);
    summary_.orders = static_cast<std::int64_t>(kept);
    return absl::OkStatus();
  }

  // Records the (valid) events in batches, then flushes if the writes were
  // not durable. Each batch's events are freed once recorded, so that the
  // memory of the orders goes as the store's grows. An error here (I/O, a
  // full disk) can come after some batches were written, so it says how
  // many, and that running the import again is safe.
  absl::Status RecordEvents(std::vector<Event>& events) {
    RecordOptions record_options;
    record_options.durability = options_.durability;
    const absl::Span<Event> all(events);
    for (std::size_t i = 0; i < all.size(); i += options_.batch_size) {
      const absl::Span<Event> batch = all.subspan(i, options_.batch_size);
      absl::StatusOr<RecordResult> result =
          store_.Record(absl::Span<const Event>(batch), record_options);
      if (!result.ok()) return AfterWriting(result.status(), "recording");
      summary_.recorded += static_cast<std::int64_t>(result->recorded);
      summary_.already_recorded +=
          static_cast<std::int64_t>(result->already_recorded);
      for (Event& e : batch) e = Event();
    }
    if (options_.durability == Durability::kNone) {
      if (absl::Status s = store_.Flush(); !s.ok())
        return AfterWriting(s, "flushing");
    }
    return absl::OkStatus();
  }

  absl::Status AfterWriting(const absl::Status& error,
                            std::string_view doing) const {
    return absl::Status(
        error.code(),
        absl::StrCat(
            Av(doing), ": ", error.message(), "; ", summary_.recorded,
            " events of this import were recorded before the error (",
            summary_.already_recorded, " were already recorded) and ",
            summary_.orders - summary_.recorded - summary_.already_recorded,
            " were not; running the import again is safe: it records only "
            "what is missing, never an event twice"));
  }

  Store& store_;
  const ImportOptions& options_;
  ImportSummary summary_;
  std::array<int, kFieldCount> column_of_{};
  std::vector<std::string> header_;
  std::string reason_;  // short reason of the last bad row, for the summary
  std::vector<Order> orders_;
  std::vector<std::string> where_;  // TakeEvents(): first row of each event
  absl::flat_hash_map<std::string, std::size_t> order_index_;
  absl::flat_hash_map<std::string, std::int64_t> row_copies_;
  absl::flat_hash_set<std::string> customers_;
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
    std::string_view text) {
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
    if (std::find_if(std::begin(kImportFields), std::end(kImportFields),
                     [&](const char* f) { return field == f; }) ==
        std::end(kImportFields)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--map: unknown field ", QuoteForError(field),
                       " (customer, order, sku, description, category, "
                       "quantity, unit_price, line_total, line_discount, "
                       "order_discount, ts, currency, channel, store)"));
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
  return Importer(store, options).Run(files);
}

}  // namespace ckm::tools
