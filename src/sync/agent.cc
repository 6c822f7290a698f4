// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The sync agent: publish rounds on a thread of its own, connecting and
// reconnecting as the server comes and goes.

#include <atomic>
#include <memory>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sync/names.h"
#include "sync/publish.h"

namespace ckm {
namespace sync {
namespace {

class Agent final : public SyncAgent {
 public:
  Agent(Store& store, const SyncOptions& options)
      : store_(store), options_(options), thread_([this] { Run(); }) {}
  ~Agent() override { Stop(); }

  void Stop() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  SyncAgentStats stats() const override {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

 private:
  void Run();
  // Connects and checks the streams; nullptr (and the error noted) if not.
  std::unique_ptr<Publisher> Connect();
  void Note(const absl::Status& error, bool connected);
  // Waits `ms`, or less if Stop() is called; false once stopping.
  bool Pause(std::int64_t ms) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(ms));
    return !stopping_;
  }

  Store& store_;
  const SyncOptions options_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  SyncAgentStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts once the rest is built
};

void Agent::Note(const absl::Status& error, bool connected) {
  absl::MutexLock lock(&mu_);
  stats_.connected = connected;
  stats_.last_error = error.ok() ? "" : std::string(error.message());
}

std::unique_ptr<Publisher> Agent::Connect() {
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(options_);
  if (!c.ok()) {
    Note(c.status(), false);
    return nullptr;
  }
  if (absl::Status s = EnsureStreams(**c, options_); !s.ok()) {
    Note(s, true);
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<Publisher>> p =
      Publisher::Create(*std::move(c), options_);
  if (!p.ok()) {
    Note(p.status(), true);
    return nullptr;
  }
  return *std::move(p);
}

void Agent::Run() {
  std::unique_ptr<Publisher> publisher;
  for (;;) {
    if (publisher == nullptr) publisher = Connect();
    if (publisher == nullptr) {
      if (!Pause(options_.retry_ms)) return;
      continue;
    }
    absl::StatusOr<RoundResult> round = publisher->Round(store_);
    const absl::Status error = round.ok() ? round->error : round.status();
    if (round.ok()) {
      absl::MutexLock lock(&mu_);
      stats_.published += round->published;
      stats_.duplicates += round->duplicates;
    }
    Note(error, publisher->connection().connected());
    // libnats reconnects by itself; a round that failed waits a little, an
    // empty outbox is looked at again after poll_ms.
    if (!error.ok()) {
      if (!Pause(options_.retry_ms)) return;
    } else if (round->outbox_empty || round->published < options_.batch) {
      if (!Pause(options_.poll_ms)) return;
    } else {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
  }
}

}  // namespace
}  // namespace sync

absl::StatusOr<std::unique_ptr<SyncAgent>> SyncAgent::Start(
    Store& store, const SyncOptions& options) {
  if (absl::Status s = sync::CheckOptions(options); !s.ok()) return s;
  return std::unique_ptr<SyncAgent>(new sync::Agent(store, options));
}

absl::StatusOr<SyncAgentStats> DrainOutbox(Store& store,
                                           const SyncOptions& options) {
  if (absl::Status s = sync::CheckOptions(options); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<sync::Connection>> c =
      sync::Connection::Open(options);
  if (!c.ok()) return c.status();
  if (absl::Status s = sync::EnsureStreams(**c, options); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<sync::Publisher>> publisher =
      sync::Publisher::Create(*std::move(c), options);
  if (!publisher.ok()) return publisher.status();
  SyncAgentStats stats;
  stats.connected = true;
  for (;;) {
    absl::StatusOr<sync::RoundResult> round = (*publisher)->Round(store);
    if (!round.ok()) return round.status();
    stats.published += round->published;
    stats.duplicates += round->duplicates;
    if (!round->error.ok()) return round->error;
    if (round->outbox_empty) return stats;
  }
}

}  // namespace ckm
