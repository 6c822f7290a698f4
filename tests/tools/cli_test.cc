// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The ckm tool as a user meets it: exit status 0 on success, non-zero with one
// clear line on error, and each subcommand's output on a small export.

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "ckm/version.h"
#include "test_util.h"
#include "tools/cli_runner.h"

namespace {

using ckm_test::TempDir;

using Result = ckm_test::CliResult;
using ckm_test::Ckm;

TEST_CASE("ckm: subcommands work end to end on a small export") {
  TempDir dir;
  const std::string db = "--db " + dir.sub("db");
  const std::string csv =
      ckm_test::WriteFile(dir, "orders.csv",
                          "Customer,Invoice,Sku,Qty,Price,Date\n"
                          "c1,1,A,2,1.50,12/1/2010 8:26\n"
                          "c1,1,B,1,0.001,12/1/2010 8:26\n"
                          "c1,2,A,1,1.50,12/11/2010 9:00\n"
                          "c2,3,A,-1,1.50,12/12/2010 9:00\n");
  Result r = Ckm(
      dir, "import purchases " + csv + " " + db +
               " --map customer=Customer,order=Invoice,sku=Sku,quantity=Qty,"
               "unit_price=Price,ts=Date --currency GBP --date-order mdy");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("4 rows") != std::string::npos);
  CHECK(r.out.find("events recorded 3, already recorded 0") !=
        std::string::npos);

  r = Ckm(dir, "get c1 " + db);
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("orders 2") != std::string::npos);
  CHECK(r.out.find("net 4.501") !=
        std::string::npos);  // 3.00 + 0.001 + 1.50, exact

  r = Ckm(dir, "get c1 --json " + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("{\"customer_id\":\"c1\"", 0) == 0);

  r = Ckm(dir, "history c1 --kind purchase " + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("2010-12-11T09:00:00  purchase") == 0);  // newest first

  r = Ckm(dir, "products c1 " + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("A,2,3,0,4.50,GBP,2010-12-01T08:26:00,2010-12-11T09:00:00,"
                   "10.023611") != std::string::npos);

  r = Ckm(dir, "export profiles --format jsonl " + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"customer_id\":\"c2\",\"purchase_count\":0") !=
        std::string::npos);
  CHECK(r.out.find("\"first_purchase_ts\":null") != std::string::npos);

  r = Ckm(dir, "top --by orders --limit 1 " + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("1. c1", 0) == 0);

  r = Ckm(dir, "verify " + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("2 customers, 0 damaged") != std::string::npos);
  r = Ckm(dir, "stats " + db);
  CHECK(r.exit_code == 0);
}

TEST_CASE("ckm: errors exit non-zero with one line naming the problem") {
  TempDir dir;
  Result r = Ckm(dir, "get nobody --db " + dir.sub("missing"));
  CHECK(r.exit_code == 1);
  CHECK(r.out == "ckm: no store at \"" + dir.sub("missing") + "\"\n");

  const std::string csv =
      ckm_test::WriteFile(dir, "bad.csv",
                          "customer,order,quantity,unit_price,ts\n"
                          "c1,o1,1,2.00,2024-01-01\n"
                          "c2,o2,1,2.00,31.12.2024\n");
  r = Ckm(dir, "import purchases " + csv + " --db " + dir.sub("db") +
                   " --currency GBP");
  CHECK(r.exit_code == 1);
  CHECK(r.out == "ckm: " + csv +
                     ":3: column 'ts' (5): not a date/time: \"31.12.2024\"\n");
  r = Ckm(dir, "import purchases " + csv + " --db " + dir.sub("db") +
                   " --currency GBP --time-format %d/%m/%Y");
  CHECK(r.exit_code ==
        1);  // now row 2 fails instead: "2024-01-01" is not %d/%m/%Y

  r = Ckm(dir, "get c1 --db " + dir.sub("db"));
  CHECK(r.exit_code == 1);  // the failed imports left no store behind
  CHECK(r.out == "ckm: no store at \"" + dir.sub("db") + "\"\n");

  r = Ckm(dir, "frobnicate");
  CHECK(r.exit_code == 2);
  r = Ckm(dir, "get c1");  // --db missing
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("--db") != std::string::npos);
  r = Ckm(dir, "--help");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("import") != std::string::npos);
}

