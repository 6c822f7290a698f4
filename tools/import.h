// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Import of purchase exports (CSV) into a Store, through the public API only.
//
// Rows of one order (same customer and order id, across all files of one
// import) become one Purchase event whose time is the earliest line's time;
// without an order column every row is its own order. Event ids are derived
// from the data (a stable hash), so importing the same files again records
// nothing twice, while identical rows of a file without order ids stay
// separate orders (the n-th copy of a row gets its own id).
//
// Thread safety: ImportPurchases may run on many threads at once against one
// Store (the Store is thread-safe); an Importer object is single-threaded.

#ifndef CKM_TOOLS_IMPORT_H_
#define CKM_TOOLS_IMPORT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ckm/options.h"
#include "ckm/store.h"
#include "timestamp.h"

namespace ckm::tools {

// The fields an import understands, by the names --map uses.
inline constexpr const char* kImportFields[] = {
    "customer",      "order",         "sku",
    "description",   "category",      "quantity",
    "unit_price",    "line_total",    "ts",
    "currency",      "channel",       "store",
    "line_discount", "order_discount"};

struct ImportOptions {
  // field -> column name in the header. A field not named here is read from a
  // column of the same name (compared case-insensitively) if there is one.
  std::map<std::string, std::string> columns;
  char delimiter = ',';
  // absl::ParseTime format for the ts column; empty: the common forms (see
  // ParseTimestamp).
  std::string time_format;
  // How to read A/B/YYYY dates without a time_format: by default a date
  // whose day and month could be either way round is refused.
  DateOrder date_order = DateOrder::kUnambiguous;
  // Currency of rows without a currency column (or with it empty).
  std::string currency;
  // Skip and count malformed rows instead of stopping at the first.
  bool skip_bad_rows = false;
  // Durability of the import's writes. kNone plus one Flush() at the end is
  // the fastest; an interrupted import is simply run again (it is idempotent).
  Durability durability = Durability::kNone;
  // Events per Record() call.
  std::size_t batch_size = 1000;
  // Called now and then with (rows read, bytes consumed, bytes total).
  std::function<void(std::int64_t, std::int64_t, std::int64_t)> progress;
};

struct ImportSummary {
  std::int64_t files = 0;
  std::int64_t rows = 0;              // data rows read (header excluded)
  std::int64_t events = 0;            // events built (and valid)
  std::int64_t orders = 0;            // of them, purchase events (orders)
  std::int64_t recorded = 0;          // events new to the store
  std::int64_t already_recorded = 0;  // events the store had already
  std::int64_t customers = 0;         // distinct customers in the rows
  std::int64_t rows_without_customer = 0;
  std::int64_t bad_rows = 0;  // skipped with skip_bad_rows
  std::map<std::string, std::int64_t> bad_row_reasons;  // reason -> count
};

// Imports `files` into `store`. Reads every file and checks every order with
// the store's own rules (ckm::Validate) before it records anything. Without
// options.skip_bad_rows the first bad row is an InvalidArgument error and
// nothing is written: "file:line: column 'Name': reason" for a malformed row,
// "file:line: order \"customer/order\": field: reason" for an order the
// store would reject. With it, bad rows (and orders) are skipped and counted.
// An error after recording started (I/O, a full disk) keeps its code and says
// how many events were recorded; importing the same files again is safe.
[[nodiscard]] absl::StatusOr<ImportSummary> ImportPurchases(
    Store& store, const std::vector<std::string>& files,
    const ImportOptions& options);

// The fields each kind's import reads, by the names --map takes.
absl::Span<const char* const> ImportFieldsOf(EventKind kind);

// Imports one event of `kind` per row (purchases: ImportPurchases, which
// groups rows into orders), with the same rules: every row checked before
// anything is written, event ids derived from the `id` column if mapped,
// else from the row's content (the n-th identical row gets its own), so that
// importing the same files again records nothing twice. Fields, per kind
// (docs/import.md): customer, ts, id, source, then
//   interaction: channel, kind, topic, agent, duration_s, sentiment,
//                rating, text
//   loyalty:     kind, points, tier, program
//   attribute:   key, value, value_type, provenance (default imported),
//                confidence, remove
//   consent:     purpose, granted
//   identity:    type, value
[[nodiscard]] absl::StatusOr<ImportSummary> ImportEvents(
    Store& store, EventKind kind, const std::vector<std::string>& files,
    const ImportOptions& options);

// Parses "field=column,field=column" (as --map takes it) into `columns`,
// each field one of `fields` (by default the purchase import's).
[[nodiscard]] absl::StatusOr<std::map<std::string, std::string>> ParseColumnMap(
    std::string_view text,
    absl::Span<const char* const> fields = kImportFields);

// A customer id as exports write it, normalised: surrounding spaces trimmed,
// and a float-formatted integer ("17850.0") written as the integer ("17850").
std::string NormalizeCustomerId(std::string_view raw);

}  // namespace ckm::tools

#endif  // CKM_TOOLS_IMPORT_H_
