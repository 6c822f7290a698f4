// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What the ckm tool prints: summaries, listings and the profile export.
// Functions write to the stream they are given; none keeps state.

#ifndef CKM_TOOLS_REPORT_H_
#define CKM_TOOLS_REPORT_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ckm/segment.h"
#include "ckm/store.h"
#include "import.h"

namespace ckm::tools {

// A CSV field, quoted (RFC 4180) when it holds a comma, quote or newline.
std::string CsvField(std::string_view field);

void PrintImportSummary(const ImportSummary& summary, double seconds,
                        std::ostream& out);
void PrintEventLine(const Event& event, std::ostream& out);
void PrintProducts(const std::vector<BreakdownEntry>& entries,
                   std::ostream& out);
void PrintStats(const StoreStats& stats, std::ostream& out);
void PrintCustomerReport(const CustomerReport& report, bool rebuilt,
                         std::ostream& out);
void PrintStoreReport(const StoreReport& report, bool rebuilt,
                      std::ostream& out);

// The columns of `ckm export profiles --format csv`, in order.
extern const std::vector<std::string> kExportColumns;

// One row (CSV) or object (JSON lines) per customer. Amounts are exact
// decimals of the customer's main currency (the one with most orders; ties
// by code), named in the `currency` column; times ISO 8601 without zone;
// empty (CSV) or null (JSON) where undefined.
// `progress`, if set, is called now and then with the rows written so far.
absl::Status ExportProfiles(
    const Store& store, bool jsonl, std::ostream& out,
    const ReadOptions& read = {},
    const std::function<void(std::int64_t)>& progress = {});

// The top `limit` customers (0: all) among those satisfying `where` (as of
// now_ms) by net_spend (in `currency`, default the most common one among
// them), orders, or recency (most recent purchase first; a purchase dated
// after now_ms counts as made at now_ms, so recency is never negative, and is
// flagged "dated in the future", ranking after a purchase made exactly at
// now_ms).
absl::Status PrintTop(const Store& store, const std::string& by,
                      std::size_t limit, std::string currency,
                      std::int64_t now_ms, const Predicate& where,
                      std::ostream& out);

}  // namespace ckm::tools

#endif  // CKM_TOOLS_REPORT_H_
