// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/forwards.h"

#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sync/names.h"

namespace ckm::sync {
namespace {

struct EntryFree {
  void operator()(kvEntry* e) const { kvEntry_Destroy(e); }
};

// Keys hold only [A-Za-z0-9_.=/-]: ids and change ids go in hex.
std::string ForwardPrefix(int partition) {
  return absl::StrCat("forward.", partition, ".");
}

std::string ChangeKey(const std::string& change_id, int partition) {
  return absl::StrCat("change.", partition, ".",
                      absl::BytesToHexString(change_id));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Forwards>> Forwards::Open(Connection& c,
                                                         const SyncOptions& o,
                                                         int partition) {
  std::unique_ptr<Forwards> f(new Forwards(partition));
  const std::string bucket = ForwardsBucket(o);
  natsStatus s = js_KeyValue(&f->kv_, c.js(), bucket.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = bucket.c_str();
    config.History = 1;
    config.Replicas = o.replicas;
    s = js_CreateKeyValue(&f->kv_, c.js(), &config);
  }
  if (s != NATS_OK) return FromNats(s, absl::StrCat("opening ", bucket));
  // The partition's forwards alone: the bucket also holds every handled
  // change's mark, and other partitions' forwards.
  kvWatchOptions watch;
  kvWatchOptions_Init(&watch);
  watch.IgnoreDeletes = true;
  kvWatcher* watcher = nullptr;
  const std::string prefix = ForwardPrefix(partition);
  const std::string pattern = prefix + "*";
  s = kvStore_Watch(&watcher, f->kv_, pattern.c_str(), &watch);
  for (;;) {
    kvEntry* raw = nullptr;
    if (s == NATS_OK) s = kvWatcher_Next(&raw, watcher, o.timeout_ms);
    std::unique_ptr<kvEntry, EntryFree> entry(raw);
    if (s != NATS_OK || entry == nullptr) break;  // nullptr: all read
    absl::string_view key = kvEntry_Key(entry.get());
    int target = 0;
    if (absl::ConsumePrefix(&key, prefix) &&
        absl::SimpleAtoi(kvEntry_ValueString(entry.get()), &target))
      f->targets_[absl::HexStringToBytes(key)] = target;
  }
  if (watcher != nullptr) kvWatcher_Destroy(watcher);
  if (s != NATS_OK) return FromNats(s, absl::StrCat("reading ", bucket));
  return f;
}

Forwards::~Forwards() {
  if (kv_ != nullptr) kvStore_Destroy(kv_);
}

std::string Forwards::Key(const std::string& customer_id) const {
  return absl::StrCat(ForwardPrefix(partition_),
                      absl::BytesToHexString(customer_id));
}

std::optional<int> Forwards::TargetOf(const std::string& customer_id) const {
  auto it = targets_.find(customer_id);
  if (it == targets_.end()) return std::nullopt;
  return it->second;
}

absl::Status Forwards::Start(const std::string& customer_id, int target) {
  const natsStatus s = kvStore_PutString(nullptr, kv_, Key(customer_id).c_str(),
                                         std::to_string(target).c_str());
  if (s != NATS_OK) return FromNats(s, "noting a forward");
  targets_[customer_id] = target;
  return absl::OkStatus();
}

absl::Status Forwards::Stop(const std::string& customer_id) {
  if (targets_.count(customer_id) == 0) return absl::OkStatus();
  const natsStatus s = kvStore_Delete(kv_, Key(customer_id).c_str());
  if (s != NATS_OK) return FromNats(s, "ending a forward");
  targets_.erase(customer_id);
  return absl::OkStatus();
}

absl::StatusOr<bool> Forwards::WasHandled(const std::string& change_id) const {
  kvEntry* raw = nullptr;
  const natsStatus s =
      kvStore_Get(&raw, kv_, ChangeKey(change_id, partition_).c_str());
  std::unique_ptr<kvEntry, EntryFree> entry(raw);
  if (s == NATS_NOT_FOUND) return false;
  if (s != NATS_OK) return FromNats(s, "reading handled changes");
  return true;
}

absl::Status Forwards::Handled(const std::string& change_id) {
  const natsStatus s = kvStore_PutString(
      nullptr, kv_, ChangeKey(change_id, partition_).c_str(), "1");
  return FromNats(s, "noting a handled change");
}

}  // namespace ckm::sync
