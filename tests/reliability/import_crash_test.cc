// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// ckm_import_crash_test: kills `ckm import` with SIGKILL at random moments,
// imports again, and checks that the store ends up exactly as one clean
// import leaves it: no order lost, none counted twice.
//
//   ckm_import_crash_test --kills N [--rows R] [--seed S]
//                         [--durability none|buffered|sync] [--dir D]
//                         [--inject-double] [--inject-loss]
//
// The input is the first R data rows of the bundled UCI Online Retail file
// (0: all 541,909), written to D/subset.csv. The first R rows hold whole
// invoices but for possibly the last one, which is then whole in the subset
// by definition, so the subset is an export of its own.
//
// 1. Reference: the subset is imported once, uninterrupted, into a fresh
//    store and exported (`ckm export profiles --format csv`). That path is
//    itself checked against the independent reference of the whole file by
//    retail_import_test.
// 2. The store under test is created, then `ckm import` of the subset is
//    started as a child process and killed after a random delay, N times.
//    The delay is 0.2 to 1 times an estimate of the import's duration (at
//    first the reference's); an import that finishes before its kill lowers
//    the estimate to the delay and empties the store, and does not count.
//    So kills land while the file is read and while batches are recorded,
//    and most imports resume a store that earlier kills left. After each
//    kill the store is opened in-process: VerifyAll() must find every
//    profile equal to the fold of its history.
// 3. A last import runs to completion, and its export must equal the
//    reference row for row: a customer with fewer lines or orders than the
//    reference counts as lost, one with more as double counted, and any
//    difference at all as mismatched.
//
// --inject-double records one order a second time under a new event id after
// the last import, and --inject-loss leaves one invoice out of the file the
// killed and the last imports read: the run must then report the damage and
// fail, which proves that the comparison can fail.
//
// Output: a line per kill, and as the last line one JSON object
//   {"kills":N,"partial_stores":N,"customers":N,"lost":N,
//    "double_counted":N,"mismatched":N,"durability":"none"}
// partial_stores counts the kills after which the store held part of the
// import: more events than before, not all of them (with --durability none
// the import's writes reach disk only in a flush, so this is rarer).
// The exit code is 0 only if lost, double_counted and mismatched are 0 and
// every import, open and check worked.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ckm/store.h"
#include "csv.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kCli = CKM_CLI;
const std::string kRetail = std::string(CKM_SOURCE_DIR) +
                            "/data/uci-online-retail/online_retail.csv.gz";
const std::string kMap =
    "customer=CustomerID,order=InvoiceNo,sku=StockCode,description="
    "Description,quantity=Quantity,unit_price=UnitPrice,ts=InvoiceDate";

struct Flags {
  int kills = 5;
  std::int64_t rows = 60'000;
  std::uint64_t seed = 1;
  std::string durability = "none";
  std::string dir;
  bool inject_double = false;
  bool inject_loss = false;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "ckm_import_crash_test: %s\nusage: ckm_import_crash_test "
               "--kills N [--rows R] [--seed S] [--durability "
               "none|buffered|sync] [--dir D] [--inject-double] "
               "[--inject-loss]\n",
               why.c_str());
  std::exit(2);
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--kills") {
      flags.kills = std::stoi(value());
    } else if (arg == "--rows") {
      flags.rows = std::stoll(value());
    } else if (arg == "--seed") {
      flags.seed = std::stoull(value());
    } else if (arg == "--durability") {
      flags.durability = value();
    } else if (arg == "--dir") {
      flags.dir = value();
    } else if (arg == "--inject-double") {
      flags.inject_double = true;
    } else if (arg == "--inject-loss") {
      flags.inject_loss = true;
    } else {
      Usage("unknown argument " + arg);
    }
  }
  if (flags.kills < 0) Usage("--kills must be >= 0");
  if (flags.durability != "none" && flags.durability != "buffered" &&
      flags.durability != "sync") {
    Usage("--durability must be none, buffered or sync");
  }
  return flags;
}

