// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Looking customers up with the ckm tool: --identity wherever a customer is
// taken, history filtered by attribute key or consent purpose and read page
// by page, and each product's expected next purchase.

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

using ckm_test::TempDir;

constexpr std::int64_t kT = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kDay = 86'400'000;

using Split = ckm_test::SplitResult;

// Runs ckm with stdout and stderr kept apart.
Split Run(const TempDir& dir, const std::string& args) {
  return ckm_test::CkmSplit(dir, args);
}

// c1, linked to ada@example.com and phone +44 1, bought tea on days 0, 10
// and 30; changed its city twice and its email consent three times.
void Populate(const std::string& db) {
  auto store = Store::Open(db);
  REQUIRE_OK(store);
  const auto c1 = CustomerRef::Id("c1");
  std::vector<Event> events = {
      {1, c1, kT, "crm", Identity{IdentityType::kEmail, "ada@example.com"}},
      {2, c1, kT, "crm", Identity{IdentityType::kPhone, "+44 1"}},
      {3, c1, kT + 1, "crm",
       Attribute{"demographic.city", std::string("Leeds")}},
      {4, c1, kT + 2 * kDay, "crm",
       Attribute{"demographic.city", std::string("York")}},
      {5, c1, kT + kDay, "crm",
       Attribute{"personal.first_name", std::string("Ada")}},
      {6, c1, kT + 3, "crm", Consent{"marketing.email", true}},
      {7, c1, kT + 4 * kDay, "crm", Consent{"marketing.email", false}},
      {8, c1, kT + 5 * kDay, "crm", Consent{"marketing.email", true}},
      {9, c1, kT + 5 * kDay, "crm", Consent{"marketing.sms", true}},
  };
  for (int i : {0, 10, 30}) {
    Purchase p;
    p.currency = "GBP";
    p.lines.push_back({"tea", "", 1, 4'000'000});
    events.push_back(
        {static_cast<std::uint64_t>(100 + i), c1, kT + i * kDay, "web", p});
  }
  events.push_back({200, CustomerRef::Id("c2"), kT, "crm",
                    Identity{IdentityType::kLoyaltyCard, "L-2"}});
  REQUIRE_OK((*store)->Record(events));
}

TEST_CASE("ckm: --identity names a customer wherever a customer is taken") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  Populate(dir.sub("db"));
  const auto before = ckm_test::FilesOf(dir.sub("db"));
  for (const std::string sub : {"get", "history", "products", "verify"}) {
    INFO(sub);
    const Split by_id = Run(dir, sub + " c1" + db);
    const Split by_email =
        Run(dir, sub + " --identity email=ada@example.com" + db);
    const Split by_phone = Run(dir, sub + " --identity 'phone=+44 1'" + db);
    CHECK(by_id.exit_code == 0);
    CHECK(by_email.exit_code == 0);
    CHECK(by_email.out == by_id.out);
    CHECK(by_phone.out == by_id.out);
    CHECK_FALSE(by_id.out.empty());
  }
  Split r = Run(dir, "get --identity loyalty_card=L-2" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("customer c2\n", 0) == 0);

  struct Case {
    std::string args;
    int exit_code;
    std::string err;
  };
  const std::vector<Case> cases = {
      {"get --identity email=nobody@example.com" + db, 1,
       "ckm: unknown identity email:nobody@example.com"},
      {"get c1 --identity email=ada@example.com" + db, 2,
       "ckm: give CUSTOMER or --identity, not both (see ckm --help)"},
      {"history" + db, 2,
       "ckm: CUSTOMER or --identity is required (see ckm --help)"},
      {"products --identity fax=1" + db, 2,
       "ckm: --identity: unknown identity type \"fax\" (email, phone, "
       "loyalty_card or external_id) (see ckm --help)"},
      {"get --identity email=" + db, 2,
       "ckm: --identity: expected TYPE=VALUE, got \"email=\" (see ckm "
       "--help)"},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    r = Run(dir, c.args);
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.out.empty());
    CHECK(r.err == c.err + "\n");
  }
  CHECK(ckm_test::FilesOf(dir.sub("db")) == before);
}

TEST_CASE("ckm history: --key, --purpose and pages with --cursor") {
  TempDir dir;
  const std::string db = " --db " + dir.sub("db");
  Populate(dir.sub("db"));
  Split r = Run(dir, "history c1 --key demographic.city" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "2026-01-03T00:00:00  attribute  #4  from crm  demographic.city = "
        "York\n"
        "2026-01-01T00:00:00  attribute  #3  from crm  demographic.city = "
        "Leeds\n");
  CHECK(r.err.empty());

  // The consent's audit trail two at a time.
  r = Run(dir, "history c1 --purpose marketing.email --limit 2" + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "2026-01-06T00:00:00  consent  #8  from crm  marketing.email "
        "granted\n"
        "2026-01-05T00:00:00  consent  #7  from crm  marketing.email "
        "withdrawn\n");
  const std::string prefix = "next page: --cursor ";
  REQUIRE(r.err.rfind(prefix, 0) == 0);
  const std::string cursor =
      r.err.substr(prefix.size(), r.err.size() - prefix.size() - 1);
  r = Run(dir, "history c1 --purpose marketing.email --limit 2 --cursor " +
                   cursor + db);
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "2026-01-01T00:00:00  consent  #6  from crm  marketing.email "
        "granted\n");
  CHECK(r.err.empty());  // the last page

  const std::vector<std::pair<std::string, std::string>> errors = {
      {"history c1 --key city" + db,
       "ckm: --key: not an attribute key (personal.*, demographic.*, "
       "psychographic.* or custom.*) (see ckm --help)"},
      {"history c1 --purpose 'Marketing Email'" + db,
       "ckm: --purpose: must be 1..128 bytes of [a-z0-9_.-] (see ckm --help)"},
      {"history c1 --key demographic.city --purpose marketing.email" + db,
       "ckm: --key, --purpose: set one of them, not both (see ckm --help)"},
      {"history c1 --key demographic.city --kind purchase" + db,
       "ckm: --key: only attribute events have one, and kind is purchase "
       "(see ckm --help)"},
      {"history c1 --cursor xyz" + db,
       "ckm: --cursor: not a cursor a page of history gave (malformed) (see "
       "ckm --help)"},
  };
  for (const auto& [args, err] : errors) {
    INFO(args);
    r = Run(dir, args);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == err + "\n");
  }
}

TEST_CASE("ckm products: each product's expected next purchase") {
  TempDir dir;
  Populate(dir.sub("db"));
  const Split r = Run(
      dir, "products --identity email=ada@example.com --db " + dir.sub("db"));
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "product,orders,units,returned_units,net,currency,first_purchase_ts,"
        "last_purchase_ts,mean_interval_days,next_purchase_ts\n"
        "tea,3,3,0,12.00,GBP,2026-01-01T00:00:00,2026-01-31T00:00:00,"
        "15.000000,2026-02-15T00:00:00\n");
}

}  // namespace
}  // namespace ckm