bool OneLine(const Result& r) {
  return r.out.rfind("ckm: ", 0) == 0 &&
         std::count(r.out.begin(), r.out.end(), '\n') == 1 &&
         r.out.back() == '\n';
}

TEST_CASE(
    "ckm: usage errors exit 2 and other failures 1, each with one line "
    "\"ckm: ...\"") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  const std::string csv =
      ckm_test::WriteFile(dir, "ok.csv",
                          "customer,order,quantity,unit_price,ts\n"
                          "c1,o1,1,2.00,2024-01-01\n");
  REQUIRE(
      Ckm(dir, "import purchases " + csv + db + " --currency GBP").exit_code ==
      0);
  // Usage errors: the command line itself is wrong.
  for (const std::string& args : {
           std::string(""),  // no subcommand
           std::string("frobnicate"),
           std::string("get c1"),    // --db missing
           std::string("get" + db),  // CUSTOMER missing
           std::string("get c1 --frob" + db),
           std::string("import" + db),
           std::string("import purchases" + db),  // no FILE
           std::string("export profiles --format xml" + db),
           std::string("top --by charm" + db),
           std::string("top --limit -1" + db),
           std::string("top --limit many" + db),
           std::string("history c1 --limit -1" + db),
           std::string("history c1 --kind purchases" + db),
           std::string("history c1 --since yesterday" + db),
           std::string("top --currency XYZ" + db),
           std::string("import purchases " + csv + db + " --delimiter ab"),
           std::string("import purchases " + csv + db + " --map nonsense"),
           std::string("import purchases " + csv + db + " --currency EURO"),
           std::string("import purchases " + csv + db + " --date-order ymd"),
           std::string("migrate " + dir.sub("db")),
           std::string("repair"),
           std::string("audit" + db),  // CUSTOMER missing
           std::string("audit c1"),    // --db missing
           std::string("sync --frob" + db),
           std::string("node --partitions 3-x" + db),
       }) {
    INFO("ckm " << args);
    const Result r = Ckm(dir, args);
    INFO(r.out);
    CHECK(r.exit_code == 2);
    CHECK(OneLine(r));
  }
  // Other failures.
  for (const std::string& args : {
           std::string("get nobody" + db),
           std::string("get c1 --db " + dir.sub("missing")),
           std::string("import purchases " + dir.sub("missing.csv") + db +
                       " --currency GBP"),
           std::string("import purchases " + dir.path() + db +
                       " --currency GBP"),  // a directory
           std::string("migrate " + dir.sub("db") + " " + dir.sub("db")),
           std::string("audit nobody" + db),
       }) {
    INFO("ckm " << args);
    const Result r = Ckm(dir, args);
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(OneLine(r));
  }
  Result r = Ckm(dir, "import purchases " + dir.sub("missing.csv") + " --db " +
                          dir.sub("new") + " --currency GBP");
  CHECK(r.out.find("missing.csv") != std::string::npos);
  CHECK(!std::filesystem::exists(dir.sub("new")));  // nothing created
  // A node's options are checked before its store is opened.
  for (const std::string& node_args :
       {std::string("--partitions 0 --change-deliveries 0"),
        std::string("--partitions 0 --follower a.b"),
        std::string("--partitions 0-3 --partition-count 2")}) {
    INFO("ckm node " << node_args);
    r = Ckm(dir, "node --db " + dir.sub("new") + " " + node_args);
    CHECK(r.exit_code == 2);
    CHECK(OneLine(r));
    CHECK(!std::filesystem::exists(dir.sub("new")));
  }
  r = Ckm(dir,
          "node --partitions 0 --change-deliveries 0 --db " + dir.sub("new"));
  CHECK(r.out.find("change_deliveries") != std::string::npos);

  // Help is not an error.
  for (const std::string& args :
       {std::string("--help"), std::string("import purchases --help"),
        std::string("top -h")}) {
    INFO("ckm " << args);
    r = Ckm(dir, args);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("--") != std::string::npos);
  }
}

