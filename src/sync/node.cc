// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The partition node: a durable pull consumer per partition, each on a
// thread of its own, recording what it fetches into a head-office store.

#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "sync/names.h"
#include "sync/partition_worker.h"

namespace ckm {
namespace sync {
namespace {

class Node final : public PartitionNode {
 public:
  Node(Store& store, const std::vector<int>& partitions,
       const SyncOptions& options, const NodeOptions& node) {
    for (int p : partitions)
      workers_.push_back(std::make_unique<PartitionWorker>(
          store, options, node, p, partitions, shared_));
    for (auto& w : workers_)
      threads_.emplace_back([worker = w.get()] { worker->Run(); });
  }
  ~Node() override { Stop(); }

  void Stop() override {
    shared_.Stop();
    for (std::thread& t : threads_)
      if (t.joinable()) t.join();
  }

  PartitionNodeStats stats() const override { return shared_.Get(); }

 private:
  SharedNodeState shared_;
  std::vector<std::unique_ptr<PartitionWorker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace
}  // namespace sync

absl::Status CheckNodeOptions(const std::vector<int>& partitions,
                              const SyncOptions& options,
                              const NodeOptions& node) {
  if (absl::Status s = sync::CheckOptions(options); !s.ok()) return s;
  if (node.follower.size() > 64 ||
      node.follower.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "abcdefghijklmnopqrstuvwxyz"
                                      "0123456789-_") != std::string::npos) {
    return absl::InvalidArgumentError(
        "follower: 1 to 64 of A-Z, a-z, 0-9, '-' and '_'");
  }
  if (node.change_deliveries < 1)
    return absl::InvalidArgumentError("change_deliveries: must be at least 1");
  if (partitions.empty())
    return absl::InvalidArgumentError("partitions: none given");
  for (int p : partitions) {
    if (p < 0 || p >= options.partitions) {
      return absl::InvalidArgumentError(absl::StrCat(
          "partitions: ", p, " is outside 0-", options.partitions - 1));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PartitionNode>> PartitionNode::Start(
    Store& store, const std::vector<int>& partitions,
    const SyncOptions& options, const NodeOptions& node) {
  if (absl::Status s = CheckNodeOptions(partitions, options, node); !s.ok())
    return s;
  return std::unique_ptr<PartitionNode>(
      new sync::Node(store, partitions, options, node));
}

}  // namespace ckm
