// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The two plain-RocksDB variants, and the event record they store.
//
//   rocksdb_put    the ceiling: one Put per event of the same event record,
//                  no profile at all.
//   rocksdb_merge  what a C++ developer would write by hand in an afternoon:
//                  the same history Puts plus one Merge per event into a small
//                  aggregate profile (count, spend, first/last time, per
//                  channel, per category), folded by an
//                  AssociativeMergeOperator, with max_successive_merges = 16
//                  (ckm's default bound) so that Get does not fold thousands
//                  of operands for a hot customer.
//   rocksdb_merge_unbounded
//                  the same without max_successive_merges: RocksDB's default,
//                  and what the afternoon version really looks like. A hot
//                  customer's Get then folds every operand still in the
//                  memtable (seconds per read); run it only in the depth sweep
//                  or explicitly.
//
// Both share ckm's engine settings that are not about profiles, so that the
// comparison measures the profile and not the tuning: a 64 MiB LRU block cache
// holding index and filter blocks too, 10-bit bloom filters, no compression,
// the write-ahead log on and not synced (ckm's kBuffered). Everything else is
// RocksDB's default (64 MiB memtable, 2 background jobs).

#include <array>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "variant.h"

namespace ckm_bench {
namespace {

void PutFixed64(std::string* out, std::uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);  // little-endian on every machine we run on
  out->append(buf, 8);
}
void PutBigEndian64(std::string* out, std::uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  out->append(buf, 8);
}
void PutString(std::string* out, std::string_view s) {
  out->push_back(static_cast<char>(s.size()));  // all strings here are short
  out->append(s.data(), s.size());
}

bool GetFixed64(std::string_view* in, std::uint64_t* v) {
  if (in->size() < 8) return false;
  std::memcpy(v, in->data(), 8);
  in->remove_prefix(8);
  return true;
}
bool GetString(std::string_view* in, std::string* s) {
  if (in->empty()) return false;
  const std::size_t n = static_cast<unsigned char>((*in)[0]);
  if (in->size() < 1 + n) return false;
  s->assign(in->data() + 1, n);
  in->remove_prefix(1 + n);
  return true;
}

// customer 0x00, so that one customer's keys share a prefix that no other
// customer's key starts with.
std::string CustomerPrefix(std::uint64_t customer) {
  std::string key = CustomerName(customer);
  key.push_back('\0');
  return key;
}

// customer 0x00 be64(ts) be64(id): a customer's events in time order. The
// workload's times are positive, so the sign needs no care here.
std::string HistoryKey(const Order& order) {
  std::string key = CustomerPrefix(order.customer);
  PutBigEndian64(&key, static_cast<std::uint64_t>(order.ts_ms));
  PutBigEndian64(&key, order.id);
  return key;
}

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(std::string(what) + ": " + s.ToString());
}

rocksdb::Options BaseOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.compression = rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(kCacheBytes);
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Reads the customer's newest 20 history records from `cf` and decodes them.
absl::StatusOr<std::size_t> ReadRecent20(rocksdb::DB* db,
                                         rocksdb::ColumnFamilyHandle* cf,
                                         std::uint64_t customer) {
  const std::string lower = CustomerPrefix(customer);
  std::string upper = lower;
  upper.back() = '\x01';
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_lower_bound = &lower_slice;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, cf));
  std::size_t n = 0;
  DecodedOrder order;
  for (it->SeekToLast(); it->Valid() && n < 20; it->Prev()) {
    const rocksdb::Slice value = it->value();
    if (!DecodeOrderRecord(std::string_view(value.data(), value.size()),
                           &order)) {
      return absl::DataLossError("undecodable history record");
    }
    ++n;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "iterator");
  return n;
}

class RocksDbPutVariant final : public Variant {
 public:
  bool has_profiles() const override { return false; }

  absl::Status Open(const std::string& dir) override {
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(BaseOptions(), dir, &db);
    db_.reset(db);
    return FromRocks(s, "open");
  }