TEST_CASE(
    "ckm import: unit_price and line_total both given are checked against "
    "each other, never one silently ignored") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db") + " --currency GBP";
  // 3 x 3.33 is 10.00 up to the rounding of a price written to the penny:
  // the line total is the amount.
  const std::string rounded =
      ckm_test::WriteFile(dir, "rounded.csv",
                          "customer,order,qty,price,total,ts\n"
                          "c1,o1,3,3.33,10.00,2024-01-01\n");
  Result r =
      Ckm(dir, "import purchases " + rounded + db +
                   " --map quantity=qty,unit_price=price,line_total=total");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  r = Ckm(dir, "get c1 --db " + dir.sub("db"));
  CHECK(r.out.find("net 10.00") != std::string::npos);

  // A multibuy at its listed price (3 x 3.50 for 10.00) is not: refused at
  // its row, naming the way out, and nothing is written.
  const std::string deal =
      ckm_test::WriteFile(dir, "deal.csv",
                          "customer,order,quantity,unit_price,"
                          "line_total,ts\n"
                          "c2,o2,3,3.50,10.00,2024-01-01\n");
  r = Ckm(dir, "import purchases " + deal + db);
  CHECK(r.exit_code == 1);
  CHECK(OneLine(r));
  CHECK(r.out.find(":2: column 'line_total' (5): is not quantity x "
                   "unit_price (3 x 3.50)") != std::string::npos);
  CHECK(r.out.find("map only line_total") != std::string::npos);
  r = Ckm(dir, "get c2 --db " + dir.sub("db"));
  CHECK(r.exit_code == 1);
  // Mapping only the line total takes the deal as it was paid.
  r = Ckm(dir,
          "import purchases " + deal + db + " --map line_total=line_total");
  CHECK(r.exit_code == 0);
  r = Ckm(dir, "get c2 --db " + dir.sub("db"));
  CHECK(r.out.find("net 10.00") != std::string::npos);
}

TEST_CASE(
    "ckm import: a failed import removes the store it created, and never "
    "touches a directory that was there") {
  TempDir dir;
  const std::string bad =
      ckm_test::WriteFile(dir, "bad.csv",
                          "customer,order,quantity,unit_price,ts\n"
                          "c1,o1,two,2.00,2024-01-01\n");
  const std::string good =
      ckm_test::WriteFile(dir, "good.csv",
                          "customer,order,quantity,unit_price,ts\n"
                          "c1,o1,1,2.00,2024-01-01\n");
  Result r = Ckm(dir, "import purchases " + bad + " --db " + dir.sub("new") +
                          " --currency GBP");
  CHECK(r.exit_code == 1);
  CHECK(OneLine(r));
  CHECK(!std::filesystem::exists(dir.sub("new")));

  // An existing store stays, with what it held.
  REQUIRE(Ckm(dir, "import purchases " + good + " --db " + dir.sub("db") +
                       " --currency GBP")
              .exit_code == 0);
  r = Ckm(dir, "import purchases " + bad + " --db " + dir.sub("db") +
                   " --currency GBP");
  CHECK(r.exit_code == 1);
  r = Ckm(dir, "get c1 --db " + dir.sub("db"));
  CHECK(r.exit_code == 0);

  // An existing empty directory stays too.
  std::filesystem::create_directories(dir.sub("empty"));
  r = Ckm(dir, "import purchases " + bad + " --db " + dir.sub("empty") +
                   " --currency GBP");
  CHECK(r.exit_code == 1);
  CHECK(std::filesystem::is_directory(dir.sub("empty")));
}

