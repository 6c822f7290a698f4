// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/recovery_listener.h"

namespace ckm::storage {
namespace {

class NoAutoRecovery final : public rocksdb::EventListener {
 public:
  const char* Name() const override { return "ckm.NoAutoRecovery"; }
  // Called before RocksDB starts recovering from a background error that it
  // could recover from by itself (a full disk). A hard error stops writes,
  // and its recovery holds Resume() off (Busy) until it ends, which on a
  // disk that stays full it never does: the store resumes at its next write
  // instead (engine/access.cc). A soft error (a compaction that found no
  // space) does not stop writes, and Resume() would leave it set, so only
  // RocksDB's own recovery clears it: that one goes ahead.
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/,
                            rocksdb::Status bg_error,
                            bool* auto_recovery) override {
    if (auto_recovery != nullptr &&
        bg_error.severity() >= rocksdb::Status::Severity::kHardError)
      *auto_recovery = false;
  }
};

}  // namespace

std::shared_ptr<rocksdb::EventListener> NewNoAutoRecoveryListener() {
  return std::make_shared<NoAutoRecovery>();
}

}  // namespace ckm::storage
