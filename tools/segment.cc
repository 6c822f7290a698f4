// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "segment.h"

#include "absl/strings/str_cat.h"
#include "codec/json.h"  // the library's JSON writer
#include "report.h"

namespace ckm::tools {
namespace {

// "where, column 3: ..." -> "--where, column 3: ...".
absl::Status AsFlag(const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat("--", status.message()));
}

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::vector<std::string> SplitFigures(std::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  char quote = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(Trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(Trim(text.substr(start)));
  return out;
}

absl::StatusOr<SegmentQuery> SegmentQueryOf(const SegmentFlags& flags) {
  SegmentQuery q;
  absl::StatusOr<Predicate> where = Predicate::Parse(flags.where);
  if (!where.ok()) return AsFlag(where.status());
  q.where = *std::move(where);
  if (!flags.sort.empty()) {
    absl::StatusOr<SortOrder> sort = SortOrder::Parse(flags.sort);
    if (!sort.ok()) return AsFlag(sort.status());
    q.sort = *std::move(sort);
  }
  if (!flags.columns.empty()) {
    for (const std::string& text : SplitFigures(flags.columns)) {
      absl::StatusOr<Figure> figure = Figure::Parse(text);
      if (!figure.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--columns: ", figure.status().message()));
      }
      q.columns.push_back(*std::move(figure));
    }
  } else {  // what the query reads: --sort's figure, then --where's
    std::vector<Figure> figures;
    if (q.sort) figures.push_back(q.sort->figure);
    for (Figure& f : q.where.figures()) figures.push_back(std::move(f));
    for (Figure& f : figures) {
      bool seen = f.ToString() == "customer_id";
      for (const Figure& c : q.columns) seen |= c.ToString() == f.ToString();
      if (!seen) q.columns.push_back(std::move(f));
    }
  }
  q.now_ms = flags.now_ms;
  q.limit = flags.limit;
  q.cursor = flags.cursor;
  return q;
}

void PrintSegment(const SegmentQuery& query, const SegmentPage& page,
                  bool jsonl, std::ostream& out) {
  std::vector<std::string> names = {"customer_id"};
  for (const Figure& f : query.columns) names.push_back(f.ToString());
  if (!jsonl) {
    for (std::size_t i = 0; i < names.size(); ++i)
      out << (i ? "," : "") << CsvField(names[i]);
    out << "\n";
  }
  for (const SegmentRow& row : page.rows) {
    if (!jsonl) {
      out << CsvField(row.customer_id);
      for (const SegmentValue& v : row.values)
        out << "," << CsvField(v.ToString());
      out << "\n";
      continue;
    }
    json::Writer w;
    w.BeginObject().Key("customer_id").String(row.customer_id);
    for (std::size_t i = 0; i < row.values.size(); ++i) {
      const SegmentValue& v = row.values[i];
      w.Key(names[i + 1]);
      switch (v.type) {
        case SegmentValue::Type::kNone:
          w.Null();
          break;
        case SegmentValue::Type::kText:
          w.String(v.text);
          break;
        case SegmentValue::Type::kBool:
          w.Bool(v.boolean);
          break;
        case SegmentValue::Type::kNumber:
          // Amounts as strings, so that they stay exact.
          if (v.unit == SegmentValue::Unit::kMoney) {
            w.String(v.ToString());
          } else {
            w.Number(v.ToString());
          }
          break;
      }
    }
    w.EndObject();
    out << w.Take() << "\n";
  }
}

}  // namespace ckm::tools