TEST_CASE(
    "ckm import: a directory with other files is refused, and nothing is "
    "written among them") {
  TempDir dir;
  const std::string good =
      ckm_test::WriteFile(dir, "good.csv",
                          "customer,order,quantity,unit_price,ts\n"
                          "c1,o1,1,2.00,2024-01-01\n");
  std::filesystem::create_directories(dir.sub("docs"));
  ckm_test::WriteFile(dir, "docs/notes.txt", "mine");
  Result r = Ckm(dir, "import purchases " + good + " --db " + dir.sub("docs") +
                          " --currency GBP");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(OneLine(r));
  CHECK(r.out.find("is not empty and holds no store") != std::string::npos);
  CHECK(r.out.find("notes.txt") != std::string::npos);
  int entries = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(dir.sub("docs"))) {
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE(
    "ckm top and history: currencies in any case, limits 0 for all and "
    "never negative") {
  TempDir dir;
  const std::string csv =
      ckm_test::WriteFile(dir, "orders.csv",
                          "customer,order,quantity,unit_price,ts\n"
                          "c1,o1,1,2.00,2024-01-01\n"
                          "c1,o2,1,3.00,2024-01-02\n"
                          "c2,o3,1,9.00,2024-01-03\n"
                          "c3,o4,1,1.00,2024-01-04\n");
  const std::string db = " --db " + dir.sub("db");
  REQUIRE(
      Ckm(dir, "import purchases " + csv + db + " --currency gbp").exit_code ==
      0);
  Result r = Ckm(dir, "top --currency gbp" + db);
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("1. c2  orders 1  net 9.00 GBP", 0) == 0);
  r = Ckm(dir, "top --currency usd" + db);  // valid, but nobody
  CHECK(r.exit_code == 0);
  CHECK(r.out == "no customer has purchases in USD\n");

  r = Ckm(dir, "top --limit 0" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("3. c3") != std::string::npos);  // all
  r = Ckm(dir, "top --limit 2" + db);
  CHECK(r.out.find("2. c1") != std::string::npos);
  CHECK(r.out.find("3. ") == std::string::npos);
  r = Ckm(dir, "history c1 --limit 0" + db);
  CHECK(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);  // all
  r = Ckm(dir, "history c1 --limit 1" + db);
  // One event, and (on stderr) that the limit cut the history.
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);
  CHECK(r.out.find("next page: --cursor ") != std::string::npos);
  r = Ckm(dir, "top --limit -1" + db);
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("--limit") != std::string::npos);
}

TEST_CASE(
    "ckm import: a date whose day and month could be either way round needs "
    "--date-order or --time-format") {
  TempDir dir;
  const std::string csv =
      ckm_test::WriteFile(dir, "eu.csv",
                          "customer,order,quantity,unit_price,ts\n"
                          "c1,o1,1,2.00,13/01/2026\n"
                          "c1,o2,1,2.00,03/01/2026\n");
  const std::string db = " --db " + dir.sub("db") + " --currency GBP";
  Result r = Ckm(dir, "import purchases " + csv + db);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(OneLine(r));
  CHECK(r.out.find(":3: column 'ts'") != std::string::npos);
  CHECK(r.out.find("ambiguous") != std::string::npos);
  CHECK(r.out.find("--date-order dmy") != std::string::npos);
  CHECK(!std::filesystem::exists(dir.sub("db")));

  r = Ckm(dir, "import purchases " + csv + db + " --date-order dmy");
  CHECK(r.exit_code == 0);
  r = Ckm(dir, "history c1 --db " + dir.sub("db"));
  CHECK(r.out.find("2026-01-13T00:00:00") != std::string::npos);
  CHECK(r.out.find("2026-01-03T00:00:00") != std::string::npos);
  r = Ckm(dir, "history c1 --since 03/01/2026 --db " + dir.sub("db"));
  CHECK(r.exit_code == 2);  // ambiguous here too
  r = Ckm(dir, "history c1 --since 03/01/2026 --date-order dmy --db " +
                   dir.sub("db"));
  CHECK(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);

  // Unambiguous dates need nothing.
  const std::string us =
      ckm_test::WriteFile(dir, "us.csv",
                          "customer,order,quantity,unit_price,ts\n"
                          "c2,o1,1,2.00,1/13/2026\n"
                          "c2,o2,1,2.00,2026-01-03\n");
  r = Ckm(dir, "import purchases " + us + db);
  CHECK(r.exit_code == 0);
}

