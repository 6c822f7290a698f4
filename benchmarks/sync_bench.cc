// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// sync_bench: end-to-end sync over NATS JetStream (docs/sync.md). A
// terminal records events as fast as it can with its sync agent running;
// 1, 2 or 4 partition nodes record them at head office. Prints, one JSON
// object per line, the end-to-end events/s (first Record to the last event
// recorded at head office) and the latency from a terminal's Record
// returning to the event being readable at head office (probes: one event
// of a fresh customer every few batches, polled on its node's store), and,
// for comparison, the same events recorded into a local store alone.
//
// Everything runs on this machine: nats-server, the terminal, its agent
// and the nodes share its cores (benchmarks/README.md says what that
// limits).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "ckm/store.h"
#include "ckm/sync.h"
#include "measure.h"
#include "sync/loopback.h"

extern char** environ;

namespace {

constexpr std::int64_t kT0 = 1'768'471'200'000;  // 2026-01-15T10:00:00Z

// nats-server -js on a free port, stopped (SIGTERM) when destroyed.
class Server {
 public:
  Server(const std::string& binary, const std::string& dir)
      : port_(ckm_test::FreeLoopbackPort()) {
    const std::string port = std::to_string(port_), store = dir + "/js";
    const std::string log = dir + "/nats-server.log";
    std::vector<const char*> argv = {
        binary.c_str(), "-js", "-a",          "127.0.0.1", "-p",
        port.c_str(),   "-sd", store.c_str(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    ok_ = posix_spawn(&pid_, argv[0], &actions, nullptr,
                      const_cast<char* const*>(argv.data()), environ) == 0;
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; ok_ && i < 1000 && !ckm_test::AcceptsOnLoopback(port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ok_ = ok_ && ckm_test::AcceptsOnLoopback(port_);
  }
  ~Server() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool ok() const { return ok_; }
  std::string url() const {
    return "nats://127.0.0.1:" + std::to_string(port_);
  }

 private:
  int port_;
  pid_t pid_ = -1;
  bool ok_ = false;
};

// Purchases of `customers` customers, in batches; the first event of every
// `probe_every`-th batch names a fresh customer "probe-<n>".
std::vector<std::vector<ckm::Event>> Workload(int events, int batch,
                                              int customers, int probe_every) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> pick(0, customers - 1);
  std::vector<std::vector<ckm::Event>> batches;
  int probes = 0;
  for (int i = 0; i < events; ++i) {
    if (i % batch == 0) batches.emplace_back();
    const bool probe = i % batch == 0 && (i / batch) % probe_every == 0;
    const std::string customer = probe ? "probe-" + std::to_string(probes++)
                                       : "c-" + std::to_string(pick(rng));
    ckm::Purchase order{"o-" + std::to_string(i), "GBP", ckm::Channel::kInStore,
                        "store-1"};
    order.lines = {{"sku-" + std::to_string(i % 500), "tea", 1, 2'500'000}};
    batches.back().push_back({static_cast<std::uint64_t>(i + 1),
                              ckm::CustomerRef::Id(customer), kT0 + i, "pos-1",
                              order});
  }
  return batches;
}

ckm::StoreOptions Buffered(bool outbox) {
  ckm::StoreOptions options;
  options.durability = ckm::Durability::kBuffered;
  options.outbox = outbox;
  return options;
}

double Pct(const std::vector<double>& samples, double p) {
  return ckm_bench::Percentiles(samples).At(p).value_or(-1);
}

struct Probe {
  std::string customer;
  double recorded_s = 0;  // when the terminal's Record returned
};

// Waits until every probe is readable on its node; their latencies, in ms.
std::vector<double> WatchProbes(
    const std::vector<std::unique_ptr<ckm::Store>>& nodes,
    const std::vector<int>& node_of_partition, int partitions, std::mutex& mu,
    std::vector<Probe>& probes, std::size_t expected) {
  std::vector<double> latencies;
  std::size_t next = 0;
  std::vector<Probe> pending;
  const double give_up = ckm_bench::NowSeconds() + 600;
  while (latencies.size() < expected && ckm_bench::NowSeconds() < give_up) {
    {
      std::lock_guard<std::mutex> lock(mu);
      for (; next < probes.size(); ++next) pending.push_back(probes[next]);
    }
    for (auto it = pending.begin(); it != pending.end();) {
      const int node =
          node_of_partition[ckm::PartitionOf(it->customer, partitions)];
      if (nodes[node]->Get(it->customer).ok()) {
        latencies.push_back((ckm_bench::NowSeconds() - it->recorded_s) * 1e3);
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return latencies;
}

struct Config {
  std::string nats_server = CKM_NATS_SERVER;
  std::string dir = "/tmp";
  int events = 50'000;
  int batch = 100;
  int customers = 10'000;
  int probe_every = 5;
  int partitions = 16;
  double rate = 0;  // events/s offered at the terminal; 0: as fast as it can
  std::vector<int> nodes = {1, 2, 4};
};

// The local baseline: the same batches into one store, no sync.
void RunLocal(const Config& c, const std::string& dir) {
  const auto batches = Workload(c.events, c.batch, c.customers, c.probe_every);
  auto store = ckm::Store::Open(dir + "/local", Buffered(false));
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return;
  }
  std::vector<double> batch_ms;
  const double start = ckm_bench::NowSeconds();
  for (const auto& b : batches) {
    const double t = ckm_bench::NowSeconds();
    if (!(*store)->Record(b).ok()) return;
    batch_ms.push_back((ckm_bench::NowSeconds() - t) * 1e3);
  }
  const double seconds = ckm_bench::NowSeconds() - start;
  std::printf(
      "{\"bench\":\"local_record\",\"events\":%d,\"batch\":%d,"
      "\"seconds\":%.3f,\"events_per_s\":%.0f,\"batch_p50_ms\":%.3f,"
      "\"batch_p99_ms\":%.3f}\n",
      c.events, c.batch, seconds, c.events / seconds, Pct(batch_ms, 0.50),
      Pct(batch_ms, 0.99));
}

// `count` partition nodes, each with a store of its own, partitions dealt
// round-robin.
struct HeadOffice {
  std::vector<std::unique_ptr<ckm::Store>> stores;
  std::vector<std::unique_ptr<ckm::PartitionNode>> nodes;
  std::vector<int> node_of;  // by partition

  bool Start(int partitions, int count, const ckm::SyncOptions& options,
             const std::string& dir) {
    node_of.assign(partitions, 0);
    for (int n = 0; n < count; ++n) {
      auto store =
          ckm::Store::Open(dir + "/node-" + std::to_string(n), Buffered(false));
      if (!store.ok()) return false;
      stores.push_back(*std::move(store));
      std::vector<int> mine;
      for (int p = n; p < partitions; p += count) {
        mine.push_back(p);
        node_of[p] = n;
      }
      auto node = ckm::PartitionNode::Start(*stores[n], mine, options);
      if (!node.ok()) return false;
      nodes.push_back(*std::move(node));
    }
    return true;
  }
};

int RunSync(const Config& c, int node_count, const std::string& dir) {
  Server server(c.nats_server, dir);
  if (!server.ok()) {
    std::cerr << "sync_bench: cannot start " << c.nats_server << "\n";
    return 1;
  }
  ckm::SyncOptions options;
  options.nats_url = server.url();
  options.partitions = c.partitions;
  options.poll_ms = 5;
  HeadOffice office;
  if (!office.Start(c.partitions, node_count, options, dir)) return 1;
  const auto& stores = office.stores;
  const auto& nodes = office.nodes;
  const auto& node_of = office.node_of;
  auto terminal = ckm::Store::Open(dir + "/terminal", Buffered(true));
  if (!terminal.ok()) return 1;
  auto agent = ckm::SyncAgent::Start(**terminal, options);
  if (!agent.ok()) return 1;

  const auto batches = Workload(c.events, c.batch, c.customers, c.probe_every);
  std::mutex mu;
  std::vector<Probe> probes;
  const std::size_t expected = (batches.size() + c.probe_every - 1) /
                               static_cast<std::size_t>(c.probe_every);
  std::vector<double> latencies;
  std::thread watcher([&] {
    latencies =
        WatchProbes(stores, node_of, c.partitions, mu, probes, expected);
  });
  const double start = ckm_bench::NowSeconds();
  for (std::size_t i = 0; i < batches.size(); ++i) {
    if (c.rate > 0) {  // paced: batch i is due at start + i * batch / rate
      const double due = start + static_cast<double>(i) * c.batch / c.rate;
      while (ckm_bench::NowSeconds() < due)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (!(*terminal)->Record(batches[i]).ok()) return 1;
    if (i % c.probe_every == 0) {
      std::lock_guard<std::mutex> lock(mu);
      probes.push_back(
          {std::string(batches[i][0].customer.id), ckm_bench::NowSeconds()});
    }
  }
  const double recorded = ckm_bench::NowSeconds() - start;
  auto total = [&] {
    std::uint64_t n = 0;
    for (const auto& node : nodes) n += node->stats().recorded;
    return n;
  };
  while (total() < static_cast<std::uint64_t>(c.events))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double seconds = ckm_bench::NowSeconds() - start;
  watcher.join();
  for (auto& node : nodes) node->Stop();
  (*agent)->Stop();
  std::printf(
      "{\"bench\":\"sync\",\"nodes\":%d,\"partitions\":%d,\"events\":%d,"
      "\"batch\":%d,\"offered_per_s\":%.0f,\"terminal_record_seconds\":%.3f,"
      "\"seconds\":%.3f,"
      "\"events_per_s\":%.0f,\"probes\":%zu,\"latency_p50_ms\":%.2f,"
      "\"latency_p99_ms\":%.2f,\"latency_max_ms\":%.2f}\n",
      node_count, c.partitions, c.events, c.batch, c.rate, recorded, seconds,
      c.events / seconds, latencies.size(), Pct(latencies, 0.50),
      Pct(latencies, 0.99), Pct(latencies, 1.0));
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"sync_bench: end-to-end sync over NATS JetStream"};
  app.add_option("--nats-server", c.nats_server, "nats-server binary");
  app.add_option("--dir", c.dir, "where stores and the server's files go");
  app.add_option("--events", c.events, "events recorded at the terminal");
  app.add_option("--batch", c.batch, "events per Record at the terminal");
  app.add_option("--customers", c.customers, "customers the events name");
  app.add_option("--probe-every", c.probe_every, "a probe every N batches");
  app.add_option("--rate", c.rate,
                 "events/s offered at the terminal (0: as fast as it can)");
  app.add_option("--nodes", c.nodes, "partition node counts to run")
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  if (c.nats_server.empty()) {
    std::cerr << "sync_bench: no nats-server (--nats-server)\n";
    return 2;
  }
  std::error_code ec;
  const std::filesystem::path base =
      std::filesystem::path(c.dir) /
      ("ckm-sync-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(base / "local", ec);
  RunLocal(c, (base / "local").string());
  int failed = 0;
  for (int n : c.nodes) {
    const std::filesystem::path dir = base / ("nodes-" + std::to_string(n));
    std::filesystem::create_directories(dir, ec);
    failed |= RunSync(c, n, dir.string());
  }
  std::filesystem::remove_all(base, ec);
  return failed;
}
