// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// ckm_bench: one deterministic purchase workload against ckm and the designs
// people would build instead (see README.md). Prints one JSON object per line
// and exits non-zero if any variant failed or read back wrong totals.
//
// Every variant runs in a child process of its own (fork), so that its peak
// RSS, its caches and its background threads cannot leak into the next one.
// The parent only generates the workload's expected totals for the sampled
// customers and collects exit codes.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "CLI/CLI.hpp"
#include "measure.h"
#include "variant.h"
#include "workload.h"

namespace ckm_bench {
namespace {

struct Flags {
  std::string variant = "all";
  std::string sweep;
  std::string dir;
  WorkloadConfig workload;
  std::uint64_t reads = 100'000;
  std::uint64_t range_reads = 10'000;
  std::uint64_t samples = 1'000;
  std::uint64_t depth_reads = 10'000;
  double depth_budget_s = 5;
  std::vector<int> threads = {1, 2, 4, 8};
  std::vector<std::uint64_t> depths = {10, 100, 1'000, 10'000, 100'000};
  bool quick = false;
  bool fsync_rate = false;
  bool keep = false;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "ckm_bench: %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(2);
}

void Check(const absl::Status& status, std::string_view what) {
  if (!status.ok()) Die(std::string(what) + ": " + status.ToString());
}

// Runs `body` in a child process and returns its exit code (128 + signal if it
// was killed). The child's stdout is ours: it prints its own JSON lines.
template <typename Body>
int RunInChild(const std::string& label, Body body) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    const int rc = body();
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(rc);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) Die("waitpid failed");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  JsonLine()
      .Str("variant", label)
      .Str("error", "child killed by signal " + std::to_string(sig))
      .Print();
  return 128 + sig;
}

// --- Expected totals ---------------------------------------------------------

// The sampled customers (the 20 hottest and the rest uniformly at random) and
// their totals, folded in memory from the same workload.
std::map<std::uint64_t, Totals> ExpectedSample(const Workload& workload,
                                               std::uint64_t samples) {
  const WorkloadConfig& config = workload.config();
  std::map<std::uint64_t, Totals> expected;
  for (std::uint64_t rank = 0;
       rank < std::min<std::uint64_t>(20, config.customers); ++rank) {
    expected[workload.CustomerOfRank(rank)] = {};
  }
  Rng rng(Mix64(config.seed ^ 0x5A3F1E));
  samples = std::min(samples, config.customers);
  while (expected.size() < samples) {
    expected[1 + rng.Below(config.customers)] = {};
  }
  std::vector<Order> batch;
  for (std::uint64_t b = 0; b < workload.batch_count(); ++b) {
    workload.Batch(b, &batch);
    for (const Order& order : batch) {
      auto it = expected.find(order.customer);
      if (it == expected.end()) continue;
      it->second.orders += 1;
      it->second.spend_micros += order.total_micros();
    }
  }
  return expected;
}

// "ok", or a description of the first differences.
std::string VerifySample(Variant& variant,
                         const std::map<std::uint64_t, Totals>& expected) {
  std::string failures;
  int failed = 0;
  for (const auto& [customer, want] : expected) {
    auto got = variant.Get(customer);
    if (!got.ok()) {
      ++failed;
      if (failed <= 3) {
        failures +=
            CustomerName(customer) + ": " + got.status().ToString() + "; ";
      }
      continue;
    }
    const Totals have = got->value_or(Totals{});
    if (have.orders != want.orders || have.spend_micros != want.spend_micros) {
      ++failed;
      if (failed <= 3) {
        failures += CustomerName(customer) + " has " +
                    std::to_string(have.orders) + " orders, " +
                    std::to_string(have.spend_micros) + " micros; want " +
                    std::to_string(want.orders) + ", " +
                    std::to_string(want.spend_micros) + "; ";
      }
    }
  }
  if (failed == 0) return "ok";
  return "FAILED: " + std::to_string(failed) + " of " +
         std::to_string(expected.size()) + " customers differ: " + failures;
}

// --- The main run ------------------------------------------------------------

void AddWorkload(JsonLine& line, const WorkloadConfig& config) {
  line.Int("customers", static_cast<std::int64_t>(config.customers))
      .Int("batch", static_cast<std::int64_t>(config.batch))
      .Int("seed", static_cast<std::int64_t>(config.seed));
  // The rest of the workload only where it differs from the defaults, so
  // that default lines stay short.
  const WorkloadConfig defaults;
  if (config.zipf_s != defaults.zipf_s) line.Num("zipf_s", config.zipf_s, 3);
  auto differing = [&](const char* name, std::int64_t value,
                       std::int64_t default_value) {
    if (value != default_value) line.Int(name, value);
  };
  differing("products", config.products, defaults.products);
  differing("categories", config.categories, defaults.categories);
  differing("channels", config.channels, defaults.channels);
  differing("stores", config.stores, defaults.stores);
  differing("spacing_ms", config.spacing_ms, defaults.spacing_ms);
  differing("jitter_ms", config.jitter_ms, defaults.jitter_ms);
}

struct IngestFigures {
  double wall_s = 0;    // time inside IngestBatch, summed, and in Settle
  double settle_s = 0;  // time inside Settle
  double cpu_s = 0;     // process CPU during ingest minus workload generation
  double gen_cpu_s = 0;
  std::vector<double> batch_ms;
};

// Feeds batches [0, batch_count) to the variant from one thread. Generating a
// batch is outside the timed section and its CPU is subtracted.
IngestFigures IngestAll(
    Variant& variant, std::uint64_t batch_count,
    const std::function<void(std::uint64_t, std::vector<Order>*)>& make) {
  IngestFigures f;
  f.batch_ms.reserve(batch_count);
  std::vector<Order> batch;
  const double cpu0 = ProcessCpuSeconds();
  for (std::uint64_t b = 0; b < batch_count; ++b) {
    const double gen0 = ThreadCpuSeconds();
    make(b, &batch);
    f.gen_cpu_s += ThreadCpuSeconds() - gen0;
    const double t0 = NowSeconds();
    Check(variant.IngestBatch(batch), "IngestBatch");
    const double dt = NowSeconds() - t0;
    f.wall_s += dt;
    f.batch_ms.push_back(dt * 1e3);
  }
  const double t0 = NowSeconds();
  Check(variant.Settle(), "Settle");
  f.settle_s = NowSeconds() - t0;
  f.wall_s += f.settle_s;
  f.cpu_s = ProcessCpuSeconds() - cpu0 - f.gen_cpu_s;
  return f;
}

int RunMain(const std::string& name, const std::string& sweep,
            const Flags& flags, const Workload& workload,
            const std::map<std::uint64_t, Totals>& expected) {
  std::unique_ptr<Variant> variant = NewVariant(name);
  const std::string dir = flags.dir + "/" + name;
  std::filesystem::remove_all(dir);
  const double rss_before_open = ProcStatusMiB("VmRSS");
  Check(variant->Open(dir), "Open");

  IngestFigures ingest =
      IngestAll(*variant, workload.batch_count(),
                [&](std::uint64_t b, std::vector<Order>* out) {
                  workload.Batch(b, out);
                });
  const Percentiles batch_ms(std::move(ingest.batch_ms));

  Rng read_rng(Mix64(flags.workload.seed ^ 0x4EAD));
  std::vector<double> get_us;
  if (variant->has_profiles()) {
    get_us.reserve(flags.reads);
    for (std::uint64_t r = 0; r < flags.reads; ++r) {
      const std::uint64_t customer = workload.SampleCustomer(read_rng);
      const double t0 = NowSeconds();
      auto totals = variant->Get(customer);
      get_us.push_back((NowSeconds() - t0) * 1e6);
      Check(totals.status(), "Get");
    }
  }
  std::vector<double> recent_us;
  recent_us.reserve(flags.range_reads);
  std::uint64_t recent_events = 0;
  for (std::uint64_t r = 0; r < flags.range_reads; ++r) {
    const std::uint64_t customer = workload.SampleCustomer(read_rng);
    const double t0 = NowSeconds();
    auto n = variant->Recent20(customer);
    recent_us.push_back((NowSeconds() - t0) * 1e6);
    Check(n.status(), "Recent20");
    recent_events += *n;
  }
  const std::string verify = variant->has_profiles()
                                 ? VerifySample(*variant, expected)
                                 : std::string("n/a");
  Check(variant->Close(), "Close");
  variant.reset();
  const std::int64_t db_bytes = DirBytes(dir);
  const double peak_rss = ProcStatusMiB("VmHWM");
  if (!flags.keep) std::filesystem::remove_all(dir);

  const std::size_t get_count = get_us.size();
  const Percentiles get(std::move(get_us)), recent(std::move(recent_us));
  const auto events = static_cast<double>(flags.workload.events);
  JsonLine line;
  if (!sweep.empty()) line.Str("sweep", sweep);
  line.Str("variant", name).Int("events", flags.workload.events);
  AddWorkload(line, flags.workload);
  line.Num("events_per_s", events / ingest.wall_s, 0)
      .Num("ingest_s", ingest.wall_s, 3)
      .Num("ingest_cpu_s", ingest.cpu_s, 3)
      .Num("settle_s", ingest.settle_s, 3)
      .Num("gen_cpu_s", ingest.gen_cpu_s, 3)
      .Num("batch_ms_p50", batch_ms.At(0.50), 3)
      .Num("batch_ms_p99", batch_ms.At(0.99), 3)
      .Num("batch_ms_max", batch_ms.Max(), 3)
      .Int("reads", static_cast<std::int64_t>(get_count))
      .Num("get_us_p50", get.At(0.50), 1)
      .Num("get_us_p99", get.At(0.99), 1)
      .Num("get_us_p999", get.At(0.999), 1)
      .Int("range_reads", static_cast<std::int64_t>(flags.range_reads))
      .Num("recent20_us_p50", recent.At(0.50), 1)
      .Num("recent20_us_p99", recent.At(0.99), 1)
      .Num("recent20_mean_events",
           flags.range_reads ? static_cast<double>(recent_events) /
                                   static_cast<double>(flags.range_reads)
                             : 0.0,
           2)
      .Int("db_bytes", db_bytes)
      .Num("rss_before_open_mb", rss_before_open, 1)
      .Num("peak_rss_mb", peak_rss, 1)
      .Str("verify", verify)
      .Print();
  return verify == "ok" || verify == "n/a" ? 0 : 1;
}

// --- Sweep: threads ----------------------------------------------------------

int RunThreads(const std::string& name, int threads, const Flags& flags,
               const Workload& workload,
               const std::map<std::uint64_t, Totals>& expected) {
  std::unique_ptr<Variant> variant = NewVariant(name);
  const std::string dir = flags.dir + "/" + name;
  std::filesystem::remove_all(dir);
  Check(variant->Open(dir), "Open");

  std::atomic<std::uint64_t> next{0};
  std::vector<std::vector<double>> batch_ms(static_cast<std::size_t>(threads));
  const double cpu0 = ProcessCpuSeconds();
  const double t0 = NowSeconds();
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      std::vector<Order> batch;
      for (std::uint64_t b; (b = next.fetch_add(1)) < workload.batch_count();) {
        workload.Batch(b, &batch);
        const double start = NowSeconds();
        Check(variant->IngestBatch(batch), "IngestBatch");
        batch_ms[static_cast<std::size_t>(t)].push_back((NowSeconds() - start) *
                                                        1e3);
      }
    });
  }
  for (std::thread& w : writers) w.join();
  Check(variant->Settle(), "Settle");
  const double wall = NowSeconds() - t0;
  const double cpu = ProcessCpuSeconds() - cpu0;
  const std::string verify = VerifySample(*variant, expected);
  Check(variant->Close(), "Close");
  variant.reset();
  std::filesystem::remove_all(dir);

  std::vector<double> all;
  for (auto& v : batch_ms) all.insert(all.end(), v.begin(), v.end());
  const Percentiles p(std::move(all));
  JsonLine line;
  line.Str("sweep", "threads").Str("variant", name).Int("threads", threads);
  line.Int("events", flags.workload.events);
  AddWorkload(line, flags.workload);
  line.Num("events_per_s", static_cast<double>(flags.workload.events) / wall, 0)
      .Num("ingest_s", wall, 3)
      .Num("ingest_cpu_s", cpu, 3)
      .Num("batch_ms_p50", p.At(0.50), 3)
      .Num("batch_ms_p99", p.At(0.99), 3)
      .Num("batch_ms_max", p.Max(), 3)
      .Num("peak_rss_mb", ProcStatusMiB("VmHWM"), 1)
      .Str("verify", verify)
      .Print();
  return verify == "ok" ? 0 : 1;
}

