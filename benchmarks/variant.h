// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// One storage design under test. The driver (ckm_bench.cc) opens a variant in
// a fresh directory, feeds it the workload batch by batch, reads from it, and
// checks what it read against an in-memory fold of the same workload.
//
// Thread safety: IngestBatch() may be called from several threads at once only
// for variants whose concurrent_writes() is true; every other call is made
// from one thread.

#ifndef CKM_BENCHMARKS_VARIANT_H_
#define CKM_BENCHMARKS_VARIANT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "workload.h"

namespace ckm_bench {

// Every variant gets the same block cache (or page cache, for SQLite).
inline constexpr std::size_t kCacheBytes = std::size_t{64} << 20;

// What a profile says about a customer's purchases.
struct Totals {
  std::int64_t orders = 0;
  std::int64_t spend_micros = 0;
};

class Variant {
 public:
  virtual ~Variant() = default;

  // Whether Get() answers from a stored profile (false: it has none).
  virtual bool has_profiles() const = 0;
  virtual bool concurrent_writes() const { return false; }

  // Creates the store in `dir`, which does not exist yet.
  [[nodiscard]] virtual absl::Status Open(const std::string& dir) = 0;
  // Writes the orders: history plus profile, atomically, one batch.
  [[nodiscard]] virtual absl::Status IngestBatch(
      absl::Span<const Order> orders) = 0;
  // The customer's order count and spend from the stored profile; nullopt for
  // a customer with no profile. REQUIRES: has_profiles().
  [[nodiscard]] virtual absl::StatusOr<std::optional<Totals>> Get(
      std::uint64_t customer) = 0;
  // Reads (and decodes) the customer's 20 most recent purchases; returns how
  // many there were.
  [[nodiscard]] virtual absl::StatusOr<std::size_t> Recent20(
      std::uint64_t customer) = 0;
  // Called once after the last batch, timed as part of ingest: work a
  // variant defers past its last batch (ckm's breakdowns buffer) is counted
  // here, not left to Close(). Default: nothing to do.
  [[nodiscard]] virtual absl::Status Settle() { return absl::OkStatus(); }
  // Closes the store; afterwards only the files remain.
  [[nodiscard]] virtual absl::Status Close() = 0;
};

// The variants, in the order `--variant all` runs them. Not in the list, so
// only run when named: "rocksdb_merge_unbounded" (see variant_rocksdb.cc).
inline const std::vector<std::string>& VariantNames() {
  static const std::vector<std::string> names = {
      "ckm_buffered", "ckm_sync", "rocksdb_put", "rocksdb_merge", "sqlite"};
  return names;
}

std::unique_ptr<Variant> NewCkmVariant(bool sync);
std::unique_ptr<Variant> NewRocksDbPutVariant();
std::unique_ptr<Variant> NewRocksDbMergeVariant(bool bounded);
std::unique_ptr<Variant> NewSqliteVariant();

// nullptr for an unknown name.
inline std::unique_ptr<Variant> NewVariant(std::string_view name) {
  if (name == "ckm_buffered") return NewCkmVariant(false);
  if (name == "ckm_sync") return NewCkmVariant(true);
  if (name == "rocksdb_put") return NewRocksDbPutVariant();
  if (name == "rocksdb_merge") return NewRocksDbMergeVariant(true);
  if (name == "rocksdb_merge_unbounded") return NewRocksDbMergeVariant(false);
  if (name == "sqlite") return NewSqliteVariant();
  return nullptr;
}

// The event as bytes, for the variants that store it themselves: the same
// fields ckm stores (channel, store, currency, total, each line's SKU,
// category, quantity and unit price), strings length-prefixed, integers
// little-endian fixed width. The customer, time and id live in the key.
std::string EncodeOrderRecord(const Order& order);

// What a reader gets back from EncodeOrderRecord's bytes.
struct DecodedLine {
  std::string sku, category;
  std::int64_t quantity = 0, unit_price_micros = 0;
};
struct DecodedOrder {
  std::uint32_t channel = 0;
  std::string store, currency;
  std::int64_t total_micros = 0;
  std::vector<DecodedLine> lines;
};
// False if the bytes are malformed.
bool DecodeOrderRecord(std::string_view bytes, DecodedOrder* out);

}  // namespace ckm_bench

#endif  // CKM_BENCHMARKS_VARIANT_H_
