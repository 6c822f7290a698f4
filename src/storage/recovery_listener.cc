// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/recovery_listener.h"

namespace ckm::storage {
namespace {

class NoAutoRecovery final : public rocksdb::EventListener {
 public:
  const char* Name() const override { return "ckm.NoAutoRecovery"; }
  // Called before RocksDB starts recovering from a background error that it
  // could recover from by itself (a full disk): it may not.
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/,
                            rocksdb::Status /*bg_error*/,
                            bool* auto_recovery) override {
    if (auto_recovery != nullptr) *auto_recovery = false;
  }
};

}  // namespace

std::shared_ptr<rocksdb::EventListener> NewNoAutoRecoveryListener() {
  return std::make_shared<NoAutoRecovery>();
}

}  // namespace ckm::storage
