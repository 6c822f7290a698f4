// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync_commands.h"

#include <signal.h>

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ckm/store.h"
#include "policy.h"

namespace ckm::tools {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "ckm: " << status.message() << "\n";
  return 1;
}

// Blocks SIGINT and SIGTERM in this thread and every thread started after
// it, so that WaitForSignal() takes them synchronously.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void WaitForSignal(const sigset_t& set) {
  int signal = 0;
  sigwait(&set, &signal);
}

void AddDeployment(CLI::App* cmd, SyncOptions& o) {
  cmd->add_option("--nats", o.nats_url,
                  "NATS server URL(s), comma-separated; a URL with a password "
                  "is better given as CKM_NATS_URL, which ps does not show")
      ->envname("CKM_NATS_URL")
      ->capture_default_str();
  cmd->add_option("--partition-count", o.partitions,
                  "partitions of the stream (fixed for a deployment)")
      ->capture_default_str();
  cmd->add_option("--stream", o.stream, "the JetStream stream of events")
      ->capture_default_str();
  cmd->add_option("--replicas", o.replicas,
                  "stream replicas, when this creates the streams")
      ->capture_default_str();
  cmd->add_option("--batch", o.batch, "entries per publish round or fetch")
      ->capture_default_str();
  cmd->add_option("--ack-wait-ms", o.ack_wait_ms,
                  "a node's redelivery wait, when it creates its consumers")
      ->capture_default_str();
}

}  // namespace

SyncCommands::SyncCommands(CLI::App& app) {
  sync_ = app.add_subcommand(
      "sync", "publish a terminal store's outbox to NATS JetStream");
  sync_->require_subcommand(0, 1);
  AddDeployment(sync_, options_);
  sync_->add_option("--db", db_, "the terminal's store directory");
  sync_->add_flag("--once", once_,
                  "publish until the outbox is empty, then exit");
  status_ = sync_->add_subcommand(
      "status", "per-partition messages, lag and dead letters; outbox depth");
  AddDeployment(status_, options_);
  status_->add_option("--db", db_, "a terminal's store: show its outbox depth");
  fetch_ = sync_->add_subcommand(
      "fetch", "ask head office for a customer's profile; print it as JSON");
  AddDeployment(fetch_, options_);
  fetch_->add_option("CUSTOMER", customer_, "customer id")->required();
  fetch_->add_option("--role", read_.role,
                     "who reads it, under head office's access policy");
  fetch_->add_option("--for", read_.purpose,
                     "the purpose of the read, checked against consent");
  node_ = app.add_subcommand(
      "node", "record some partitions of the stream into a head-office store");
  AddDeployment(node_, options_);
  node_->add_option("--db", db_, "the node's store directory")->required();
  node_->add_option("--partitions", partitions_, "the partitions, e.g. 0-3")
      ->required();
  node_->add_option("--follower", node_options_.follower,
                    "follow the partitions under this name (a terminal), "
                    "beside head office");
  node_
      ->add_option("--change-deliveries", node_options_.change_deliveries,
                   "tries of a change naming a customer not known yet, "
                   "before it goes to the dead letters")
      ->capture_default_str();
  node_->add_option("--policy", policy_file_,
                    "access policy file for profile requests (default: none, "
                    "everything visible)");
  node_->add_flag("--audit", audit_,
                  "append each profile request to the customer's access audit");
}

std::optional<int> SyncCommands::Run() {
  if (status_->parsed()) return Status();
  if (fetch_->parsed()) return Fetch();
  if (sync_->parsed()) return Sync();
  if (node_->parsed()) return Node();
  return std::nullopt;
}