// --- Sweep: depth ------------------------------------------------------------

// Customers "c<depth>" with exactly `depth` events each, interleaved in one
// shuffled stream; then Get and Recent20 latency per depth.
int RunDepth(const std::string& name, const Flags& flags,
             const Workload& workload) {
  std::vector<std::uint64_t> owner;
  for (std::uint64_t depth : flags.depths)
    owner.insert(owner.end(), depth, depth);
  Rng rng(Mix64(flags.workload.seed ^ 0xDE97));
  for (std::size_t i = owner.size(); i > 1; --i) {
    std::swap(owner[i - 1], owner[rng.Below(i)]);
  }
  const std::uint64_t batch_size = flags.workload.batch;
  const std::uint64_t batches = (owner.size() + batch_size - 1) / batch_size;

  std::unique_ptr<Variant> variant = NewVariant(name);
  const std::string dir = flags.dir + "/" + name;
  std::filesystem::remove_all(dir);
  Check(variant->Open(dir), "Open");
  IngestFigures ingest = IngestAll(
      *variant, batches, [&](std::uint64_t b, std::vector<Order>* out) {
        out->clear();
        Rng batch_rng(Mix64(flags.workload.seed ^ 0xDE97) ^ Mix64(b + 1));
        const std::uint64_t end =
            std::min<std::uint64_t>(owner.size(), (b + 1) * batch_size);
        for (std::uint64_t i = b * batch_size; i < end; ++i) {
          out->push_back(workload.MakeOrder(batch_rng, i, owner[i]));
        }
      });

  int rc = 0;
  for (std::uint64_t depth : flags.depths) {
    std::vector<double> get_us, recent_us;
    std::optional<Totals> last;
    // A design whose Get grows with the depth could take hours here; stop
    // after the time budget (but not before 20 reads) and report how many.
    const double budget_end = NowSeconds() + flags.depth_budget_s;
    for (std::uint64_t r = 0; r < flags.depth_reads; ++r) {
      if (r >= 20 && NowSeconds() > budget_end) break;
      const double t0 = NowSeconds();
      auto totals = variant->Get(depth);
      get_us.push_back((NowSeconds() - t0) * 1e6);
      Check(totals.status(), "Get");
      last = *totals;
    }
    for (std::uint64_t r = 0;
         r < std::min<std::uint64_t>(flags.depth_reads, 1000); ++r) {
      const double t0 = NowSeconds();
      Check(variant->Recent20(depth).status(), "Recent20");
      recent_us.push_back((NowSeconds() - t0) * 1e6);
    }
    const bool ok = last && last->orders == static_cast<std::int64_t>(depth);
    if (!ok) rc = 1;
    const std::size_t reads = get_us.size(), range_reads = recent_us.size();
    const Percentiles get(std::move(get_us)), recent(std::move(recent_us));
    JsonLine()
        .Str("sweep", "depth")
        .Str("variant", name)
        .Int("depth", static_cast<std::int64_t>(depth))
        .Int("reads", static_cast<std::int64_t>(reads))
        .Num("get_us_p50", get.At(0.50), 1)
        .Num("get_us_p99", get.At(0.99), 1)
        .Int("range_reads", static_cast<std::int64_t>(range_reads))
        .Num("recent20_us_p50", recent.At(0.50), 1)
        .Num("recent20_us_p99", recent.At(0.99), 1)
        .Num("ingest_s", ingest.wall_s, 3)
        .Str("verify",
             ok ? "ok"
                : "FAILED: count " + std::to_string(last ? last->orders : -1))
        .Print();
  }
  Check(variant->Close(), "Close");
  variant.reset();
  std::filesystem::remove_all(dir);
  return rc;
}

