// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// ckm: the command-line tool. Every subcommand works through the public API
// of the library. Exit status 0 on success; on error one line "ckm: ..." on
// stderr and exit status 2 for a usage error (the command line itself is
// wrong) or 1 for any other failure. docs/import.md documents the contract.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <queue>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ckm/event_json.h"
#include "ckm/migrate.h"
#include "ckm/money.h"
#include "ckm/repair.h"
#include "ckm/segment.h"
#include "ckm/store.h"
#include "ckm/version.h"
#include "enum_names.h"
#include "identities.h"
#include "import.h"
#include "policy.h"
#include "quote.h"
#include "record.h"
#include "report.h"
#include "segment.h"
#ifdef CKM_HAVE_SYNC
#include "sync_commands.h"
#endif
#include "timestamp.h"

namespace ckm::tools {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Messages are printed on one line, whatever their source says.
std::string OneLine(absl::string_view message) {
  std::string line(message);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::replace(line.begin(), line.end(), '\r', ' ');
  return line;
}

int Fail(const absl::Status& status) {
  std::cerr << "ckm: " << OneLine(status.message()) << "\n";
  return kExitFailure;
}

// The command line is wrong: an unknown subcommand or flag, a missing
// argument, or a flag value that cannot be used.
int Usage(absl::string_view message) {
  std::cerr << "ckm: " << OneLine(message) << " (see ckm --help)\n";
  return kExitUsage;
}

// `--limit N`: 0 means all, everywhere; a negative number is refused rather
// than wrapped around.
absl::StatusOr<std::size_t> Limit(long long value) {
  if (value < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--limit: must be 0 (all) or a positive number, got ", value));
  }
  return static_cast<std::size_t>(value);
}

// An InvalidArgument of ListHistory about --key, --purpose or --cursor (a
// usage error), with the query's field names replaced by those flags;
// nullopt for any other status.
std::optional<std::string> HistoryFlagError(const absl::Status& status) {
  if (!absl::IsInvalidArgument(status)) return std::nullopt;
  std::string message(status.message());
  for (const auto& [field, flag] :
       {std::pair<std::string, std::string>{"attribute_key", "--key"},
        {"consent_purpose", "--purpose"},
        {"cursor", "--cursor"}}) {
    const std::size_t at = message.find(field);  // before the colon only
    if (at < message.find(':')) message.replace(at, field.size(), flag);
  }
  if (message.rfind("--", 0) != 0) return std::nullopt;
  return message;
}

// Commands that only read open the store as a follower: they never write to
// its directory (a damaged store stays as it is), and they work while
// another process imports into it.
// `audit`: reads append to the access audit, which needs a read-write open.
absl::StatusOr<std::unique_ptr<Store>> OpenExisting(
    const std::string& db, bool writes, std::optional<AccessPolicy> policy,
    bool audit = false) {
  StoreOptions options;
  options.create_if_missing = false;
  if (!writes && !audit) options.access = Access::kFollower;
  options.access_policy = std::move(policy);
  options.access_audit = audit;
  return Store::Open(db, options);
}

// `ckm audit CUSTOMER`: one line per audited read, oldest first.
int PrintAccessLog(const Store& store, const std::string& customer) {
  absl::StatusOr<std::vector<AccessEntry>> log = store.AccessLog(customer);
  if (!log.ok()) return Fail(log.status());
  const auto or_dash = [](const std::string& s) {
    return s.empty() ? std::string("-") : s;
  };
  for (const AccessEntry& e : *log) {
    std::cout << FormatIsoSeconds(e.ts_ms) << "  " << e.call
              << "  role=" << or_dash(e.role)
              << "  purpose=" << or_dash(e.purpose) << "  " << e.outcome
              << "\n";
  }
  return 0;
}

std::string Days(std::optional<std::int64_t> ms) {
  if (!ms) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f days",
                static_cast<double>(*ms) / 86'400'000.0);
  return buf;
}

std::string When(std::optional<std::int64_t> ms) {
  return ms ? FormatIsoSeconds(*ms) : "-";
}