std::string CsvQuoted(const std::string& field) {
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Writes the header and the first `rows` data rows (0: all) of the retail
// file to `path`; with `drop_invoice`, without the rows, from row 1,000 on,
// of the first invoice with a customer met there. Returns the number of rows
// written.
absl::StatusOr<std::int64_t> WriteSubset(const std::string& path,
                                         std::int64_t rows, bool drop_invoice) {
  absl::StatusOr<ckm::tools::CsvReader> reader =
      ckm::tools::CsvReader::Open(kRetail);
  if (!reader.ok()) return reader.status();
  std::ofstream out(path, std::ios::binary);
  std::vector<std::string> fields;
  std::string dropped;
  std::int64_t written = -1;  // the header is not a row
  for (std::int64_t n = 0; rows == 0 || n <= rows; ++n) {
    absl::StatusOr<bool> more = reader->Next(fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    // InvoiceNo is column 0, CustomerID column 6.
    if (drop_invoice && dropped.empty() && n > 1000 && fields.size() > 6 &&
        !fields[6].empty()) {
      dropped = fields[0];
    }
    if (!dropped.empty() && fields[0] == dropped) continue;
    for (std::size_t j = 0; j < fields.size(); ++j)
      out << (j ? "," : "") << CsvQuoted(fields[j]);
    out << "\n";
    ++written;
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("writing ", path));
  return written;
}

std::vector<std::string> ImportArgs(const std::string& file,
                                    const std::string& db,
                                    const std::string& durability) {
  return {kCli,    "import", "purchases",  file,  "--db",         db,
          "--map", kMap,     "--currency", "GBP", "--durability", durability};
}

// Starts `args` with stdout and stderr appended to `log`.
pid_t Start(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    if (std::freopen(log.c_str(), "a", stdout) == nullptr) _exit(126);
    dup2(fileno(stdout), STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Runs `args` to the end; true if it exited 0.
bool Run(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = Start(args, log);
  if (pid < 0) return false;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Events in the store after a kill; DataLoss or Internal if VerifyAll finds
// a profile that is not the fold of its history.
absl::StatusOr<std::int64_t> CheckStore(const std::string& db) {
  ckm::StoreOptions options;
  options.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<ckm::Store>> store =
      ckm::Store::Open(db, options);
  if (!store.ok()) return store.status();
  absl::StatusOr<ckm::StoreReport> report = (*store)->VerifyAll();
  if (!report.ok()) return report.status();
  if (!report->ok()) {
    return absl::InternalError(
        absl::StrCat(report->damaged, " of ", report->customers,
                     " profiles differ from the fold of their history"));
  }
  std::int64_t events = 0;
  absl::Status s = (*store)->ForEachProfile([&](const ckm::Profile& p) {
    events += p.event_count();
    return true;
  });
  if (!s.ok()) return s;
  return events;
}

using Table = std::map<std::string, std::map<std::string, std::string>>;

// An export's rows by customer id.
absl::StatusOr<Table> Export(const std::string& db, const std::string& path,
                             const std::string& log) {
  const std::string command = absl::StrCat(kCli, " export profiles --db ", db,
                                           " --format csv > ", path);
  if (std::system(command.c_str()) != 0)
    return absl::InternalError(absl::StrCat("failed: ", command, "; ", log));
  absl::StatusOr<ckm::tools::CsvReader> reader =
      ckm::tools::CsvReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::vector<std::string> header, row;
  if (!reader->Next(header).value_or(false))
    return absl::InternalError(absl::StrCat(path, ": no header"));
  Table table;
  while (reader->Next(row).value_or(false)) {
    auto& out = table[row[0]];
    for (std::size_t i = 0; i < header.size() && i < row.size(); ++i)
      out[header[i]] = row[i];
  }
  return table;
}

struct Counts {
  std::int64_t lost = 0;
  std::int64_t double_counted = 0;
  std::int64_t mismatched = 0;
};

std::int64_t Number(const std::map<std::string, std::string>& row,
                    const std::string& column) {
  auto it = row.find(column);
  return it == row.end() || it->second.empty() ? 0 : std::stoll(it->second);
}

Counts Compare(const Table& reference, const Table& ours) {
  Counts counts;
  for (const auto& [customer, want] : reference) {
    auto it = ours.find(customer);
    if (it == ours.end()) {
      std::printf("customer %s: lost\n", customer.c_str());
      ++counts.lost;
      ++counts.mismatched;
      continue;
    }
    const auto& have = it->second;
    if (have == want) continue;
    ++counts.mismatched;
    const std::int64_t lines = Number(have, "line_count");
    const std::int64_t orders = Number(have, "event_count");
    std::printf("customer %s: %lld lines and %lld events, want %lld and %lld\n",
                customer.c_str(), static_cast<long long>(lines),
                static_cast<long long>(orders),
                static_cast<long long>(Number(want, "line_count")),
                static_cast<long long>(Number(want, "event_count")));
    if (lines < Number(want, "line_count") ||
        orders < Number(want, "event_count")) {
      ++counts.lost;
    } else if (lines > Number(want, "line_count") ||
               orders > Number(want, "event_count")) {
      ++counts.double_counted;
    }
  }
  for (const auto& [customer, row] : ours) {
    if (reference.count(customer) == 0) {
      std::printf("customer %s: not in the reference\n", customer.c_str());
      ++counts.mismatched;
    }
  }
  return counts;
}

// Records the first purchase of the first customer again, under a new id.
absl::Status InjectDouble(const std::string& db) {
  absl::StatusOr<std::unique_ptr<ckm::Store>> store = ckm::Store::Open(db);
  if (!store.ok()) return store.status();
  std::string customer;
  absl::Status s = (*store)->ForEachProfile([&](const ckm::Profile& p) {
    customer = std::string(p.customer_id());
    return false;
  });
  if (!s.ok()) return s;
  absl::StatusOr<ckm::Events> history = (*store)->History(customer);
  if (!history.ok()) return history.status();
  if (history->empty()) return absl::InternalError("no history to double");
  ckm::Event again = history->front();
  again.id ^= 0x8000'0000'0000'0000ULL;
  std::printf("inject-double: recorded an order of %s twice\n",
              customer.c_str());
  return (*store)->Record(again).status();
}

struct Paths {
  fs::path dir;
  std::string log;     // the imports' output
  std::string subset;  // the rows the reference imports
  std::string input;   // the rows the crashed imports read
  std::string reference_db, db;
};

// Imports the subset once, uninterrupted, into a fresh store; returns the
// export and sets `import_ms` to how long the import took.
absl::StatusOr<Table> MakeReference(const Paths& paths, const Flags& flags,
                                    double& import_ms) {
  const auto started = Clock::now();
  if (!Run(ImportArgs(paths.subset, paths.reference_db, flags.durability),
           paths.log)) {
    return absl::InternalError("the reference import failed; see " + paths.log);
  }
  import_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return Export(paths.reference_db, (paths.dir / "reference.csv").string(),
                paths.log);
}

// A fresh, empty store at `db`.
absl::Status EmptyStore(const std::string& db) {
  fs::remove_all(db);
  return ckm::Store::Open(db).status();
}

// Kills `flags.kills` imports into paths.db, checking the store after each,
// and returns how many left a partial store: more events than before the
// kill, fewer than the whole import. A kill lands 0.2 to 1 times `upper` ms
// after the start; an import that finishes first shrinks `upper` to the
// delay and empties the store, so that the next one has work to be killed in
// (such a run is not counted as a kill).
absl::StatusOr<int> KillImports(const Paths& paths, const Flags& flags,
                                double upper, std::int64_t all_events) {
  // The store exists first, so that no kill lands in its creation.
  if (absl::Status s = EmptyStore(paths.db); !s.ok()) return s;
  std::mt19937_64 rng(flags.seed);
  std::int64_t events = 0;
  int kills = 0, partial = 0;
  for (int run = 1; kills < flags.kills; ++run) {
    if (run > 4 * flags.kills + 4)
      return absl::InternalError("imports keep finishing before the kill");
    const int delay_ms = static_cast<int>(
        std::uniform_real_distribution<double>(0.2 * upper, upper)(rng));
    const pid_t pid =
        Start(ImportArgs(paths.input, paths.db, flags.durability), paths.log);
    if (pid < 0) return absl::InternalError("fork failed");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    absl::StatusOr<std::int64_t> now = CheckStore(paths.db);
    if (!now.ok()) {
      return absl::Status(
          now.status().code(),
          absl::StrCat("after run ", run, ": ", now.status().message()));
    }
    if (!WIFSIGNALED(status)) {
      std::printf("run %d: finished before the kill at %d ms\n", run, delay_ms);
      upper = std::max(delay_ms, 5);
      if (absl::Status s = EmptyStore(paths.db); !s.ok()) return s;
      events = 0;
      continue;
    }
    ++kills;
    const bool is_partial = *now > events && *now < all_events;
    partial += is_partial ? 1 : 0;
    std::printf("run %d: killed at %d ms; %lld of %lld events in the store%s\n",
                run, delay_ms, static_cast<long long>(*now),
                static_cast<long long>(all_events),
                is_partial ? " (part of this import)" : "");
    events = *now;
  }
  return partial;
}

Paths MakePaths(const Flags& flags) {
  Paths paths;
  paths.dir = flags.dir.empty()
                  ? fs::temp_directory_path() /
                        ("ckm-import-crash-" + std::to_string(getpid()))
                  : fs::path(flags.dir);
  paths.log = (paths.dir / "imports.log").string();
  paths.subset = (paths.dir / "subset.csv").string();
  paths.input = flags.inject_loss
                    ? (paths.dir / "input_without_one_invoice.csv").string()
                    : paths.subset;
  paths.reference_db = (paths.dir / "reference").string();
  paths.db = (paths.dir / "store").string();
  return paths;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  const Paths paths = MakePaths(flags);
  fs::remove_all(paths.reference_db);
  fs::remove_all(paths.db);
  fs::remove(paths.log);
  fs::create_directories(paths.dir);
  auto fail = [&](const std::string& why) {
    std::printf("ckm_import_crash_test: %s (kept %s)\n", why.c_str(),
                paths.dir.c_str());
    return 2;
  };

  absl::StatusOr<std::int64_t> rows =
      WriteSubset(paths.subset, flags.rows, false);
  if (!rows.ok()) return fail(rows.status().ToString());
  if (flags.inject_loss && !WriteSubset(paths.input, flags.rows, true).ok())
    return fail("writing the input without one invoice");
  double import_ms = 0;
  absl::StatusOr<Table> reference = MakeReference(paths, flags, import_ms);
  if (!reference.ok()) return fail(reference.status().ToString());
  std::printf(
      "ckm_import_crash_test: %lld rows, %zu customers, %d kills, seed %llu, "
      "durability %s; the reference import took %.0f ms\n",
      static_cast<long long>(*rows), reference->size(), flags.kills,
      static_cast<unsigned long long>(flags.seed), flags.durability.c_str(),
      import_ms);
  std::int64_t all_events = 0;
  for (const auto& [customer, row] : *reference)
    all_events += Number(row, "event_count");
  absl::StatusOr<int> partial_stores =
      KillImports(paths, flags, import_ms, all_events);
  if (!partial_stores.ok()) return fail(partial_stores.status().ToString());

  // The last import, uninterrupted, and the comparison.
  if (!Run(ImportArgs(paths.input, paths.db, flags.durability), paths.log))
    return fail("the last import failed; see " + paths.log);
  if (flags.inject_double) {
    if (absl::Status s = InjectDouble(paths.db); !s.ok())
      return fail("inject-double: " + s.ToString());
  }
  if (absl::Status s = CheckStore(paths.db).status(); !s.ok())
    return fail("after the last import: " + s.ToString());
  absl::StatusOr<Table> ours =
      Export(paths.db, (paths.dir / "export.csv").string(), paths.log);
  if (!ours.ok()) return fail(ours.status().ToString());
  const Counts counts = Compare(*reference, *ours);
  std::printf(
      "{\"kills\":%d,\"partial_stores\":%d,\"customers\":%zu,"
      "\"lost\":%lld,\"double_counted\":%lld,\"mismatched\":%lld,"
      "\"durability\":\"%s\"}\n",
      flags.kills, *partial_stores, ours->size(),
      static_cast<long long>(counts.lost),
      static_cast<long long>(counts.double_counted),
      static_cast<long long>(counts.mismatched), flags.durability.c_str());
  const bool clean =
      counts.lost == 0 && counts.double_counted == 0 && counts.mismatched == 0;
  if (clean && flags.dir.empty()) fs::remove_all(paths.dir);
  return clean ? 0 : 1;
}