  absl::Status IngestBatch(absl::Span<const Order> orders) override {
    rocksdb::WriteBatch batch;
    for (const Order& order : orders) {
      rocksdb::Status s =
          batch.Put(HistoryKey(order), EncodeOrderRecord(order));
      if (!s.ok()) return FromRocks(s, "batch");
    }
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "write");
  }

  absl::StatusOr<std::optional<Totals>> Get(std::uint64_t) override {
    return absl::UnimplementedError("rocksdb_put keeps no profile");
  }

  absl::StatusOr<std::size_t> Recent20(std::uint64_t customer) override {
    return ReadRecent20(db_.get(), db_->DefaultColumnFamily(), customer);
  }

  absl::Status Close() override {
    rocksdb::Status s = db_->Close();
    db_.reset();
    return FromRocks(s, "close");
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

// --- The hand-written profile and its merge operator -----------------------

constexpr int kProfileChannels = 5;

struct HandProfile {
  std::int64_t count = 0;
  std::int64_t spend_micros = 0;
  std::int64_t first_ms = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ms = std::numeric_limits<std::int64_t>::min();
  std::array<std::int64_t, kProfileChannels> channel_count{};
  std::array<std::int64_t, kProfileChannels> channel_spend{};
  struct Category {
    std::int64_t lines = 0;
    std::int64_t spend_micros = 0;
  };
  std::map<std::string, Category> categories;

  void Add(const HandProfile& other) {
    count += other.count;
    spend_micros += other.spend_micros;
    first_ms = std::min(first_ms, other.first_ms);
    last_ms = std::max(last_ms, other.last_ms);
    for (int c = 0; c < kProfileChannels; ++c) {
      channel_count[c] += other.channel_count[c];
      channel_spend[c] += other.channel_spend[c];
    }
    for (const auto& [name, stats] : other.categories) {
      Category& mine = categories[name];
      mine.lines += stats.lines;
      mine.spend_micros += stats.spend_micros;
    }
  }

  std::string Encode() const {
    std::string out;
    out.reserve(16 * 8 + categories.size() * 24);
    for (std::int64_t v : {count, spend_micros, first_ms, last_ms}) {
      PutFixed64(&out, static_cast<std::uint64_t>(v));
    }
    for (int c = 0; c < kProfileChannels; ++c) {
      PutFixed64(&out, static_cast<std::uint64_t>(channel_count[c]));
      PutFixed64(&out, static_cast<std::uint64_t>(channel_spend[c]));
    }
    PutFixed64(&out, categories.size());
    for (const auto& [name, stats] : categories) {
      PutString(&out, name);
      PutFixed64(&out, static_cast<std::uint64_t>(stats.lines));
      PutFixed64(&out, static_cast<std::uint64_t>(stats.spend_micros));
    }
    return out;
  }

  bool Decode(std::string_view in) {
    std::uint64_t v[4 + 2 * kProfileChannels + 1];
    for (std::uint64_t& x : v) {
      if (!GetFixed64(&in, &x)) return false;
    }
    count = static_cast<std::int64_t>(v[0]);
    spend_micros = static_cast<std::int64_t>(v[1]);
    first_ms = static_cast<std::int64_t>(v[2]);
    last_ms = static_cast<std::int64_t>(v[3]);
    for (int c = 0; c < kProfileChannels; ++c) {
      channel_count[c] = static_cast<std::int64_t>(v[4 + 2 * c]);
      channel_spend[c] = static_cast<std::int64_t>(v[5 + 2 * c]);
    }
    categories.clear();
    for (std::uint64_t i = 0; i < v[4 + 2 * kProfileChannels]; ++i) {
      std::string name;
      std::uint64_t lines, spend;
      if (!GetString(&in, &name) || !GetFixed64(&in, &lines) ||
          !GetFixed64(&in, &spend)) {
        return false;
      }
      categories[name] = {static_cast<std::int64_t>(lines),
                          static_cast<std::int64_t>(spend)};
    }
    return in.empty();
  }

  static HandProfile Of(const Order& order) {
    HandProfile p;
    p.count = 1;
    p.spend_micros = order.total_micros();
    p.first_ms = p.last_ms = order.ts_ms;
    p.channel_count[order.channel % kProfileChannels] = 1;
    p.channel_spend[order.channel % kProfileChannels] = p.spend_micros;
    for (std::uint32_t i = 0; i < order.line_count; ++i) {
      Category& c =
          p.categories["cat" + std::to_string(order.lines[i].category)];
      c.lines += 1;
      c.spend_micros +=
          order.lines[i].quantity * order.lines[i].unit_price_micros;
    }
    return p;
  }
};

class HandProfileMerge final : public rocksdb::AssociativeMergeOperator {
 public:
  const char* Name() const override { return "bench.HandProfileMerge"; }
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger*) const override {
    HandProfile sum;
    if (existing_value != nullptr &&
        !sum.Decode(
            std::string_view(existing_value->data(), existing_value->size()))) {
      return false;
    }
    HandProfile operand;
    if (!operand.Decode(std::string_view(value.data(), value.size()))) {
      return false;
    }
    sum.Add(operand);
    *new_value = sum.Encode();
    return true;
  }
};

class RocksDbMergeVariant final : public Variant {
 public:
  explicit RocksDbMergeVariant(std::size_t max_successive_merges)
      : max_successive_merges_(max_successive_merges) {}