TEST_CASE(
    "ckm import: a value the store rejects stops it before anything is "
    "written, and a 10 MB one gives a short error") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db") + " --currency GBP";
  std::string text = "customer,order,quantity,unit_price,ts\n";
  for (int i = 0; i < 3000; ++i) {  // three batches of 1,000 before it
    text += "c" + std::to_string(i % 150) + ",o" + std::to_string(i) +
            ",1,2.00,2024-01-01\n";
  }
  const std::string bad =
      ckm_test::WriteFile(dir, "bad.csv", text + "c1,late,1,2.00,1969-07-20\n");
  Result r = Ckm(dir, "import purchases " + bad + db);
  CHECK(r.exit_code == 1);
  CHECK(r.out.rfind("ckm: " + bad + ":3002: order \"c1/late\": ts_ms: ", 0) ==
        0);
  CHECK(!std::filesystem::exists(dir.sub("db")));  // nothing left behind

  r = Ckm(dir, "import purchases " + bad + db + " --skip-bad-rows");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("events recorded 3000") != std::string::npos);
  CHECK(r.out.find("1 malformed") != std::string::npos);
  CHECK(r.out.find("1 x ts_ms") != std::string::npos);

  const std::string huge = ckm_test::WriteFile(
      dir, "huge.csv",
      "customer,order,quantity,unit_price,ts\n" + std::string(10'000'000, '7') +
          ",o1,1,2.00,2024-01-01\n");
  r = Ckm(dir, "import purchases " + huge + " --db " + dir.sub("db2") +
                   " --currency GBP");
  CHECK(r.exit_code == 1);
  INFO(r.out.substr(0, 300));
  CHECK(r.out.size() < 1024);
  CHECK(r.out.find(huge + ":2: order") != std::string::npos);
  CHECK(r.out.find("customer.id: has 10000000 bytes") != std::string::npos);
}

TEST_CASE(
    "ckm: a purchase dated in the future has recency 0, is flagged, and "
    "ranks as the most recent") {
  TempDir dir;
  const std::string csv =
      ckm_test::WriteFile(dir, "future.csv",
                          "customer,order,quantity,unit_price,ts\n"
                          "old,o1,1,2.00,2020-01-01\n"
                          "recent,o2,1,2.00,2024-06-01\n"
                          "future,o3,1,2.00,9999-01-01\n"
                          "future,o4,1,2.00,2019-01-01\n");
  const std::string db = " --db " + dir.sub("db");
  Result r = Ckm(dir, "import purchases " + csv + db + " --currency GBP");
  REQUIRE(r.exit_code == 0);
  r = Ckm(dir, "get future" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("recency 0.0 days (last purchase dated in the future)") !=
        std::string::npos);
  r = Ckm(dir, "get recent" + db);
  CHECK(r.out.find("dated in the future") == std::string::npos);

  r = Ckm(dir, "top --by recency" + db);
  CHECK(r.exit_code == 0);
  INFO(r.out);
  CHECK(r.out.find("days ago)") != std::string::npos);
  CHECK(r.out.find("(-") == std::string::npos);  // no negative age
  const std::size_t future = r.out.find("1. future ");
  const std::size_t recent = r.out.find("2. recent ");
  const std::size_t old = r.out.find("3. old ");
  CHECK(future == 0);
  CHECK(recent != std::string::npos);
  CHECK(old != std::string::npos);
  CHECK(r.out.find("last purchase 9999-01-01T00:00:00 (dated in the future)") !=
        std::string::npos);

  r = Ckm(dir, "get future --json" + db);
  CHECK(r.out.find("\"recency_days\":0.000000") != std::string::npos);
}

}  // namespace

TEST_CASE(
    "ckm migrate: an old store into a new directory, then the old "
    "store's commands say how") {
  TempDir dir;
  const std::string old = dir.sub("old");
  const std::string copy = "cp -r " + std::string(CKM_SOURCE_DIR) +
                           "/tests/data/format2-store " + old;
  REQUIRE(std::system(copy.c_str()) == 0);
  Result r = Ckm(dir, "get cust-1 --db " + old);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("ckm migrate") != std::string::npos);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);  // one line

  r = Ckm(dir, "migrate " + old + " " + dir.sub("new"));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("migrated 412 events of 12 customers from format 2") !=
        std::string::npos);
  CHECK(r.out.find("12 of 12") != std::string::npos);
  r = Ckm(dir, "get cust-1 --db " + dir.sub("new"));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("identity email c1@example.com") != std::string::npos);

  r = Ckm(dir, "migrate " + old + " " + dir.sub("new"));  // exists now
  CHECK(r.exit_code == 1);
  CHECK(r.out.rfind("ckm: ", 0) == 0);
}

