// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "report.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ckm/money.h"
#include "codec/json.h"  // the library's JSON writer
#include "timestamp.h"

namespace ckm::tools {
namespace {

std::string Quoted(std::string_view field) {
  if (field.find_first_of(",\"\n\r") == std::string_view::npos)
    return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

const CurrencyTotals* InCurrency(const PurchaseSummary& p,
                                 const std::string& code) {
  for (const CurrencyTotals& c : p.by_currency) {
    if (c.currency == code) return &c;
  }
  return nullptr;
}

}  // namespace

std::string CsvField(std::string_view field) { return Quoted(field); }

const std::vector<std::string> kExportColumns = {
    "customer_id",         "purchase_count",
    "line_count",          "total_spend",
    "gross_spend",         "returns_spend",
    "first_purchase_ts",   "last_purchase_ts",
    "distinct_products",   "cancel_invoice_count",
    "negative_line_count", "mean_interpurchase_days",
    "total_units",         "currency",
    "event_count",         "first_seen_ts",
    "last_seen_ts",        "largest_order",
    "interactions",        "nps",
    "loyalty_balance",     "loyalty_tier",
    "corrupt_operands",    "discount_spend"};

void PrintImportSummary(const ImportSummary& s, double seconds,
                        std::ostream& out) {
  out << "imported " << s.files << " file(s) in "
      << absl::StrFormat("%.1f", seconds) << " s: " << s.rows << " rows";
  if (seconds > 0)
    out << " (" << static_cast<std::int64_t>(s.rows / seconds) << " rows/s)";
  if (s.orders == s.events) {
    out << ", " << s.orders << " orders";
  } else {
    out << ", " << s.events << " events";
  }
  out << " of " << s.customers << " customers\n"
      << "  events recorded " << s.recorded << ", already recorded "
      << s.already_recorded << "\n"
      << "  rows skipped: " << s.rows_without_customer << " without a customer";
  if (s.bad_rows > 0 || !s.bad_row_reasons.empty())
    out << ", " << s.bad_rows << " malformed";
  out << "\n";
  for (const auto& [reason, count] : s.bad_row_reasons) {
    out << "    " << count << " x " << reason << "\n";
  }
}

void PrintEventLine(const Event& e, std::ostream& out) {
  out << FormatIsoSeconds(e.ts_ms) << "  " << ToString(e.kind()) << "  #"
      << e.id;
  if (!e.source.empty()) out << "  from " << e.source;
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Purchase>) {
          std::int64_t total = 0;
          for (const PurchaseLine& l : body.lines)
            total += l.quantity * l.unit_price_micros;
          if (body.lines.empty()) total = body.total_micros.value_or(0);
          out << "  order " << body.order_id << "  " << body.lines.size()
              << " line(s)  " << FormatMicros(total) << " " << body.currency;
        } else if constexpr (std::is_same_v<T, Interaction>) {
          out << "  " << ToString(body.kind) << " via "
              << ToString(body.channel);
          if (!body.topic.empty()) out << " about " << body.topic;
          if (body.rating) out << "  rating " << *body.rating;
        } else if constexpr (std::is_same_v<T, Loyalty>) {
          out << "  " << ToString(body.kind) << " " << body.points;
          if (!body.tier.empty()) out << " tier " << body.tier;
        } else if constexpr (std::is_same_v<T, Attribute>) {
          out << "  " << body.key << " = ";
          std::visit([&](const auto& v) { out << v; }, body.value);
        } else if constexpr (std::is_same_v<T, Consent>) {
          out << "  " << body.purpose
              << (body.granted ? " granted" : " withdrawn");
        } else if constexpr (std::is_same_v<T, Identity>) {
          out << "  " << ToString(body.type) << " " << body.value;
        }
      },
      e.body);
  out << "\n";
}

void PrintProducts(const std::vector<BreakdownEntry>& entries,
                   std::ostream& out) {
  out << "product,orders,units,returned_units,net,currency,first_purchase_ts,"
         "last_purchase_ts,"
         "mean_interval_days,next_purchase_ts\n";
  for (const BreakdownEntry& e : entries) {
    for (const BreakdownMoney& m : e.money) {
      const auto interval = e.mean_interval_ms();
      out << Quoted(e.key) << "," << e.orders << "," << e.units << ","
          << e.returned_units << "," << FormatMicros(m.net_micros()) << ","
          << m.currency << ","
          << (e.first_purchase_ms ? FormatIsoSeconds(*e.first_purchase_ms) : "")
          << ","
          << (e.last_purchase_ms ? FormatIsoSeconds(*e.last_purchase_ms) : "")
          << "," << (interval ? json::FormatDays(*interval) : "") << ","
          << (e.expected_next_purchase_ms()
                  ? FormatIsoSeconds(*e.expected_next_purchase_ms())
                  : "")
          << "\n";
    }
  }
}

