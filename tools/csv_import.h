// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What every CSV import shares, whatever kind of event it builds: files read
// row by row (plain or gzip), a header whose columns are found by --map or by
// name, errors that name file:line and column, every event checked with the
// store's own rules before anything is written, then recorded in batches.
// A kind of import says which fields it reads and turns rows into events
// (import.cc: purchases; import_events.cc: the other kinds).

#ifndef CKM_TOOLS_CSV_IMPORT_H_
#define CKM_TOOLS_CSV_IMPORT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ckm/event.h"
#include "ckm/store.h"
#include "import.h"

namespace ckm::tools {

// FNV-1a, 64 bits: stable across builds and platforms, unlike std::hash, so
// event ids stay the same from one import to the next.
class StableHash {
 public:
  StableHash& Add(std::string_view bytes);
  std::uint64_t value() const { return hash_ == 0 ? 1 : hash_; }  // non-zero

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

std::string_view Trim(std::string_view s);

class CsvImport {
 public:
  // `fields`: the names --map takes, in the order of the kind's field enum.
  CsvImport(Store& store, const ImportOptions& options,
            absl::Span<const char* const> fields);
  virtual ~CsvImport() = default;

  absl::StatusOr<ImportSummary> Run(const std::vector<std::string>& files);

 protected:
  // After the header's columns are found: the kind's required fields.
  virtual absl::Status CheckColumns(const std::string& path) = 0;
  // One data row, of the header's width.
  virtual absl::Status AddRow(const std::vector<std::string>& row,
                              const std::string& where) = 0;
  // Moves the events built into `events`, and the "file:line" of each one's
  // first row into `where`. By default: those given to AddEvent().
  virtual void TakeEvents(std::vector<Event>& events,
                          std::vector<std::string>& where);
  // How errors name a bad event, and how many rows it came from.
  virtual std::string Name(const Event& e) const;
  virtual std::int64_t RowsOf(const Event& /*e*/) const { return 1; }

  void AddEvent(Event e, std::string where);
  bool Has(int field) const { return column_of_[field] >= 0; }
  // The field's raw text in this row, or "" when the field is not mapped.
  std::string_view Get(const std::vector<std::string>& row, int field) const;
  // A malformed row: "file:line: column 'Name' (3): reason: \"value\"".
  absl::Status Bad(const std::string& where, int field, std::string_view reason,
                   std::string_view value);
  absl::Status MissingField(const std::string& path,
                            std::string_view field) const;
  // The field's time, with a hint when a date could be read either way.
  absl::StatusOr<std::int64_t> Time(const std::vector<std::string>& row,
                                    const std::string& where, int field);
  // The row's normalised customer id; "" (counted) when it has none.
  std::string Customer(const std::vector<std::string>& row, int field);
  // An id for the row's event: from `id_field` if mapped and not empty,
  // else from the row's content and how many identical rows came before, so
  // that identical rows stay separate events and a re-import matches them.
  std::uint64_t RowEventId(std::string_view kind, std::string_view customer,
                           const std::vector<std::string>& row, int id_field,
                           std::string_view id_tag = "id");

  Store& store_;
  const ImportOptions& options_;
  ImportSummary summary_;

 private:
  absl::Status ReadFile(const std::string& path);
  absl::Status MapColumns(const std::string& path,
                          const std::vector<std::string>& header);
  absl::Status CheckEvents(std::vector<Event>& events,
                           std::vector<std::string>& where);
  absl::Status RecordEvents(std::vector<Event>& events);
  absl::Status AfterWriting(const absl::Status& error,
                            std::string_view doing) const;

  absl::Span<const char* const> fields_;
  std::vector<int> column_of_;
  std::vector<std::string> header_;
  std::string reason_;  // short reason of the last bad row, for the summary
  std::vector<Event> events_;
  std::vector<std::string> where_;
  absl::flat_hash_map<std::string, std::int64_t> row_copies_;
};

}  // namespace ckm::tools

#endif  // CKM_TOOLS_CSV_IMPORT_H_
