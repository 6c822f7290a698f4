// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// SQLite, as most developers would set it up for this job: WAL journal,
// synchronous=NORMAL (commits are not fsynced, like ckm's kBuffered), a
// 64 MiB page cache, prepared statements, one transaction per batch. Each
// event is an INSERT into `events` (lines as a blob in the same record format
// the RocksDB variants store), an UPSERT into `profiles` and one UPSERT per
// line into `profile_categories`.

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "variant.h"

namespace ckm_bench {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  customer TEXT NOT NULL,
  ts INTEGER NOT NULL,
  channel INTEGER NOT NULL,
  store TEXT NOT NULL,
  currency TEXT NOT NULL,
  total INTEGER NOT NULL,
  record BLOB NOT NULL);
CREATE INDEX events_by_customer ON events(customer, ts, id);
CREATE TABLE profiles(
  customer TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  spend INTEGER NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL);
CREATE TABLE profile_categories(
  customer TEXT NOT NULL,
  category TEXT NOT NULL,
  count INTEGER NOT NULL,
  spend INTEGER NOT NULL,
  PRIMARY KEY(customer, category));
)sql";

constexpr char kInsertEvent[] =
    "INSERT INTO events(id, customer, ts, channel, store, currency, total, "
    "record) VALUES(?1, ?2, ?3, ?4, ?5, 'GBP', ?6, ?7)";
constexpr char kUpsertProfile[] =
    "INSERT INTO profiles(customer, count, spend, first_ts, last_ts) "
    "VALUES(?1, 1, ?2, ?3, ?3) ON CONFLICT(customer) DO UPDATE SET "
    "count = count + 1, spend = spend + excluded.spend, "
    "first_ts = min(first_ts, excluded.first_ts), "
    "last_ts = max(last_ts, excluded.last_ts)";
constexpr char kUpsertCategory[] =
    "INSERT INTO profile_categories(customer, category, count, spend) "
    "VALUES(?1, ?2, 1, ?3) ON CONFLICT(customer, category) DO UPDATE SET "
    "count = count + 1, spend = spend + excluded.spend";
constexpr char kSelectProfile[] =
    "SELECT count, spend FROM profiles WHERE customer = ?1";
constexpr char kSelectRecent[] =
    "SELECT id, ts, channel, store, currency, total, record FROM events "
    "WHERE customer = ?1 ORDER BY ts DESC, id DESC LIMIT 20";

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

class SqliteVariant final : public Variant {
 public:
  ~SqliteVariant() override { (void)Close(); }

  bool has_profiles() const override { return true; }