  bool has_profiles() const override { return true; }

  absl::Status Open(const std::string& dir) override {
    rocksdb::Options options = BaseOptions();
    rocksdb::ColumnFamilyOptions profiles = options;
    profiles.merge_operator = std::make_shared<HandProfileMerge>();
    profiles.max_successive_merges = max_successive_merges_;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
        {rocksdb::kDefaultColumnFamilyName, options}, {"profiles", profiles}};
    rocksdb::DB* db = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::Status s =
        rocksdb::DB::Open(options, dir, descriptors, &handles, &db);
    if (!s.ok()) return FromRocks(s, "open");
    db_.reset(db);
    history_ = handles[0];
    profiles_ = handles[1];
    return absl::OkStatus();
  }

  absl::Status IngestBatch(absl::Span<const Order> orders) override {
    rocksdb::WriteBatch batch;
    for (const Order& order : orders) {
      rocksdb::Status s =
          batch.Put(history_, HistoryKey(order), EncodeOrderRecord(order));
      if (s.ok()) {
        s = batch.Merge(profiles_, CustomerName(order.customer),
                        HandProfile::Of(order).Encode());
      }
      if (!s.ok()) return FromRocks(s, "batch");
    }
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "write");
  }

  absl::StatusOr<std::optional<Totals>> Get(std::uint64_t customer) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), profiles_,
                                 CustomerName(customer), &value);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) return FromRocks(s, "get");
    HandProfile profile;
    if (!profile.Decode(value)) return absl::DataLossError("bad profile");
    return Totals{profile.count, profile.spend_micros};
  }

  absl::StatusOr<std::size_t> Recent20(std::uint64_t customer) override {
    return ReadRecent20(db_.get(), history_, customer);
  }

  absl::Status Close() override {
    for (rocksdb::ColumnFamilyHandle** handle : {&history_, &profiles_}) {
      rocksdb::Status s = db_->DestroyColumnFamilyHandle(*handle);
      *handle = nullptr;
      if (!s.ok()) return FromRocks(s, "close");
    }
    rocksdb::Status s = db_->Close();
    db_.reset();
    return FromRocks(s, "close");
  }

 private:
  const std::size_t max_successive_merges_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* history_ = nullptr;  // the default CF
  rocksdb::ColumnFamilyHandle* profiles_ = nullptr;
};

}  // namespace

std::string EncodeOrderRecord(const Order& order) {
  std::string out;
  out.reserve(32 + order.line_count * 32);
  out.push_back(static_cast<char>(order.channel));
  PutString(&out, "s" + std::to_string(order.store));
  PutString(&out, "GBP");
  PutFixed64(&out, static_cast<std::uint64_t>(order.total_micros()));
  out.push_back(static_cast<char>(order.line_count));
  for (std::uint32_t i = 0; i < order.line_count; ++i) {
    const OrderLine& line = order.lines[i];
    PutString(&out, "p" + std::to_string(line.product));
    PutString(&out, "cat" + std::to_string(line.category));
    PutFixed64(&out, static_cast<std::uint64_t>(line.quantity));
    PutFixed64(&out, static_cast<std::uint64_t>(line.unit_price_micros));
  }
  return out;
}

bool DecodeOrderRecord(std::string_view in, DecodedOrder* out) {
  if (in.empty()) return false;
  out->channel = static_cast<unsigned char>(in[0]);
  in.remove_prefix(1);
  std::uint64_t total;
  if (!GetString(&in, &out->store) || !GetString(&in, &out->currency) ||
      !GetFixed64(&in, &total) || in.empty()) {
    return false;
  }
  out->total_micros = static_cast<std::int64_t>(total);
  const std::size_t lines = static_cast<unsigned char>(in[0]);
  in.remove_prefix(1);
  out->lines.resize(lines);
  for (DecodedLine& line : out->lines) {
    std::uint64_t quantity, price;
    if (!GetString(&in, &line.sku) || !GetString(&in, &line.category) ||
        !GetFixed64(&in, &quantity) || !GetFixed64(&in, &price)) {
      return false;
    }
    line.quantity = static_cast<std::int64_t>(quantity);
    line.unit_price_micros = static_cast<std::int64_t>(price);
  }
  return in.empty();
}

std::unique_ptr<Variant> NewRocksDbPutVariant() {
  return std::make_unique<RocksDbPutVariant>();
}
std::unique_ptr<Variant> NewRocksDbMergeVariant(bool bounded) {
  return std::make_unique<RocksDbMergeVariant>(bounded ? 16 : 0);
}

}  // namespace ckm_bench