int SyncCommands::Sync() {
  if (db_.empty()) {
    std::cerr << "ckm: --db is required (see ckm --help)\n";
    return 2;
  }
  const sigset_t signals = BlockStopSignals();
  StoreOptions store_options;
  store_options.outbox = true;
  store_options.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(db_, store_options);
  if (!store.ok()) return Fail(store.status());
  if (once_) {
    absl::StatusOr<SyncAgentStats> done = DrainOutbox(**store, options_);
    if (!done.ok()) return Fail(done.status());
    std::cout << "published " << done->published << " events ("
              << done->duplicates << " duplicates)\n";
    return 0;
  }
  absl::StatusOr<std::unique_ptr<SyncAgent>> agent =
      SyncAgent::Start(**store, options_);
  if (!agent.ok()) return Fail(agent.status());
  WaitForSignal(signals);
  (*agent)->Stop();
  const SyncAgentStats stats = (*agent)->stats();
  std::cout << "published " << stats.published << " events ("
            << stats.duplicates << " duplicates)\n";
  return 0;
}

int SyncCommands::Status() {
  absl::StatusOr<SyncStatus> status = ReadSyncStatus(options_);
  if (!status.ok()) return Fail(status.status());
  std::cout << "partition\tmessages\tlag\tdead_letters\tconsumer\n";
  for (const PartitionStatus& p : status->per_partition) {
    std::cout << p.partition << "\t" << p.messages << "\t" << p.lag << "\t"
              << p.dead_letters << "\t" << (p.has_consumer ? "yes" : "no")
              << "\n";
  }
  bool followed = false;
  for (const PartitionStatus& p : status->per_partition) {
    for (const FollowerLag& f : p.followers) {
      if (!followed) std::cout << "follower\tpartition\tlag\n";
      followed = true;
      std::cout << f.follower << "\t" << p.partition << "\t" << f.lag << "\n";
    }
  }
  if (db_.empty()) return 0;
  StoreOptions follow;
  follow.access = Access::kFollower;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(db_, follow);
  if (!store.ok()) return Fail(store.status());
  absl::StatusOr<std::uint64_t> depth = (*store)->OutboxDepth();
  if (!depth.ok()) return Fail(depth.status());
  std::cout << "outbox\t" << *depth << "\n";
  return 0;
}

int SyncCommands::Node() {
  absl::StatusOr<std::vector<int>> partitions =
      ParsePartitions(partitions_, options_.partitions);
  if (!partitions.ok()) {
    std::cerr << "ckm: --" << partitions.status().message()
              << " (see ckm --help)\n";
    return 2;
  }
  // Checked before the store is opened, so that a bad option creates no
  // store.
  if (absl::Status s = CheckNodeOptions(*partitions, options_, node_options_);
      !s.ok()) {
    std::cerr << "ckm: " << s.message() << " (see ckm --help)\n";
    return 2;
  }
  absl::StatusOr<std::optional<AccessPolicy>> policy = LoadPolicy(policy_file_);
  if (!policy.ok()) return Fail(policy.status());
  const sigset_t signals = BlockStopSignals();
  StoreOptions store_options;
  store_options.access_policy = *std::move(policy);
  store_options.access_audit = audit_;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(db_, store_options);
  if (!store.ok()) return Fail(store.status());
  absl::StatusOr<std::unique_ptr<PartitionNode>> node =
      PartitionNode::Start(**store, *partitions, options_, node_options_);
  if (!node.ok()) return Fail(node.status());
  WaitForSignal(signals);
  (*node)->Stop();
  const PartitionNodeStats stats = (*node)->stats();
  std::cout << "recorded " << stats.recorded << " events, "
            << stats.already_recorded << " already recorded, "
            << stats.dead_letters << " dead letters\n";
  return 0;
}

int SyncCommands::Fetch() {
  absl::StatusOr<Profile> profile = FetchProfile(options_, customer_, read_);
  if (!profile.ok()) return Fail(profile.status());
  const std::int64_t now_ms = absl::ToUnixMillis(absl::Now());
  std::cout << profile->ToJson(now_ms) << "\n";
  return 0;
}

}  // namespace ckm::tools