void PrintStats(const StoreStats& s, std::ostream& out) {
  out << "customers           " << s.customers << "\n"
      << "purchase events     " << s.purchases << "\n"
      << "interaction events  " << s.interactions << "\n"
      << "loyalty events      " << s.loyalty << "\n"
      << "change events       " << s.changes << "\n"
      << "with breakdowns     " << s.customers_with_breakdowns << "\n"
      << "identities          " << s.identities << "\n"
      << "disk bytes          " << s.disk_bytes << "\n"
      << "memtable bytes      " << s.memtable_bytes << "\n"
      << "(counts are RocksDB estimates; exact after a compaction)\n";
}

void PrintCustomerReport(const CustomerReport& r, bool rebuilt,
                         std::ostream& out) {
  out << r.customer_id << ": " << (r.ok() ? "ok" : r.detail);
  if (r.corrupt_operands > 0)
    out << " (" << r.corrupt_operands << " corrupt operands)";
  if (r.corrupt_history > 0)
    out << " (" << r.corrupt_history << " corrupt history events)";
  if (rebuilt && !r.ok()) out << " -> rebuilt";
  out << "\n";
}

void PrintStoreReport(const StoreReport& r, bool rebuilt, std::ostream& out) {
  for (const CustomerReport& c : r.problems)
    PrintCustomerReport(c, rebuilt, out);
  out << r.customers << " customers, " << r.damaged
      << (rebuilt ? " rebuilt" : " damaged") << "\n";
}

absl::Status ExportProfiles(const Store& store, bool jsonl, std::ostream& out,
                            const ReadOptions& read,
                            const std::function<void(std::int64_t)>& progress) {
  std::int64_t rows = 0;
  if (!jsonl) {
    for (std::size_t i = 0; i < kExportColumns.size(); ++i) {
      out << (i ? "," : "") << kExportColumns[i];
    }
    out << "\n";
  }
  // Cells of one row; in JSON, amounts are strings (exact) and empty is null.
  enum class Kind { kText, kNumber, kAmount };
  std::vector<std::pair<std::string, Kind>> cells;
  cells.reserve(kExportColumns.size());
  const auto row = [&](const Profile& p) {
    const PurchaseSummary s = p.purchases();
    const CurrencyTotals* c = InCurrency(s, p.rfm(0).currency);  // main one
    const InteractionSummary i = p.interactions();
    const auto interval = p.mean_interpurchase_ms();
    const auto nps = p.nps();
    cells.clear();
    auto text = [&](std::string v) {
      cells.emplace_back(std::move(v), Kind::kText);
    };
    auto number = [&](std::string v) {
      cells.emplace_back(std::move(v), Kind::kNumber);
    };
    auto amount = [&](std::int64_t (*get)(const CurrencyTotals&)) {
      cells.emplace_back(c ? FormatMicros(get(*c)) : "", Kind::kAmount);
    };
    text(std::string(p.customer_id()));
    number(std::to_string(s.orders));
    number(std::to_string(s.lines));
    amount([](const CurrencyTotals& t) { return t.net_micros(); });
    amount([](const CurrencyTotals& t) { return t.gross_micros; });
    amount([](const CurrencyTotals& t) { return -t.returned_micros; });
    text(s.first_purchase_ms ? FormatIsoSeconds(*s.first_purchase_ms) : "");
    text(s.last_purchase_ms ? FormatIsoSeconds(*s.last_purchase_ms) : "");
    number(std::to_string(s.distinct_products));
    number(std::to_string(s.returns));
    number(std::to_string(s.returned_lines));
    number(interval ? json::FormatDays(*interval) : "");
    number(std::to_string(s.units - s.returned_units));
    text(c ? c->currency : "");
    number(std::to_string(p.event_count()));
    text(FormatIsoSeconds(p.first_seen_ms()));
    text(FormatIsoSeconds(p.last_seen_ms()));
    amount([](const CurrencyTotals& t) { return t.largest_order_micros; });
    number(std::to_string(i.count));
    number(nps ? absl::StrFormat("%.1f", *nps) : "");
    number(std::to_string(p.loyalty().balance()));
    text(p.loyalty().tier);
    number(std::to_string(p.corrupt_operands()));
    amount([](const CurrencyTotals& t) { return t.discount_micros; });
    if (jsonl) {
      json::Writer w;
      w.BeginObject();
      for (std::size_t j = 0; j < cells.size(); ++j) {
        const auto& [value, kind] = cells[j];
        w.Key(kExportColumns[j]);
        if (value.empty()) {
          w.Null();
        } else if (kind == Kind::kNumber) {
          w.Number(value);
        } else {
          w.String(value);
        }
      }
      w.EndObject();
      out << w.Take() << "\n";
    } else {
      for (std::size_t j = 0; j < cells.size(); ++j)
        out << (j ? "," : "") << Quoted(cells[j].first);
      out << "\n";
    }
    if (progress && (++rows & 0xfff) == 0) progress(rows);
    return static_cast<bool>(out);
  };
  return store.ForEachProfile(row, read);
}