// --- fsync rate --------------------------------------------------------------

// Appends 4 KiB and fdatasyncs it, for 2 seconds: roughly what a synced
// write-ahead log can do per second on this disk.
int RunFsyncRate(const std::string& dir) {
  const std::string path = dir + "/fsync_probe";
  const int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) Die("open " + path);
  std::vector<char> block(4096, 'x');
  std::vector<double> us;
  const double start = NowSeconds();
  while (NowSeconds() - start < 2.0) {
    const double t0 = NowSeconds();
    if (write(fd, block.data(), block.size()) !=
            static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      Die("write/fdatasync " + path);
    }
    us.push_back((NowSeconds() - t0) * 1e6);
  }
  const double elapsed = NowSeconds() - start;
  close(fd);
  std::filesystem::remove(path);
  const std::size_t n = us.size();
  const Percentiles p(std::move(us));
  JsonLine()
      .Str("probe", "fsync")
      .Str("dir", dir)
      .Num("fsyncs_per_s", static_cast<double>(n) / elapsed, 0)
      .Num("fsync_us_p50", p.At(0.50), 1)
      .Num("fsync_us_p99", p.At(0.99), 1)
      .Print();
  return 0;
}

std::vector<std::string> SelectedVariants(const std::string& flag,
                                          bool profiles_only) {
  std::vector<std::string> out;
  if (flag == "all") {
    for (const std::string& name : VariantNames()) {
      // ckm_sync reads exactly like ckm_buffered; the depth sweep skips it.
      if (profiles_only && (name == "rocksdb_put" || name == "ckm_sync")) {
        continue;
      }
      out.push_back(name);
    }
    // The depth sweep shows what an unbounded merge chain costs a reader.
    if (profiles_only) out.push_back("rocksdb_merge_unbounded");
    return out;
  }
  for (std::string_view rest = flag; !rest.empty();) {
    const std::size_t comma = rest.find(',');
    std::string name(rest.substr(0, comma));
    if (!NewVariant(name)) Die("unknown variant \"" + name + "\"");
    out.push_back(std::move(name));
    rest = comma == std::string_view::npos ? std::string_view()
                                           : rest.substr(comma + 1);
  }
  return out;
}