TEST_CASE("ckm import: every kind of event, with the same contract") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  const std::string calls = ckm_test::WriteFile(dir, "calls.csv",
                                                "who,when,kind,rating\n"
                                                "c1,2025-03-01,survey,9\n");
  Result r = Ckm(
      dir, "import interactions " + calls + db + " --map customer=who,ts=when");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("1 events of 1 customers") != std::string::npos);
  r = Ckm(dir, "get c1" + db);
  CHECK(r.out.find("NPS 100") != std::string::npos);
  // A field of another kind is a usage error.
  r = Ckm(dir, "import consents " + calls + db + " --map sku=who");
  CHECK(r.exit_code == 2);
  CHECK(OneLine(r));
  CHECK(r.out.find("unknown field \"sku\" (customer, ts, id, source, "
                   "purpose, granted)") != std::string::npos);
  // A bad row: one line naming it, exit 1, nothing written.
  const std::string bad = ckm_test::WriteFile(dir, "bad.csv",
                                              "customer,ts,kind,points\n"
                                              "c2,2025-03-01,earn,lots\n");
  r = Ckm(dir, "import loyalty " + bad + db);
  CHECK(r.exit_code == 1);
  CHECK(OneLine(r));
  CHECK(r.out.find("bad.csv:2: column 'points' (4)") != std::string::npos);
  r = Ckm(dir, "get c2" + db);
  CHECK(r.exit_code == 1);
}

TEST_CASE("ckm --version names the library and the store format") {
  TempDir dir;
  Result r = Ckm(dir, "--version");
  CHECK(r.exit_code == 0);
  CHECK(r.out == absl::StrCat("ckm ", ckm::kVersion, " (store format ",
                              ckm::kStoreFormat, ")\n"));
}
namespace identity_commands {

ckm::Event Linked(std::uint64_t id, const std::string& customer,
                  ckm::Event::Body body) {
  ckm::Event e;
  e.id = id;
  e.customer = ckm::CustomerRef::Id(customer);
  e.ts_ms = 1'700'000'000'000 + static_cast<std::int64_t>(id);
  e.body = std::move(body);
  return e;
}

TEST_CASE("ckm: merge, unmerge, unlink, identities and --identity") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  {
    absl::StatusOr<std::unique_ptr<ckm::Store>> store =
        ckm::Store::Open(dir.sub("db"));
    REQUIRE_OK(store);
    ckm::Purchase p;
    p.currency = "GBP";
    p.total_micros = 1'000'000;
    REQUIRE_OK((*store)->Record(
        {Linked(1, "ann",
                ckm::Identity{ckm::IdentityType::kEmail, "ann@shop.test"}),
         Linked(2, "ann", p), Linked(3, "bob", p)}));
  }
  Result r = Ckm(dir, "get --identity email=ANN@Shop.test" + db);
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("customer ann\n", 0) == 0);

  r = Ckm(dir, "merge bob ann" + db);
  CHECK(r.exit_code == 2);  // --reason is required
  r = Ckm(dir, "merge bob ann --reason 'same person' --actor tester" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("merged ann into bob\n") != std::string::npos);
  r = Ckm(dir, "get ann" + db);
  CHECK(r.out.rfind("customer bob\n", 0) == 0);
  CHECK(r.out.find("orders 2") != std::string::npos);
  r = Ckm(dir, "identities ann" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("  merged into bob\n") != std::string::npos);
  CHECK(r.out.find("merged_into bob by tester: same person") !=
        std::string::npos);
  r = Ckm(dir, "identities --identity email=ann@shop.test" + db);
  CHECK(r.out.rfind("customer bob\n  identity email ann@shop.test\n"
                    "  alias ann\n",
                    0) == 0);
  r = Ckm(dir, "merge ann bob --reason x" + db);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("already merged") != std::string::npos);

  r = Ckm(dir, "unmerge bob ann --reason mistake" + db);
  CHECK(r.exit_code == 0);
  r = Ckm(dir, "get ann" + db);
  CHECK(r.out.rfind("customer ann\n", 0) == 0);
  r = Ckm(dir, "unlink email ann@shop.test" + db);
  CHECK(r.exit_code == 0);
  r = Ckm(dir, "get --identity email=ann@shop.test" + db);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("unknown identity") != std::string::npos);

  CHECK(Ckm(dir, "unlink fax 1" + db).exit_code == 2);
  CHECK(Ckm(dir, "get" + db).exit_code == 2);
  CHECK(Ckm(dir, "get ann --identity email=a@b" + db).exit_code == 2);
  CHECK(Ckm(dir, "get --identity email" + db).exit_code == 2);
}

}  // namespace identity_commands