namespace {

// " (12 days ago)", or " (dated in the future)" for a purchase after now.
std::string LastPurchaseAge(std::optional<std::int64_t> last_purchase_ms,
                            std::int64_t now_ms) {
  if (!last_purchase_ms) return "";
  if (*last_purchase_ms > now_ms) return " (dated in the future)";
  return absl::StrFormat(
      " (%.0f days ago)",
      static_cast<double>(now_ms - *last_purchase_ms) / 86'400'000.0);
}

}  // namespace

absl::Status PrintTop(const Store& store, const std::string& by,
                      std::size_t limit, std::string currency,
                      std::int64_t now_ms, const Predicate& where,
                      std::ostream& out) {
  if (by == "net_spend" && currency.empty()) {  // the most common currency
    std::map<std::string, std::int64_t> customers_per_currency;
    absl::Status s = store.ForEachProfile([&](const Profile& p) {
      if (!where.Matches(p, now_ms)) return true;
      for (const CurrencyTotals& c : p.purchases().by_currency)
        ++customers_per_currency[c.currency];
      return true;
    });
    if (!s.ok()) return s;
    for (const auto& [code, n] : customers_per_currency) {
      if (currency.empty() || n > customers_per_currency[currency])
        currency = code;
    }
  }
  struct Row {
    std::int64_t score;
    bool dated_in_future = false;  // ranks after others of the same score
    std::string customer;
    std::string line;
  };
  // Keep the best `limit` rows: a min-heap on (score, then dated in the
  // future last, then id descending).
  auto worse = [](const Row& a, const Row& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.dated_in_future != b.dated_in_future) return !a.dated_in_future;
    return a.customer < b.customer;
  };
  std::vector<Row> heap;
  absl::Status s = store.ForEachProfile([&](const Profile& p) {
    if (!where.Matches(p, now_ms)) return true;
    const PurchaseSummary ps = p.purchases();
    Row row;
    row.customer = std::string(p.customer_id());
    if (by == "orders") {
      row.score = ps.orders;
    } else if (by == "recency") {
      const std::optional<std::int64_t> recency = p.recency_ms(now_ms);
      if (!recency) return true;
      row.score = -*recency;  // never negative: see Profile::recency_ms
      row.dated_in_future = *ps.last_purchase_ms > now_ms;
    } else {
      const CurrencyTotals* c = InCurrency(ps, currency);
      if (c == nullptr) return true;
      row.score = c->net_micros();
    }
    const CurrencyTotals* main = by == "net_spend"
                                     ? InCurrency(ps, currency)
                                     : InCurrency(ps, p.rfm(0).currency);
    row.line = absl::StrCat(
        row.customer, "  orders ", ps.orders, "  net ",
        main ? absl::StrCat(FormatMicros(main->net_micros()), " ",
                            main->currency)
             : "-",
        "  last purchase ",
        ps.last_purchase_ms ? FormatIsoSeconds(*ps.last_purchase_ms) : "-",
        LastPurchaseAge(ps.last_purchase_ms, now_ms));
    heap.push_back(std::move(row));
    std::push_heap(heap.begin(), heap.end(), worse);
    if (limit != 0 && heap.size() > limit) {
      std::pop_heap(heap.begin(), heap.end(), worse);
      heap.pop_back();
    }
    return true;
  });
  if (!s.ok()) return s;
  std::sort_heap(heap.begin(), heap.end(), worse);
  std::size_t rank = 0;
  for (const Row& row : heap) out << ++rank << ". " << row.line << "\n";
  // Say why nothing was printed.
  const bool filtered = !where.ToString().empty();
  const std::string who =
      filtered ? "no customer satisfying --where " : "no customer ";
  if (heap.empty() && by == "net_spend" && !currency.empty()) {
    out << who << "has purchases in " << currency << "\n";
  } else if (heap.empty() && filtered) {
    out << (by == "orders" ? "no customer satisfies --where"
                           : who + "has purchases")
        << "\n";
  }
  return absl::OkStatus();
}

}  // namespace ckm::tools