  absl::Status Open(const std::string& dir) override {
    std::error_code ec;
    if (!std::filesystem::create_directories(dir, ec) && ec) {
      return absl::UnavailableError("mkdir " + dir + ": " + ec.message());
    }
    if (sqlite3_open((dir + "/bench.sqlite").c_str(), &db_) != SQLITE_OK) {
      return Error("open");
    }
    for (const char* sql :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
          "PRAGMA cache_size=-65536", kSchema}) {
      if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
        return Error(sql);
      }
    }
    for (auto [sql, out] : {std::pair{kInsertEvent, &insert_event_},
                            std::pair{kUpsertProfile, &upsert_profile_},
                            std::pair{kUpsertCategory, &upsert_category_},
                            std::pair{kSelectProfile, &select_profile_},
                            std::pair{kSelectRecent, &select_recent_}}) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
        return Error(sql);
      }
      out->reset(stmt);
    }
    return absl::OkStatus();
  }

  absl::Status IngestBatch(absl::Span<const Order> orders) override {
    if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return Error("BEGIN");
    }
    for (const Order& order : orders) {
      const std::string customer = CustomerName(order.customer);
      const std::string store = "s" + std::to_string(order.store);
      const std::string record = EncodeOrderRecord(order);
      const std::int64_t total = order.total_micros();
      sqlite3_stmt* s = insert_event_.get();
      sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(order.id));
      sqlite3_bind_text(s, 2, customer.data(),
                        static_cast<int>(customer.size()), SQLITE_STATIC);
      sqlite3_bind_int64(s, 3, order.ts_ms);
      sqlite3_bind_int(s, 4, static_cast<int>(order.channel));
      sqlite3_bind_text(s, 5, store.data(), static_cast<int>(store.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(s, 6, total);
      sqlite3_bind_blob(s, 7, record.data(), static_cast<int>(record.size()),
                        SQLITE_STATIC);
      if (absl::Status st = Step(s, "insert event"); !st.ok()) return st;

      s = upsert_profile_.get();
      sqlite3_bind_text(s, 1, customer.data(),
                        static_cast<int>(customer.size()), SQLITE_STATIC);
      sqlite3_bind_int64(s, 2, total);
      sqlite3_bind_int64(s, 3, order.ts_ms);
      if (absl::Status st = Step(s, "upsert profile"); !st.ok()) return st;

      for (std::uint32_t i = 0; i < order.line_count; ++i) {
        const OrderLine& line = order.lines[i];
        const std::string category = "cat" + std::to_string(line.category);
        s = upsert_category_.get();
        sqlite3_bind_text(s, 1, customer.data(),
                          static_cast<int>(customer.size()), SQLITE_STATIC);
        sqlite3_bind_text(s, 2, category.data(),
                          static_cast<int>(category.size()), SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, line.quantity * line.unit_price_micros);
        if (absl::Status st = Step(s, "upsert category"); !st.ok()) return st;
      }
    }
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return Error("COMMIT");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<Totals>> Get(std::uint64_t customer) override {
    const std::string name = CustomerName(customer);
    sqlite3_stmt* s = select_profile_.get();
    sqlite3_bind_text(s, 1, name.data(), static_cast<int>(name.size()),
                      SQLITE_STATIC);
    const int rc = sqlite3_step(s);
    std::optional<Totals> totals;
    if (rc == SQLITE_ROW) {
      totals = Totals{sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1)};
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("select profile");
    return totals;
  }

  absl::StatusOr<std::size_t> Recent20(std::uint64_t customer) override {
    const std::string name = CustomerName(customer);
    sqlite3_stmt* s = select_recent_.get();
    sqlite3_bind_text(s, 1, name.data(), static_cast<int>(name.size()),
                      SQLITE_STATIC);
    std::size_t n = 0;
    int rc;
    DecodedOrder order;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      // Materialise the row as a reader would.
      order.channel = static_cast<std::uint32_t>(sqlite3_column_int(s, 2));
      order.store.assign(
          reinterpret_cast<const char*>(sqlite3_column_text(s, 3)),
          static_cast<std::size_t>(sqlite3_column_bytes(s, 3)));
      order.currency.assign(
          reinterpret_cast<const char*>(sqlite3_column_text(s, 4)),
          static_cast<std::size_t>(sqlite3_column_bytes(s, 4)));
      const char* blob = static_cast<const char*>(sqlite3_column_blob(s, 6));
      if (!DecodeOrderRecord(
              std::string_view(
                  blob, static_cast<std::size_t>(sqlite3_column_bytes(s, 6))),
              &order)) {
        sqlite3_reset(s);
        return absl::DataLossError("undecodable event record");
      }
      ++n;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return Error("select recent");
    return n;
  }

  absl::Status Close() override {
    for (Statement* s : {&insert_event_, &upsert_profile_, &upsert_category_,
                         &select_profile_, &select_recent_}) {
      s->reset();
    }
    if (db_ != nullptr) {
      const int rc = sqlite3_close(db_);
      db_ = nullptr;
      if (rc != SQLITE_OK) return absl::InternalError("sqlite3_close failed");
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InternalError(std::string(what) + ": " +
                               (db_ ? sqlite3_errmsg(db_) : "no database"));
  }
  absl::Status Step(sqlite3_stmt* s, std::string_view what) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return Error(what);
    return absl::OkStatus();
  }

  sqlite3* db_ = nullptr;
  Statement insert_event_, upsert_profile_, upsert_category_, select_profile_,
      select_recent_;
};

}  // namespace

std::unique_ptr<Variant> NewSqliteVariant() {
  return std::make_unique<SqliteVariant>();
}

}  // namespace ckm_bench
