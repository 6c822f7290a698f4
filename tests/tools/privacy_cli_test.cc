// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The privacy commands of the ckm tool: export customer, erase, erasures,
// and reads with --policy, --role and --purpose.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "catch2/catch.hpp"
#include "policy.h"
#include "test_util.h"
#include "tools/cli_runner.h"

namespace {

using ckm_test::Ckm;
using ckm_test::TempDir;

const char kEvents[] =
    R"({"id":"1","customer":"ann","ts":"2026-01-02T10:00:00Z",)"
    R"("identity":{"type":"email","value":"ann@example.org"}})"
    "\n"
    R"({"id":"2","customer":"ann","ts":"2026-01-02T10:01:00Z",)"
    R"("attribute":{"key":"personal.first_name","value":"Ann"}})"
    "\n"
    R"({"id":"3","customer":"ann","ts":"2026-01-02T10:02:00Z",)"
    R"("purchase":{"currency":"GBP","lines":[{"sku":"tea","quantity":2,)"
    R"("unit_price":"1.25"}]}})"
    "\n"
    R"({"id":"4","customer":"bob","ts":"2026-01-02T10:03:00Z",)"
    R"("consent":{"purpose":"marketing.email","granted":true}})"
    "\n";

TEST_CASE("ckm export customer, record it into a new store, same profile") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  REQUIRE(
      Ckm(dir, "record " + ckm_test::WriteFile(dir, "e.jsonl", kEvents) + db)
          .exit_code == 0);
  ckm_test::CliResult r = Ckm(dir, "export customer ann" + db);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind(R"({"format":"ckm.export","version":2,)", 0) == 0);
  CHECK(r.out.find("ann@example.org") != std::string::npos);
  const std::string exported = ckm_test::WriteFile(dir, "ann.json", r.out);
  r = Ckm(dir, "record " + exported + " --db " + dir.sub("copy"));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("read 1 lines, 3 events: 3 recorded") != std::string::npos);
  const ckm_test::CliResult a = Ckm(dir, "get ann --json" + db);
  const ckm_test::CliResult b =
      Ckm(dir, "get ann --json --db " + dir.sub("copy"));
  // Equal but for recency, which follows the clock: compare without it.
  CHECK(a.out.substr(0, a.out.find("recency")) ==
        b.out.substr(0, b.out.find("recency")));
}

// `n` orders of customer ann, a second apart, across 50 products.
std::string ManyOrders(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    char ts[32];
    std::snprintf(ts, sizeof ts, "2026-01-02T%02d:%02d:%02dZ", 10 + i / 3600,
                  i / 60 % 60, i % 60);
    out += R"({"id":")" + std::to_string(100 + i) +
           R"(","customer":"ann","ts":")" + ts +
           R"(","purchase":{"currency":"GBP","lines":[{"sku":"sku-)" +
           std::to_string(i % 50) +
           R"(","quantity":1,"unit_price":"1.25"}]}})"
           "\n";
  }
  return out;
}

TEST_CASE(
    "An export of more than one batch of events (1,000) is recorded whole: "
    "export, erase, record into a new store, same profile") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  const int kOrders = 2'600;  // three batches of ckm record
  REQUIRE(Ckm(dir, "record " +
                       ckm_test::WriteFile(dir, "e.jsonl",
                                           kEvents + ManyOrders(kOrders)) +
                       db)
              .exit_code == 0);
  const ckm_test::CliResult profile = Ckm(dir, "get ann --json" + db);
  const ckm_test::CliResult products = Ckm(dir, "products ann" + db);
  ckm_test::CliResult r = Ckm(dir, "export customer ann" + db);
  REQUIRE(r.exit_code == 0);
  const std::string original = r.out;
  const std::string exported = ckm_test::WriteFile(dir, "ann.json", r.out);
  REQUIRE(Ckm(dir, "erase ann --reason test" + db).exit_code == 0);
  r = Ckm(dir, "record " + exported + " --db " + dir.sub("copy"));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const std::string all = std::to_string(kOrders + 3);
  CHECK(r.out.find("read 1 lines, " + all + " events: " + all + " recorded") !=
        std::string::npos);
  const ckm_test::CliResult copy =
      Ckm(dir, "get ann --json --db " + dir.sub("copy"));
  CHECK(copy.out.find(R"("event_count":)" + all) != std::string::npos);
  CHECK(profile.out.substr(0, profile.out.find("recency")) ==
        copy.out.substr(0, copy.out.find("recency")));
  CHECK(Ckm(dir, "products ann --db " + dir.sub("copy")).out == products.out);
  // The copy exports the same events again.
  r = Ckm(dir, "export customer ann --db " + dir.sub("copy"));
  const std::string events_again = r.out.substr(r.out.find(R"("events":)"));
  CHECK(events_again == original.substr(original.find(R"("events":)")));
}