int Main(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "ckm_bench: ckm against put-only RocksDB, a hand-written "
      "RocksDB merge operator and SQLite"};
  app.add_option("--variant", flags.variant,
                 "all, or a comma-separated list of ckm_buffered, ckm_sync, "
                 "rocksdb_put, rocksdb_merge, sqlite")
      ->capture_default_str();
  app.add_option("--sweep", flags.sweep, "depth, threads or memory")
      ->check(CLI::IsMember({"depth", "threads", "memory"}));
  app.add_option("--events", flags.workload.events, "purchase events")
      ->capture_default_str();
  app.add_option("--customers", flags.workload.customers, "distinct customers")
      ->capture_default_str();
  app.add_option("--batch", flags.workload.batch, "events per write batch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", flags.workload.seed, "workload seed")
      ->capture_default_str();
  app.add_option("--zipf-s", flags.workload.zipf_s,
                 "Zipf exponent of customers and products")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  app.add_option("--products", flags.workload.products, "catalogue size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--categories", flags.workload.categories,
                 "categories (each product has one)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--channels", flags.workload.channels,
                 "sales channels, uniform")
      ->capture_default_str()
      ->check(CLI::Range(1, 5));
  app.add_option("--stores", flags.workload.stores, "stores, uniform")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--spacing-ms", flags.workload.spacing_ms,
                 "time between consecutive events")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--jitter-ms", flags.workload.jitter_ms,
                 "each event's time moves by up to this much either way")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--reads", flags.reads, "profile Gets after ingest")
      ->capture_default_str();
  app.add_option("--range-reads", flags.range_reads,
                 "recent-20-purchases reads after ingest")
      ->capture_default_str();
  app.add_option("--samples", flags.samples, "customers verified")
      ->capture_default_str();
  app.add_option("--threads", flags.threads, "writer threads (threads sweep)")
      ->capture_default_str();
  app.add_option("--depths", flags.depths, "events per customer (depth sweep)")
      ->capture_default_str();
  app.add_option("--depth-reads", flags.depth_reads, "Gets per depth")
      ->capture_default_str();
  app.add_option("--depth-budget-s", flags.depth_budget_s,
                 "stop a depth's Gets after this many seconds (20 at least)")
      ->capture_default_str();
  app.add_option("--dir", flags.dir,
                 "working directory (default: a new one under /tmp, removed "
                 "at exit); each variant's store is deleted after its run");
  app.add_flag("--keep", flags.keep,
               "keep the main run's stores under --dir for inspection");
  app.add_flag("--quick", flags.quick,
               "200,000 events (and a tenth of the reads and depths)");
  app.add_flag("--fsync-rate", flags.fsync_rate,
               "measure 4 KiB write+fdatasync per second in --dir and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (flags.quick) {
    if (app.count("--events") == 0) flags.workload.events = 200'000;
    if (app.count("--reads") == 0) flags.reads = 20'000;
    if (app.count("--range-reads") == 0) flags.range_reads = 2'000;
    if (app.count("--depth-reads") == 0) flags.depth_reads = 1'000;
    if (app.count("--depths") == 0) flags.depths = {10, 100, 1'000, 10'000};
  }
  if (flags.sweep == "memory" && app.count("--customers") == 0) {
    flags.workload.customers = 1'000'000;
  }
  if (flags.workload.customers == 0 || flags.workload.events == 0) {
    Die("--customers and --events must be positive");
  }

  bool own_dir = false;
  if (flags.dir.empty()) {
    char tmpl[] = "/tmp/ckm_bench.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
    flags.dir = tmpl;
    own_dir = true;
  } else {
    std::filesystem::create_directories(flags.dir);
  }
  auto cleanup = [&] {
    if (own_dir && !flags.keep) std::filesystem::remove_all(flags.dir);
  };
  if (flags.fsync_rate) {
    const int rc = RunFsyncRate(flags.dir);
    cleanup();
    return rc;
  }

  const Workload workload(flags.workload);
  int rc = 0;
  if (flags.sweep == "depth") {
    for (const std::string& name : SelectedVariants(flags.variant, true)) {
      std::unique_ptr<Variant> probe = NewVariant(name);
      if (!probe->has_profiles()) continue;
      rc |= RunInChild(name, [&] { return RunDepth(name, flags, workload); });
    }
    cleanup();
    return rc;
  }

  const std::map<std::uint64_t, Totals> expected =
      ExpectedSample(workload, flags.samples);
  if (flags.sweep == "threads") {
    std::vector<std::string> names = {"ckm_sync", "ckm_buffered"};
    if (flags.variant != "all") names = SelectedVariants(flags.variant, false);
    for (const std::string& name : names) {
      if (!NewVariant(name)->concurrent_writes()) {
        Die(name + " does not take concurrent writes");
      }
      for (int threads : flags.threads) {
        rc |= RunInChild(name, [&] {
          return RunThreads(name, threads, flags, workload, expected);
        });
      }
    }
  } else {
    for (const std::string& name : SelectedVariants(flags.variant, false)) {
      rc |= RunInChild(name, [&] {
        return RunMain(name, flags.sweep, flags, workload, expected);
      });
    }
  }
  cleanup();
  return rc;
}

}  // namespace
}  // namespace ckm_bench

int main(int argc, char** argv) { return ckm_bench::Main(argc, argv); }