// The readable form of `ckm get`.
void PrintProfile(const Profile& p, std::int64_t now_ms) {
  std::cout << "customer " << p.customer_id() << "\n"
            << "  events " << p.event_count() << ", first seen "
            << FormatIsoSeconds(p.first_seen_ms()) << ", last seen "
            << FormatIsoSeconds(p.last_seen_ms()) << "\n";
  for (const IdentityLink& link : p.identities()) {
    std::cout << "  identity " << ToString(link.type) << " " << link.value
              << "\n";
  }
  const PurchaseSummary s = p.purchases();
  std::cout << "purchases\n"
            << "  orders " << s.orders << ", returns " << s.returns
            << ", lines " << s.lines << " (" << s.returned_lines
            << " returned), units " << s.units << " (" << s.returned_units
            << " returned), distinct products " << s.distinct_products << "\n"
            << "  first " << When(s.first_purchase_ms) << ", last "
            << When(s.last_purchase_ms) << ", mean interval "
            << Days(p.mean_interpurchase_ms()) << ", next expected "
            << When(p.expected_next_purchase_ms()) << "\n"
            << "  recency " << Days(p.recency_ms(now_ms))
            << (s.last_purchase_ms > now_ms
                    ? " (last purchase dated in the future)"
                    : "")
            << "\n";
  for (const CurrencyTotals& c : s.by_currency) {
    const auto aov = c.average_order_value_micros();
    std::cout << "  " << c.currency << ": net " << FormatMicros(c.net_micros())
              << " = gross " << FormatMicros(c.gross_micros)
              << (c.discount_micros != 0
                      ? " - discount " + FormatMicros(c.discount_micros)
                      : std::string())
              << " - returned " << FormatMicros(c.returned_micros) << "; "
              << c.orders << " orders, average "
              << (aov ? FormatCentsHalfEven(*aov) : "-") << ", largest "
              << FormatMicros(c.largest_order_micros) << "\n";
  }
  const InteractionSummary i = p.interactions();
  if (i.count > 0) {
    std::cout << "interactions\n  count " << i.count << ", last "
              << When(i.last_ms) << " via " << ToString(i.last_channel);
    if (auto nps = p.nps()) std::cout << ", NPS " << *nps;
    if (auto r = p.average_rating()) std::cout << ", rating " << *r;
    if (auto se = p.average_sentiment()) std::cout << ", sentiment " << *se;
    std::cout << "\n";
  }
  const LoyaltySummary l = p.loyalty();
  if (l.enrolled_ms || l.earned || l.tier.size()) {
    std::cout << "loyalty\n  balance " << l.balance() << " (earned " << l.earned
              << ", redeemed " << l.redeemed << ", expired " << l.expired
              << "), tier " << (l.tier.empty() ? "-" : l.tier) << " since "
              << When(l.tier_since_ms) << "\n";
  }
  for (const AttributeState& a : p.attributes()) {
    std::cout << "attribute " << a.key << " = ";
    std::visit([](const auto& v) { std::cout << v; }, a.value);
    std::cout << " (" << ToString(a.provenance) << ", " << a.confidence
              << "%)\n";
  }
  for (const ConsentState& c : p.consents()) {
    std::cout << "consent " << c.purpose << " "
              << (c.granted ? "granted" : "withdrawn") << " "
              << FormatIsoSeconds(c.ts_ms) << "\n";
  }
  if (!p.redacted().empty()) {
    std::cout << "redacted by the access policy:";
    for (DataPart part : p.redacted()) std::cout << " " << ToString(part);
    std::cout << "\n";
  }
  if (p.corrupt_operands() > 0) {
    std::cout << "WARNING: " << p.corrupt_operands()
              << " corrupt update(s) left out; run `ckm rebuild`\n";
  }
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Progress on stderr, only when it is a terminal.
// Progress of a long import on a terminal: rows, rows/s, the share of bytes
// read and the time left, from the first two seconds on. Silent when stderr
// is not a terminal, or with --quiet.
class Progress {
 public:
  explicit Progress(bool quiet)
      : enabled_(!quiet && isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()) {}
  void Update(std::int64_t rows, std::int64_t bytes, std::int64_t total) {
    const double s = Seconds();
    if (!enabled_ || s < 2) return;
    shown_ = true;
    const double share = total > 0 ? static_cast<double>(bytes) / total : 0;
    std::fprintf(stderr, "\r%lld rows, %.0f rows/s, %.0f%% read",
                 static_cast<long long>(rows), rows / s, 100 * share);
    if (share > 0 && share < 1) {
      std::fprintf(stderr, ", %.0f s left", s * (1 - share) / share);
    }
    std::fprintf(stderr, "   ");
  }
  void Done() {
    if (shown_) std::fprintf(stderr, "\n");
  }
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start_)
        .count();
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

Durability DurabilityNamed(const std::string& name) {
  return name == "sync"       ? Durability::kSync
         : name == "buffered" ? Durability::kBuffered
                              : Durability::kNone;
}

// `ckm record [FILE...]`: JSON Lines from the files, or from standard input
// when there are none (or a file is "-"). Like `ckm import`, it creates the
// store if needed and removes a store it created when it fails.
int RecordCommand(const std::string& db, const std::vector<std::string>& files,
                  const std::string& durability) {
  std::vector<std::unique_ptr<std::ifstream>> streams;
  std::vector<JsonInput> inputs;
  for (const std::string& file : files) {
    if (file == "-") {
      inputs.push_back({"-", &std::cin});
      continue;
    }
    auto in = std::make_unique<std::ifstream>(file);
    if (std::filesystem::is_directory(file) || !*in) {
      return Fail(absl::NotFoundError(absl::StrCat(
          "cannot read ", QuoteForError(file), ": ",
          std::filesystem::is_directory(file) ? "is a directory"
                                              : std::strerror(errno))));
    }
    inputs.push_back({file, in.get()});
    streams.push_back(std::move(in));
  }
  if (files.empty()) inputs.push_back({"-", &std::cin});
  std::error_code ec;
  const bool creates_dir = !std::filesystem::exists(db, ec) && !ec;
  auto fail = [&](const absl::Status& status, std::unique_ptr<Store> store) {
    store.reset();  // closed before its files are removed
    if (creates_dir) std::filesystem::remove_all(db, ec);
    return Fail(status);
  };
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(db);
  if (!store.ok()) return fail(store.status(), nullptr);
  RecordJsonOptions options;
  options.durability = DurabilityNamed(durability);
  absl::StatusOr<RecordJsonSummary> summary =
      RecordJsonLines(**store, inputs, options);
  if (!summary.ok()) return fail(summary.status(), *std::move(store));
  std::cout << "read " << summary->lines << " lines, " << summary->events
            << " events: " << summary->recorded << " recorded, "
            << summary->already_recorded << " already recorded";
  if (summary->merges > 0)
    std::cout << "; " << summary->merges << " merged as their export was";
  std::cout << "\n";
  return 0;
}

// `ckm migrate OLD NEW`.
int Migrate(const std::string& from, const std::string& to) {
  absl::StatusOr<MigrateReport> r = MigrateStore(from, to);
  if (!r.ok()) return Fail(r.status());
  std::cout << "migrated " << r->events << " events of " << r->customers
            << " customers from format " << r->from_format << " into \"" << to
            << "\"\n"
            << "profiles equal to the old store's: "
            << r->profiles_compared - r->profiles_differing << " of "
            << r->profiles_compared << "\n";
  if (r->profiles_differing > 0) {
    std::cerr << "ckm: warning: " << r->profiles_differing
              << " old profiles differed from the fold of their own history "
                 "(the new store holds the fold), first: "
              << r->differing.front() << "\n";
  }
  PrintStoreReport(r->verify, false, std::cout);
  return r->verify.ok() ? 0 : 1;
}

// `ckm repair DIR`.
int Repair(const std::string& dir) {
  absl::StatusOr<RepairReport> r = RepairStore(dir);
  if (!r.ok()) return Fail(r.status());
  std::cout << "copied \"" << dir << "\" to \"" << r->backup_dir
            << "\" before repairing\n";
  PrintStoreReport(r->rebuilt, true, std::cout);
  return 0;
}

// Who `ckm merge` and friends record as the actor: the user running it.
std::string Actor() {
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? user : "ckm";
}

// `ckm merge`, `ckm unmerge`, `ckm unlink`: what they did.
int Changed(const absl::Status& status, const std::string& what) {
  if (!status.ok()) return Fail(status);
  std::cout << what << "\n";
  return 0;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"ckm: customer profiles in a local store"};
  app.require_subcommand(1);
  app.set_version_flag(
      "--version",
      absl::StrCat("ckm ", kVersion, " (store format ", kStoreFormat, ")"));
  bool quiet = false;
  app.add_flag("--quiet,-q", quiet, "no progress display")->configurable(false);
  std::string db;
  auto add_db = [&](CLI::App* sub) {
    sub->add_option("--db", db, "store directory")->required();
  };

  // import purchases|interactions|loyalty|attributes|consents|identities
  CLI::App* import = app.add_subcommand("import", "import events from files");
  import->require_subcommand(1);
  std::vector<std::string> files;
  std::string map_text, delimiter = ",", durability = "none";
  ImportOptions import_options;
  std::string date_order;
  std::vector<std::pair<CLI::App*, EventKind>> import_kinds;
  auto add_date_order = [&](CLI::App* sub) {
    sub->add_option("--date-order", date_order,
                    "dmy or mdy: how to read dates written A/B/YYYY whose day "
                    "and month could be either way round (default: refuse "
                    "them)")
        ->check(CLI::IsMember({"dmy", "mdy"}));
  };

  CLI::App* record = app.add_subcommand(
      "record", "record events given as JSON Lines (docs/json.md)");
  std::vector<std::string> record_files;
  record->add_option("FILE", record_files,
                     "JSON Lines files, or - for standard input (default)");
  add_db(record);
  record
      ->add_option("--durability", durability,
                   "none (default), buffered or sync")
      ->check(CLI::IsMember({"none", "buffered", "sync"}));

  // The access context of a read (docs/privacy.md).
  ReadOptions read;
  std::string policy_file;
  bool audit_reads = false;
  auto add_access = [&](CLI::App* sub) {
    sub->add_option("--for", read.purpose,
                    "the purpose of the read, checked against consent");
    sub->add_option("--role", read.role, "who reads it");
    sub->add_option("--policy", policy_file,
                    "access policy file (default: none, everything visible)");
    sub->add_flag("--audit", audit_reads,
                  "append the read to the customer's access audit (opens the "
                  "store read-write)");
  };

  for (const auto& [name, kind, what] :
       {std::tuple{"purchases", EventKind::kPurchase,
                   "purchase lines (rows of one order make one event)"},
        std::tuple{"interactions", EventKind::kInteraction, "interactions"},
        std::tuple{"loyalty", EventKind::kLoyalty, "loyalty events"},
        std::tuple{"attributes", EventKind::kAttribute, "attribute changes"},
        std::tuple{"consents", EventKind::kConsent, "consent changes"},
        std::tuple{"identities", EventKind::kIdentity, "identity links"}}) {
    CLI::App* sub = import->add_subcommand(
        name, absl::StrCat("import ", what, " from CSV (plain or .gz)"));
    import_kinds.emplace_back(sub, kind);
    sub->add_option("FILE", files, "CSV files")->required();
    add_db(sub);
    sub->add_option(
        "--map", map_text,
        absl::StrCat("FIELD=COLUMN,... (fields: ",
                     absl::StrJoin(ImportFieldsOf(kind), ", "), ")"));
    sub->add_option("--delimiter", delimiter, "field delimiter (default ,)");
    sub->add_option("--time-format", import_options.time_format,
                    "strftime-style format of the ts column");
    add_date_order(sub);
    if (kind == EventKind::kPurchase) {
      sub->add_option("--currency", import_options.currency,
                      "ISO 4217 currency of rows without one");
    }
    sub->add_flag("--quiet,-q", quiet, "no progress display");
    sub->add_flag("--skip-bad-rows", import_options.skip_bad_rows,
                  "skip and count malformed rows instead of stopping");
    sub->add_option("--durability", durability,
                    "none (default), buffered or sync")
        ->check(CLI::IsMember({"none", "buffered", "sync"}));
  }
  std::string customer, identity_ref;
  // Commands that take a customer take it by id or, with --identity, by one
  // of its identities.
  auto add_customer = [&](CLI::App* sub, const char* what) {
    sub->add_option("CUSTOMER", customer, what);
    sub->add_option("--identity", identity_ref,
                    "TYPE=VALUE instead of CUSTOMER (email, phone, "
                    "loyalty_card or external_id)");
  };
  CLI::App* get =
      app.add_subcommand("get", "show a customer's 360-degree profile");
  bool json = false;
  add_customer(get, "customer id");
  add_db(get);
  get->add_flag("--json", json, "print the profile as JSON");
  add_access(get);

  CLI::App* history =
      app.add_subcommand("history", "list a customer's events, newest first");
  std::string kind, since, history_cursor;
  HistoryQuery history_query;
  long long limit = 20;
  add_customer(history, "customer id");
  add_db(history);
  history->add_option(
      "--kind", kind,
      "purchase, interaction, loyalty, attribute, consent, identity");
  history->add_option("--since", since, "only events at or after this time");
  add_date_order(history);
  history->add_option("--limit", limit,
                      "at most this many (0: all; default 20)");
  history->add_option("--key", history_query.attribute_key,
                      "only the attribute events that set this key");
  history->add_option("--purpose", history_query.consent_purpose,
                      "only the consent events for this purpose");
  history->add_option("--cursor", history_cursor,
                      "the next page: the cursor the previous page printed");
  std::string history_format = "text";
  history->add_option("--format", history_format, "text (default) or jsonl")
      ->check(CLI::IsMember({"text", "jsonl"}));
  add_access(history);

  CLI::App* products =
      app.add_subcommand("products", "a customer's per-product breakdown");
  add_customer(products, "customer id");
  add_db(products);
  add_access(products);

  CLI::App* export_cmd = app.add_subcommand("export", "export data");
  export_cmd->require_subcommand(1);
  CLI::App* export_profiles =
      export_cmd->add_subcommand("profiles", "one row per customer");
  std::string format = "csv";
  add_db(export_profiles);
  export_profiles->add_option("--format", format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  add_access(export_profiles);
  export_profiles->add_flag("--quiet,-q", quiet, "no progress display");
  CLI::App* export_customer = export_cmd->add_subcommand(
      "customer", "everything held on one customer, as one JSON document");
  export_customer->add_option("CUSTOMER", customer)->required();
  add_db(export_customer);
  add_access(export_customer);

  CLI::App* erase = app.add_subcommand(
      "erase", "erase a customer everywhere (docs/privacy.md)");
  std::string reason;
  erase->add_option("CUSTOMER", customer)->required();
  add_db(erase);
  erase
      ->add_option("--reason", reason,
                   "why, for the erasure log; no personal data")
      ->required();
  CLI::App* erasures =
      app.add_subcommand("erasures", "the erasure audit log, oldest first");
  add_db(erasures);
  CLI::App* audit = app.add_subcommand(
      "audit", "who read a customer, why and when (the access audit)");
  audit->add_option("CUSTOMER", customer)->required();
  add_db(audit);

  CLI::App* top = app.add_subcommand("top", "the most valuable customers");
  std::string by = "net_spend", currency;
  long long top_limit = 10;
  add_db(top);
  top->add_option("--by", by, "net_spend, orders or recency")
      ->check(CLI::IsMember({"net_spend", "orders", "recency"}));
  top->add_option("--limit", top_limit, "how many (0: all; default 10)");
  top->add_option("--currency", currency,
                  "ISO 4217 currency of net_spend, any case (default: the "
                  "most common)");
  std::string where, now_text;
  auto add_where_now = [&](CLI::App* sub) {
    sub->add_option("--where", where,
                    "only customers satisfying this predicate, e.g. "
                    "'net_spend(GBP) > 1000 and recency_days > 90' "
                    "(docs/segments.md)");
    sub->add_option("--now", now_text,
                    "the time recency is measured to (default: the clock)");
  };
  add_where_now(top);

  CLI::App* segment = app.add_subcommand(
      "segment",
      "customers satisfying a predicate, sorted, one page at a time");
  SegmentFlags segment_flags;
  long long segment_limit = 100;
  add_db(segment);
  add_where_now(segment);
  segment->add_option("--sort", segment_flags.sort,
                      "FIGURE [asc|desc], e.g. 'net_spend(GBP)' (default: by "
                      "customer id; desc unless asc)");
  segment->add_option("--limit", segment_limit,
                      "at most this many rows (0: all; default 100)");
  segment->add_option("--cursor", segment_flags.cursor,
                      "the next page: the cursor the previous page printed");
  segment->add_option("--columns", segment_flags.columns,
                      "figures to print, comma-separated (default: those of "
                      "--sort and --where)");
  segment->add_option("--format", format, "csv (default) or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}));

  CLI::App* stats =
      app.add_subcommand("stats", "sizes and counts of the store");
  add_db(stats);
  CLI::App* verify =
      app.add_subcommand("verify", "check profiles against their history");
  add_db(verify);
  add_customer(verify, "one customer (default: all)");
  CLI::App* rebuild =
      app.add_subcommand("rebuild", "recompute damaged profiles from history");
  add_db(rebuild);
  add_customer(rebuild, "one customer (default: all damaged)");

  CLI::App* identities = app.add_subcommand(
      "identities", "a customer's identities, aliases and merge history");
  add_customer(identities, "customer id");
  add_db(identities);

  std::string survivor, absorbed, actor = Actor();  // and `reason`, above
  auto add_change = [&](CLI::App* sub, bool reason_required) {
    add_db(sub);
    CLI::Option* r = sub->add_option("--reason", reason, "why, for the record");
    if (reason_required) r->required();
    sub->add_option("--actor", actor, "who, for the record (default: $USER)");
  };
  CLI::App* merge = app.add_subcommand(
      "merge", "merge customer ABSORBED into SURVIVOR (docs/identity.md)");
  merge->add_option("SURVIVOR", survivor)->required();
  merge->add_option("ABSORBED", absorbed)->required();
  add_change(merge, true);
  CLI::App* unmerge =
      app.add_subcommand("unmerge", "undo the merge of ABSORBED into SURVIVOR");
  unmerge->add_option("SURVIVOR", survivor)->required();
  unmerge->add_option("ABSORBED", absorbed)->required();
  add_change(unmerge, true);
  CLI::App* unlink =
      app.add_subcommand("unlink", "unlink an identity from its customer");
  std::string unlink_type, unlink_value;
  unlink
      ->add_option("TYPE", unlink_type,
                   "email, phone, loyalty_card or external_id")
      ->required();
  unlink->add_option("VALUE", unlink_value)->required();
  add_change(unlink, false);

  CLI::App* migrate = app.add_subcommand(
      "migrate", "rebuild a store of an older format into a new directory");
  std::string migrate_from, migrate_to;
  migrate->add_option("OLD", migrate_from, "the old store (read only)")
      ->required();
  migrate->add_option("NEW", migrate_to, "the new store's directory")
      ->required();

  CLI::App* repair = app.add_subcommand(
      "repair",
      "rebuild a damaged store's CURRENT and MANIFEST, after copying it");
  std::string repair_dir;
  repair->add_option("DIR", repair_dir, "the store's directory")->required();

#ifdef CKM_HAVE_SYNC
  SyncCommands sync_commands(app);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and friends print what was asked for and succeed; every other
    // parse error is a usage error in the one-line form.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
      return app.exit(e);
    return Usage(e.what());
  }

  const DateOrder order = date_order == "dmy"   ? DateOrder::kDayFirst
                          : date_order == "mdy" ? DateOrder::kMonthFirst
                                                : DateOrder::kUnambiguous;
  std::optional<EventKind> import_kind;
  for (const auto& [sub, kind] : import_kinds) {
    if (sub->parsed()) import_kind = kind;
  }
  if (import_kind) {
    import_options.date_order = order;
    if (delimiter == "\\t" || delimiter == "tab") delimiter = "\t";
    if (delimiter.size() != 1) return Usage("--delimiter: one character");
    import_options.delimiter = delimiter[0];
    if (!map_text.empty()) {
      absl::StatusOr<std::map<std::string, std::string>> columns =
          ParseColumnMap(map_text, ImportFieldsOf(*import_kind));
      if (!columns.ok()) return Usage(columns.status().message());
      import_options.columns = *std::move(columns);
    }
    if (!import_options.currency.empty()) {
      import_options.currency = absl::AsciiStrToUpper(import_options.currency);
      if (!IsIsoCurrency(import_options.currency)) {
        return Usage("--currency: not an ISO 4217 currency code: " +
                     QuoteForError(import_options.currency));
      }
    }
    // Before the store is opened, so that a missing file creates nothing.
    for (const std::string& file : files) {
      if (std::filesystem::is_directory(file) || !std::ifstream(file)) {
        return Fail(absl::NotFoundError(absl::StrCat(
            "cannot read ", QuoteForError(file), ": ",
            std::filesystem::is_directory(file) ? "is a directory"
                                                : std::strerror(errno))));
      }
    }
    import_options.durability = DurabilityNamed(durability);
    // A store this command creates is removed again if the import fails, so
    // that a failed command leaves nothing behind. An existing directory is
    // never removed.
    std::error_code ec;
    const bool creates_dir = !std::filesystem::exists(db, ec) && !ec;
    auto fail_import = [&](const absl::Status& status,
                           std::unique_ptr<Store> store) {
      store.reset();  // closed before its files are removed
      if (creates_dir) std::filesystem::remove_all(db, ec);
      return Fail(status);
    };
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(db);
    if (!store.ok()) return fail_import(store.status(), nullptr);
    Progress progress(quiet);
    import_options.progress = [&](std::int64_t rows, std::int64_t bytes,
                                  std::int64_t total) {
      progress.Update(rows, bytes, total);
    };
    absl::StatusOr<ImportSummary> summary =
        ImportEvents(**store, *import_kind, files, import_options);
    progress.Done();
    if (!summary.ok()) return fail_import(summary.status(), *std::move(store));
    PrintImportSummary(*summary, progress.Seconds(), std::cout);
    return 0;
  }

#ifdef CKM_HAVE_SYNC
  if (std::optional<int> status = sync_commands.Run()) return *status;
#endif
  if (record->parsed()) return RecordCommand(db, record_files, durability);
  if (migrate->parsed()) return Migrate(migrate_from, migrate_to);
  if (repair->parsed()) return Repair(repair_dir);

  // Flag values are checked before the store is opened: a usage error is
  // reported as one, whatever the store's state.
  const absl::StatusOr<std::size_t> history_limit = Limit(limit);
  if (!history_limit.ok()) return Usage(history_limit.status().message());
  const absl::StatusOr<std::size_t> top_n = Limit(top_limit);
  if (!top_n.ok()) return Usage(top_n.status().message());
  std::int64_t now_ms = NowMs();
  if (!now_text.empty()) {
    absl::StatusOr<std::int64_t> t = ParseTimestamp(now_text, {}, order);
    if (!t.ok()) return Usage("--now: " + std::string(t.status().message()));
    now_ms = *t;
  }
  absl::StatusOr<Predicate> predicate = Predicate::Parse(where);
  if (!predicate.ok())
    return Usage("--" + std::string(predicate.status().message()));
  const absl::StatusOr<std::size_t> segment_n = Limit(segment_limit);
  if (!segment_n.ok()) return Usage(segment_n.status().message());
  segment_flags.where = where;
  segment_flags.limit = *segment_n;
  segment_flags.now_ms = now_ms;
  absl::StatusOr<SegmentQuery> segment_query = SegmentQueryOf(segment_flags);
  if (segment->parsed() && !segment_query.ok())
    return Usage(segment_query.status().message());
  if (!currency.empty()) {
    currency = absl::AsciiStrToUpper(currency);
    if (!IsIsoCurrency(currency)) {
      return Usage("--currency: not an ISO 4217 currency code: " +
                   QuoteForError(currency));
    }
  }
  std::optional<std::pair<IdentityType, std::string>> by_identity;
  if (!identity_ref.empty()) {
    if (!customer.empty())
      return Usage("give CUSTOMER or --identity, not both");
    absl::StatusOr<std::pair<IdentityType, std::string>> ref =
        ParseIdentityRef(identity_ref, "--identity");
    if (!ref.ok()) return Usage(ref.status().message());
    by_identity = *std::move(ref);
  } else if (customer.empty() && !verify->parsed() && !rebuild->parsed() &&
             (get->parsed() || history->parsed() || products->parsed() ||
              identities->parsed())) {
    return Usage("CUSTOMER or --identity is required");
  }
  std::optional<IdentityType> unlink_as;
  if (unlink->parsed()) {
    absl::StatusOr<IdentityType> t = ParseIdentityType(unlink_type, "TYPE");
    if (!t.ok()) return Usage(t.status().message());
    unlink_as = *t;
  }
  const bool writes = rebuild->parsed() || merge->parsed() ||
                      unmerge->parsed() || unlink->parsed() || erase->parsed();
  absl::StatusOr<std::optional<AccessPolicy>> policy = LoadPolicy(policy_file);
  if (!policy.ok()) return Fail(policy.status());
  absl::StatusOr<std::unique_ptr<Store>> opened =
      OpenExisting(db, writes, *std::move(policy), audit_reads);
  if (!opened.ok()) return Fail(opened.status());
  Store& store = **opened;
  if (by_identity) {
    absl::StatusOr<std::string> id =
        store.Resolve(by_identity->first, by_identity->second, read);
    if (!id.ok()) return Fail(id.status());
    customer = *std::move(id);
  }
  IdentityChangeOptions change;
  change.actor = actor;
  change.reason = reason;
  if (merge->parsed()) {
    return Changed(store.Merge(survivor, absorbed, change),
                   absl::StrCat("merged ", absorbed, " into ", survivor));
  }
  if (unmerge->parsed()) {
    return Changed(store.Unmerge(survivor, absorbed, change),
                   absl::StrCat("unmerged ", absorbed, " from ", survivor));
  }
  if (unlink->parsed()) {
    return Changed(store.Unlink(*unlink_as, unlink_value, change),
                   absl::StrCat("unlinked ", unlink_type, " ", unlink_value));
  }
  if (identities->parsed()) {
    absl::StatusOr<CustomerIdentities> ids = store.Identities(customer);
    if (!ids.ok()) return Fail(ids.status());
    PrintIdentities(*ids, std::cout);
    return 0;
  }

  if (get->parsed()) {
    absl::StatusOr<Profile> profile = store.Get(customer, read);
    if (!profile.ok()) return Fail(profile.status());
    if (json) {
      std::cout << profile->ToJson(NowMs()) << "\n";
    } else {
      PrintProfile(*profile, NowMs());
    }
    return 0;
  }
  if (history->parsed()) {
    HistoryQuery query = history_query;
    query.cursor = history_cursor;
    query.limit = *history_limit;
    if (!kind.empty()) {
      const std::optional<EventKind> k = EnumNamed<EventKind>(kind);
      if (!k) return Usage("--kind: unknown kind " + QuoteForError(kind));
      query.kind = k;
    }
    if (!since.empty()) {
      absl::StatusOr<std::int64_t> t = ParseTimestamp(since, {}, order);
      if (!t.ok())
        return Usage("--since: " + std::string(t.status().message()));
      query.range.since_ms = *t;
    }
    absl::StatusOr<HistoryPage> page = store.ListHistory(customer, query, read);
    if (std::optional<std::string> flag = HistoryFlagError(page.status()))
      return Usage(*flag);
    if (!page.ok()) return Fail(page.status());
    for (const Event& e : page->events) {
      if (history_format == "jsonl") {
        std::cout << EventToJson(e) << "\n";
      } else {
        PrintEventLine(e, std::cout);
      }
    }
    // A page cut by --limit says so, with the flag that continues it.
    if (!page->next_cursor.empty())
      std::cerr << "next page: --cursor " << page->next_cursor << "\n";
    return 0;
  }
  if (products->parsed()) {
    absl::StatusOr<std::vector<BreakdownEntry>> entries =
        store.Breakdown(customer, Dimension::kProduct, read);
    if (!entries.ok()) return Fail(entries.status());
    PrintProducts(*entries, std::cout);
    return 0;
  }
  if (export_profiles->parsed()) {
    // Progress by customers, against the store's estimate of how many.
    absl::StatusOr<StoreStats> stats = store.Stats();
    const std::int64_t total = stats.ok() ? stats->customers : 0;
    Progress progress(quiet);
    absl::Status s = ExportProfiles(
        store, format == "jsonl", std::cout, read, [&](std::int64_t rows) {
          progress.Update(rows, std::min(rows, total), total);
        });
    progress.Done();
    return s.ok() ? 0 : Fail(s);
  }
  if (export_customer->parsed()) {
    absl::StatusOr<std::string> doc = store.Export(customer, NowMs(), read);
    if (!doc.ok()) return Fail(doc.status());
    std::cout << *doc << "\n";
    return 0;
  }
  if (erase->parsed()) {
    absl::StatusOr<ErasureResult> r = store.Erase(customer, reason);
    if (!r.ok()) return Fail(r.status());
    std::cout << "erased " << r->events << " events and " << r->identities
              << " identities";
    if (r->customers > 1)
      std::cout << " of " << r->customers << " merged customers";
    std::cout << "; the store's files no longer hold them\n";
    return 0;
  }
  if (audit->parsed()) return PrintAccessLog(store, customer);
  if (erasures->parsed()) {
    absl::StatusOr<std::vector<ErasureEntry>> log = store.Erasures();
    if (!log.ok()) return Fail(log.status());
    for (const ErasureEntry& e : *log) {
      std::cout << e.sequence << "  " << FormatIsoSeconds(e.erased_ms) << "  "
                << e.id_hash << "  " << e.events << " events, " << e.identities
                << " identities  " << e.reason;
      if (e.customers > 1)
        std::cout << "  (one of " << e.customers << " merged customers)";
      std::cout << "\n";
    }
    return 0;
  }
  if (top->parsed()) {
    absl::Status s =
        PrintTop(store, by, *top_n, currency, now_ms, *predicate, std::cout);
    return s.ok() ? 0 : Fail(s);
  }
  if (segment->parsed()) {
    absl::StatusOr<SegmentPage> page = SelectSegment(store, *segment_query);
    // InvalidArgument: a --cursor of another query, or not a cursor.
    if (absl::IsInvalidArgument(page.status()))
      return Usage(absl::StrCat("--", page.status().message()));
    if (!page.ok()) return Fail(page.status());
    PrintSegment(*segment_query, *page, format == "jsonl", std::cout);
    // The next page's flag on stderr, so that stdout stays one table.
    if (!page->next_cursor.empty())
      std::cerr << "next page: --cursor " << page->next_cursor << "\n";
    return 0;
  }
  if (stats->parsed()) {
    absl::StatusOr<StoreStats> st = store.Stats();
    if (!st.ok()) return Fail(st.status());
    PrintStats(*st, std::cout);
    return 0;
  }
  if (verify->parsed() || rebuild->parsed()) {
    const bool repair = rebuild->parsed();
    if (!customer.empty()) {
      absl::StatusOr<CustomerReport> r =
          repair ? store.Rebuild(customer) : store.Verify(customer);
      if (!r.ok()) return Fail(r.status());
      PrintCustomerReport(*r, repair, std::cout);
      return r->ok() || repair ? 0 : 1;
    }
    absl::StatusOr<StoreReport> r =
        repair ? store.RebuildAll() : store.VerifyAll();
    if (!r.ok()) return Fail(r.status());
    PrintStoreReport(*r, repair, std::cout);
    return r->ok() || repair ? 0 : 1;
  }
  return 0;
}

}  // namespace ckm::tools

int main(int argc, char** argv) { return ckm::tools::Main(argc, argv); }