TEST_CASE("ckm erase: gone, logged, and a replay is refused") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  const std::string events = ckm_test::WriteFile(dir, "e.jsonl", kEvents);
  REQUIRE(Ckm(dir, "record " + events + db).exit_code == 0);
  ckm_test::CliResult r = Ckm(dir, "erase ann" + db);
  CHECK(r.exit_code == 2);  // --reason is required
  r = Ckm(dir, "erase ann --reason 'request 42'" + db);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("erased 3 events and 1 identities") != std::string::npos);
  r = Ckm(dir, "get ann" + db);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("no customer") != std::string::npos);
  r = Ckm(dir, "erasures" + db);
  CHECK(r.out.find("3 events, 1 identities  request 42") != std::string::npos);
  CHECK(r.out.find("ann") == std::string::npos);
  r = Ckm(dir, "record " + events + db);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("was erased") != std::string::npos);
  CHECK(Ckm(dir, "get bob" + db).exit_code == 0);
  r = Ckm(dir, "erase nobody --reason x" + db);
  CHECK(r.exit_code == 1);
}

TEST_CASE("ckm reads with --policy, --role and --purpose") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  REQUIRE(
      Ckm(dir, "record " + ckm_test::WriteFile(dir, "e.jsonl", kEvents) + db)
          .exit_code == 0);
  const std::string policy =
      ckm_test::WriteFile(dir, "policy.txt",
                          "# who may see what\n"
                          "role agent identities personal\n"
                          "role auditor all\n"
                          "consent marketing.email\n");
  const std::string with = db + " --policy " + policy;
  ckm_test::CliResult r = Ckm(dir, "get ann --role agent" + with);
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("attribute personal.first_name = Ann") != std::string::npos);
  CHECK(r.out.find("redacted by the access policy: demographic psychographic "
                   "custom interaction_text purchase_lines") !=
        std::string::npos);
  r = Ckm(dir, "get ann --role agent --for marketing.email" + with);
  CHECK(r.out.find("personal.first_name") == std::string::npos);
  CHECK(r.out.find("ann@example.org") == std::string::npos);
  r = Ckm(dir, "history ann --format jsonl --role agent" + with);
  CHECK(r.out.find(R"("sku":"[redacted]")") != std::string::npos);
  r = Ckm(dir, "export customer ann --role agent" + with);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("withheld") != std::string::npos);
  CHECK(Ckm(dir, "export customer ann --role auditor" + with).exit_code == 0);
  // The per-product breakdown names products: purchase lines.
  r = Ckm(dir, "products ann --role agent" + with);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("purchase_lines") != std::string::npos);
  r = Ckm(dir, "products ann --role auditor --for marketing.email" + with);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("tea") != std::string::npos);
  r = Ckm(dir, "get ann --role intruder" + with);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("may read nothing") != std::string::npos);
  // No policy: as before, whatever the context.
  r = Ckm(dir, "get ann --role intruder --for x" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("redacted") == std::string::npos);
  r = Ckm(dir, "products ann --role intruder --for x" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("tea") != std::string::npos);
}

TEST_CASE("Policy files: every line is checked") {
  auto p = ckm::tools::ParsePolicy(
      "role a identities custom\nrole b\n  # note\nconsent x y\n", "p");
  REQUIRE(p.ok());
  CHECK(p->roles.at("a") == std::set<ckm::DataPart>{ckm::DataPart::kIdentities,
                                                    ckm::DataPart::kCustom});
  CHECK(p->roles.at("b").empty());
  CHECK(p->consent_purposes == std::set<std::string>{"x", "y"});
  CHECK(
      ckm::tools::ParsePolicy("role a everything\n", "p").status().message() ==
      "p:1: unknown part \"everything\" (identities, personal, demographic, "
      "psychographic, custom, interaction_text, purchase_lines or all)");
  CHECK(ckm::tools::ParsePolicy("\ngrant a b\n", "p").status().message() ==
        "p:2: a line starts with \"role\" or \"consent\", not \"grant\"");
  CHECK(!ckm::tools::ParsePolicy("role\n", "p").ok());
  CHECK(!ckm::tools::ParsePolicy("consent\n", "p").ok());
}

}  // namespace

TEST_CASE("ckm get --audit writes the access audit; ckm audit lists it") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  REQUIRE(
      Ckm(dir, "record " + ckm_test::WriteFile(dir, "e.jsonl", kEvents) + db)
          .exit_code == 0);
  const std::string policy =
      " --policy " + ckm_test::WriteFile(dir, "p", "role call_centre all\n");
  ckm_test::CliResult r = Ckm(
      dir, "get ann --role call_centre --for support --audit" + policy + db);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  REQUIRE(Ckm(dir, "get ann" + db).exit_code == 0);  // not audited
  REQUIRE(Ckm(dir, "get ann --role nobody --audit" + policy + db).exit_code ==
          1);
  r = Ckm(dir, "audit ann" + db);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("  Get  role=call_centre  purpose=support  OK\n") !=
        std::string::npos);
  CHECK(r.out.find("  Get  role=nobody  purpose=-  PERMISSION_DENIED\n") !=
        std::string::npos);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);
  r = Ckm(dir, "audit bob" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());

  r = Ckm(dir, "audit nobody" + db);
  CHECK(r.exit_code == 1);
  CHECK(r.out.rfind("ckm: ", 0) == 0);
  CHECK(Ckm(dir, "audit" + db).exit_code == 2);
  REQUIRE(Ckm(dir, "erase ann --reason test" + db).exit_code == 0);
  CHECK(Ckm(dir, "audit ann" + db).exit_code == 1);
}
