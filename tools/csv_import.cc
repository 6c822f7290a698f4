// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "csv_import.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ckm/validate.h"
#include "csv.h"
#include "quote.h"
#include "timestamp.h"

namespace ckm::tools {
namespace {

absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

StableHash& StableHash::Add(std::string_view bytes) {
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

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

CsvImport::CsvImport(Store& store, const ImportOptions& options,
                     absl::Span<const char* const> fields)
    : store_(store),
      options_(options),
      fields_(fields),
      column_of_(fields.size(), -1) {}

absl::StatusOr<ImportSummary> CsvImport::Run(
    const std::vector<std::string>& files) {
  for (const std::string& file : files) {
    if (absl::Status s = ReadFile(file); !s.ok()) return s;
    ++summary_.files;
  }
  std::vector<Event> events;
  std::vector<std::string> where;
  TakeEvents(events, where);
  absl::flat_hash_set<std::string_view> customers;
  for (const Event& e : events) customers.insert(e.customer.id);
  summary_.customers = static_cast<std::int64_t>(customers.size());
  if (absl::Status s = CheckEvents(events, where); !s.ok()) return s;
  if (absl::Status s = RecordEvents(events); !s.ok()) return s;
  return summary_;
}

void CsvImport::TakeEvents(std::vector<Event>& events,
                           std::vector<std::string>& where) {
  events = std::move(events_);
  where = std::move(where_);
}

std::string CsvImport::Name(const Event& e) const {
  return absl::StrCat(Av(ToString(e.kind())), " of ",
                      QuoteForError(e.customer.id));
}

void CsvImport::AddEvent(Event e, std::string where) {
  events_.push_back(std::move(e));
  where_.push_back(std::move(where));
}

absl::Status CsvImport::ReadFile(const std::string& path) {
  absl::StatusOr<CsvReader> reader = CsvReader::Open(path, options_.delimiter);
  if (!reader.ok()) return reader.status();
  std::vector<std::string> fields;
  absl::StatusOr<bool> more = reader->Next(fields);
  if (!more.ok()) return more.status();
  if (!*more) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": empty file, no header"));
  }
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
    absl::Status s;
    if (fields.size() != header_.size()) {
      reason_ = "wrong number of fields";
      s = absl::InvalidArgumentError(absl::StrCat(where, ": ", fields.size(),
                                                  " fields, the header has ",
                                                  header_.size()));
    } else {
      s = AddRow(fields, where);
    }
    if (!s.ok()) {
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

absl::Status CsvImport::MapColumns(const std::string& path,
                                   const std::vector<std::string>& header) {
  std::fill(column_of_.begin(), column_of_.end(), -1);
  for (std::size_t f = 0; f < fields_.size(); ++f) {
    const std::string field = fields_[f];
    auto mapped = options_.columns.find(field);
    for (std::size_t c = 0; c < header.size(); ++c) {
      const bool match =
          mapped != options_.columns.end()
              ? header[c] == mapped->second
              : absl::EqualsIgnoreCase(Av(Trim(header[c])), Av(field));
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
  return CheckColumns(path);
}

std::string_view CsvImport::Get(const std::vector<std::string>& row,
                                int field) const {
  const int c = column_of_[field];
  return c >= 0 && c < static_cast<int>(row.size()) ? std::string_view(row[c])
                                                    : std::string_view();
}

absl::Status CsvImport::Bad(const std::string& where, int field,
                            std::string_view reason, std::string_view value) {
  reason_ = absl::StrCat(fields_[field], ": ", Av(reason));
  return absl::InvalidArgumentError(absl::StrCat(
      where, ": column '", header_[column_of_[field]], "' (",
      column_of_[field] + 1, "): ", Av(reason), ": ", QuoteForError(value)));
}

absl::Status CsvImport::MissingField(const std::string& path,
                                     std::string_view field) const {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": no column for ", Av(field), "; name it with --map ",
                   Av(field), "=COLUMN"));
}

absl::StatusOr<std::int64_t> CsvImport::Time(
    const std::vector<std::string>& row, const std::string& where, int field) {
  const std::string_view text = Trim(Get(row, field));
  absl::StatusOr<std::int64_t> ts =
      ParseTimestamp(text, options_.time_format, options_.date_order);
  if (ts.ok()) return ts;
  // Readable both ways round: say how to choose rather than just "bad".
  if (options_.time_format.empty() &&
      ParseTimestamp(text, {}, DateOrder::kDayFirst).ok() &&
      ParseTimestamp(text, {}, DateOrder::kMonthFirst).ok()) {
    return Bad(where, field,
               "ambiguous day/month date; say which comes first with "
               "--date-order dmy or mdy, or give --time-format",
               text);
  }
  return Bad(where, field, "not a date/time", text);
}

std::string CsvImport::Customer(const std::vector<std::string>& row,
                                int field) {
  std::string customer = NormalizeCustomerId(Get(row, field));
  if (customer.empty()) ++summary_.rows_without_customer;
  return customer;
}

std::uint64_t CsvImport::RowEventId(std::string_view kind,
                                    std::string_view customer,
                                    const std::vector<std::string>& row,
                                    int id_field, std::string_view id_tag) {
  StableHash id;
  id.Add(absl::StrCat("ckm.import.", Av(kind), ".v1")).Add(customer);
  if (id_field >= 0 && Has(id_field) && !Trim(Get(row, id_field)).empty()) {
    id.Add(id_tag).Add(Trim(Get(row, id_field)));
    return id.value();
  }
  std::string content;
  for (const std::string& field : row)
    absl::StrAppend(&content, field, absl::string_view("\0", 1));
  const std::int64_t copy = row_copies_[content]++;
  id.Add("row").Add(content).Add(std::to_string(copy));
  return id.value();
}

// Checks every event with the store's own rules before anything is written,
// so that a bad value cannot stop the import half-way. The first bad event
// is an error at its first row; with skip_bad_rows, bad events are dropped
// and their rows counted.
absl::Status CsvImport::CheckEvents(std::vector<Event>& events,
                                    std::vector<std::string>& where) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (absl::Status s = Validate(events[i]); !s.ok()) {
      // "events[0].purchase.lines[2].sku: why" -> "purchase.lines[2].sku..."
      const std::string message(s.message());
      const std::string detail = message.substr(message.find("].") + 2);
      if (!options_.skip_bad_rows) {
        return absl::InvalidArgumentError(
            absl::StrCat(where[i], ": ", Name(events[i]), ": ", detail));
      }
      const std::int64_t rows = RowsOf(events[i]);
      summary_.bad_rows += rows;
      summary_.bad_row_reasons[detail.substr(0, detail.find(':'))] += rows;
      continue;
    }
    if (kept != i) {
      events[kept] = std::move(events[i]);
      where[kept] = std::move(where[i]);
    }
    ++kept;
  }
  events.resize(kept);
  summary_.events = static_cast<std::int64_t>(kept);
  return absl::OkStatus();
}

// Records the (valid) events in batches, then flushes if the writes were
// not durable. Each batch's events are freed once recorded, so that the
// memory of the events goes as the store's grows. An error here (I/O, a
// full disk) can come after some batches were written, so it says how
// many, and that running the import again is safe.
absl::Status CsvImport::RecordEvents(std::vector<Event>& events) {
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

absl::Status CsvImport::AfterWriting(const absl::Status& error,
                                     std::string_view doing) const {
  return absl::Status(
      error.code(),
      absl::StrCat(
          Av(doing), ": ", error.message(), "; ", summary_.recorded,
          " events of this import were recorded before the error (",
          summary_.already_recorded, " were already recorded) and ",
          summary_.events - summary_.recorded - summary_.already_recorded,
          " were not; running the import again is safe: it records only "
          "what is missing, never an event twice"));
}

}  // namespace ckm::tools
