// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// `ckm segment` and `ckm top --where` as a user meets them: CSV and JSON
// lines, pages followed by their cursor, and the error contract (one line
// "ckm: ...", exit 2 for a flag that cannot be used, 1 otherwise), with the
// store's files unchanged by every command.

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "test_util.h"
#include "tools/cli_runner.h"

namespace ckm {
namespace {

using ckm_test::Ckm;
using ckm_test::TempDir;

constexpr std::int64_t kJan2026 = 1'767'225'600'000;  // 2026-01-01T00:00Z
constexpr std::int64_t kDay = 86'400'000;

using Split = ckm_test::SplitResult;

// Runs ckm with stdout and stderr kept apart.
Split Run(const TempDir& dir, const std::string& args) {
  return ckm_test::CkmSplit(dir, args);
}

// Five customers: c1..c5 spend 10, 20, .. 50 GBP, 10 * i days before
// 2026-01-01; odd ones consent to email; c2 is gold and lives in London.
void Populate(const std::string& db) {
  auto store = Store::Open(db);
  REQUIRE_OK(store);
  std::vector<Event> events;
  for (int i = 1; i <= 5; ++i) {
    const std::string id = "c" + std::to_string(i);
    Event e;
    e.id = i;
    e.customer = CustomerRef::Id(id);
    e.ts_ms = kJan2026 - 10 * i * kDay;
    Purchase p;
    p.currency = "GBP";
    p.lines.push_back({"sku", "", 1, i * 10'000'000});
    e.body = p;
    events.push_back(e);
    e.id = 100 + i;
    e.body = Consent{"marketing.email", i % 2 == 1};
    events.push_back(e);
  }
  Event e;
  e.id = 200;
  e.customer = CustomerRef::Id("c2");
  e.ts_ms = kJan2026 - kDay;
  e.body = Loyalty{LoyaltyKind::kTierChange, 0, "gold", ""};
  events.push_back(e);
  e.id = 201;
  e.body = Attribute{"demographic.city", std::string("London, UK")};
  events.push_back(e);
  REQUIRE_OK((*store)->Record(events));
}

TEST_CASE("ckm segment: CSV, JSON lines and pages") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  Populate(dir.sub("db"));
  const auto before = ckm_test::FilesOf(dir.sub("db"));

  Split r = Run(dir, "segment" + db +
                         " --where 'consent(marketing.email) or tier = "
                         "\"gold\"' --sort 'net_spend(gbp)' --limit 2 "
                         "--now 2026-01-01");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "customer_id,net_spend(GBP),consent(marketing.email),tier\n"
        "c5,50.00,true,\n"
        "c3,30.00,true,\n");
  const std::string prefix = "next page: --cursor ";
  REQUIRE(r.err.rfind(prefix, 0) == 0);
  const std::string cursor =
      r.err.substr(prefix.size(), r.err.size() - prefix.size() - 1);
  r = Run(dir, "segment" + db +
                   " --where 'consent(marketing.email) or tier = \"gold\"' "
                   "--sort 'net_spend(GBP) desc' --limit 2 --now 2026-01-01 "
                   "--cursor " +
                   cursor);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "customer_id,net_spend(GBP),consent(marketing.email),tier\n"
        "c2,20.00,false,gold\n"
        "c1,10.00,true,\n");
  CHECK(r.err.empty());  // the last page says nothing more

  r = Run(dir, "segment" + db +
                   " --where 'recency_days > 25' --sort 'recency_days asc' "
                   "--now 2026-01-01 --format jsonl --columns "
                   "'recency_days, attr(demographic.city), net_spend(GBP)'");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "{\"customer_id\":\"c3\",\"recency_days\":30.000000,"
        "\"attr(demographic.city)\":null,\"net_spend(GBP)\":\"30.00\"}\n"
        "{\"customer_id\":\"c4\",\"recency_days\":40.000000,"
        "\"attr(demographic.city)\":null,\"net_spend(GBP)\":\"40.00\"}\n"
        "{\"customer_id\":\"c5\",\"recency_days\":50.000000,"
        "\"attr(demographic.city)\":null,\"net_spend(GBP)\":\"50.00\"}\n");

  // A text with a comma is quoted in CSV; no --where: everyone, by id.
  r = Run(dir, "segment" + db + " --columns 'attr(demographic.city)'");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "customer_id,attr(demographic.city)\nc1,\nc2,\"London, UK\"\nc3,\n"
        "c4,\nc5,\n");
  r = Run(dir, "segment" + db + " --limit 0 --where 'orders > 5'");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "customer_id,orders\n");

  CHECK(ckm_test::FilesOf(dir.sub("db")) == before);
}

TEST_CASE("ckm top: --where and --now") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  Populate(dir.sub("db"));
  Split r = Run(dir, "top" + db +
                         " --where 'consent(marketing.email)' --limit 2 "
                         "--now 2026-01-01");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "1. c5  orders 1  net 50.00 GBP  last purchase 2025-11-12T00:00:00 "
        "(50 days ago)\n"
        "2. c3  orders 1  net 30.00 GBP  last purchase 2025-12-02T00:00:00 "
        "(30 days ago)\n");
  r = Run(dir, "top --by recency" + db +
                   " --where 'not consent(marketing.email)' --now 2025-12-31");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "1. c2  orders 1  net 20.00 GBP  last purchase 2025-12-12T00:00:00 "
        "(19 days ago)\n"
        "2. c4  orders 1  net 40.00 GBP  last purchase 2025-11-22T00:00:00 "
        "(39 days ago)\n");
  r = Run(dir, "top" + db + " --where 'orders > 3'");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "no customer satisfying --where has purchases\n");
  r = Run(dir, "top --currency gbp" + db + " --where 'orders > 3'");
  CHECK(r.out == "no customer satisfying --where has purchases in GBP\n");
  r = Run(dir, "top" + db + " --where 'orders >'");
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "ckm: --where, column 9: expected a value (a number, a \"quoted "
        "string\", true or false), found end of input (see ckm --help)\n");
}

TEST_CASE("ckm segment: every error is one line, and nothing is written") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  Populate(dir.sub("db"));
  const auto before = ckm_test::FilesOf(dir.sub("db"));
  struct Case {
    std::string args;
    int exit_code;
    std::string err;
  };
  const std::vector<Case> cases = {
      {"segment" + db + " --where 'orders >> 1'", 2,
       "ckm: --where, column 9: expected a value (a number, a \"quoted "
       "string\", true or false), found \">\" (see ckm --help)"},
      {"segment" + db + " --sort 'net_spend(XXX)'", 2,
       "ckm: --sort, column 11: net_spend needs a currency, as in (GBP); "
       "\"XXX\" is not one (see ckm --help)"},
      {"segment" + db + " --sort 'orders sideways'", 2,
       "ckm: --sort, column 8: expected asc, desc or the end, found "
       "\"sideways\" (see ckm --help)"},
      {"segment" + db + " --columns 'orders,,tier'", 2,
       "ckm: --columns: figure, column 1: expected a figure, found end of "
       "input (see ckm --help)"},
      {"segment" + db + " --now yesterday", 2,
       "ckm: --now: timestamp \"yesterday\": expected YYYY-MM-DD[ "
       "HH:MM[:SS[.fff]]], ISO 8601, M/D/YYYY[ H:MM[:SS]] (or D/M/YYYY) or "
       "YYYYMMDD (see ckm --help)"},
      {"segment" + db + " --limit -1", 2,
       "ckm: --limit: must be 0 (all) or a positive number, got -1 (see ckm "
       "--help)"},
      {"segment" + db + " --cursor AAAA", 2,
       "ckm: --cursor: not a cursor this query's pages gave (malformed) (see "
       "ckm --help)"},
      {"segment" + db + " --format xml", 2, ""},
      {"segment --db " + dir.sub("nothing"), 1, ""},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    const Split r = Run(dir, c.args);
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.out.empty());
    REQUIRE(r.err.rfind("ckm: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    if (!c.err.empty()) CHECK(r.err == c.err + "\n");
  }
  // A cursor of another query is refused.
  Split r = Run(dir, "segment" + db + " --limit 1 --sort orders");
  REQUIRE(r.exit_code == 0);
  const std::string cursor = r.err.substr(r.err.find("--cursor ") + 9);
  r = Run(dir, "segment" + db + " --limit 1 --sort units --cursor " +
                   cursor.substr(0, cursor.size() - 1));
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "ckm: --cursor: made by a query with another predicate, sort or now "
        "(see ckm --help)\n");
  CHECK(ckm_test::FilesOf(dir.sub("db")) == before);
}

}  // namespace
}  // namespace ckm
