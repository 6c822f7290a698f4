// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Erasure on real data (docs/privacy.md): the UCI Online Retail import plus
// an email identity for every customer; 100 customers erased; then, with
// the store closed, no file in its directory holds an erased email; every
// other customer is byte-identical to before; VerifyAll is clean; and
// importing the same file again is refused and records nothing.
//
// Customer ids here are five-digit numbers that also occur inside other
// data (SKUs, invoice numbers), so the file search is for the emails, which
// are distinctive; privacy_test searches for distinctive ids as well.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "test_util.h"

namespace {

const std::string kCli = CKM_CLI;
const std::string kData =
    std::string(CKM_SOURCE_DIR) + "/data/uci-online-retail/";

std::string Email(const std::string& id) {
  return "retail-" + id + "-q7x@erase.example";
}

std::string AllBytes(const std::string& dir) {
  std::string all;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    all += bytes.str();
    all.push_back('\n');
  }
  return all;
}

TEST_CASE("Erasing 100 retail customers leaves no trace of them in any file") {
  ckm_test::TempDir dir;
  const std::string db = dir.sub("db");
  const std::string import =
      kCli + " import purchases " + kData + "online_retail.csv.gz --db " + db +
      " --map customer=CustomerID,order=InvoiceNo,sku=StockCode,description="
      "Description,quantity=Quantity,unit_price=UnitPrice,ts=InvoiceDate "
      "--currency GBP --date-order mdy > " +
      dir.sub("import.txt") + " 2>&1";
  REQUIRE(std::system(import.c_str()) == 0);

  std::map<std::string, std::string> before;
  std::vector<std::string> erased;
  {
    auto store = ckm::Store::Open(db);
    REQUIRE_OK(store);
    std::vector<ckm::Event> links;
    REQUIRE_OK((*store)->ForEachProfile([&](const ckm::Profile& p) {
      ckm::Event e;
      e.id = 1;
      e.customer = ckm::CustomerRef::Id(p.customer_id());
      e.ts_ms = 1'290'000'000'000;  // 2010-11-17
      e.body = ckm::Identity{ckm::IdentityType::kEmail,
                             Email(std::string(p.customer_id()))};
      links.push_back(e);
      return true;
    }));
    REQUIRE(links.size() == 4372);
    REQUIRE_OK((*store)->Record(links));
    REQUIRE_OK((*store)->ForEachProfile([&](const ckm::Profile& p) {
      before[std::string(p.customer_id())] = std::string(p.bytes());
      return true;
    }));
    // Every 43rd customer: 100 of them, spread over the number range.
    for (std::size_t i = 0; i < links.size() && erased.size() < 100; i += 43)
      erased.push_back(links[i].customer.id);
    for (const std::string& id : erased) {
      absl::StatusOr<ckm::ErasureResult> r = (*store)->Erase(id, "test");
      REQUIRE_OK(r);
      CHECK(r->identities == 1);
      before.erase(id);
    }
  }
  const std::string bytes = AllBytes(db);
  CHECK(bytes.find(Email(before.begin()->first)) != std::string::npos);
  for (const std::string& id : erased) {
    INFO(id);
    CHECK(bytes.find(Email(id)) == std::string::npos);
  }

  {
    ckm::StoreOptions read_only;
    read_only.access = ckm::Access::kReadOnly;
    auto store = ckm::Store::Open(db, read_only);
    REQUIRE_OK(store);
    std::map<std::string, std::string> after;
    REQUIRE_OK((*store)->ForEachProfile([&](const ckm::Profile& p) {
      after[std::string(p.customer_id())] = std::string(p.bytes());
      return true;
    }));
    CHECK(after == before);
    absl::StatusOr<ckm::StoreReport> report = (*store)->VerifyAll();
    REQUIRE_OK(report);
    CHECK(report->ok());
    CHECK(report->customers == 4372 - 100);
  }
  // The same import again: refused at the first erased customer's order,
  // and nothing of theirs comes back.
  CHECK(std::system(import.c_str()) != 0);
  std::ifstream log(dir.sub("import.txt"));
  std::stringstream text;
  text << log.rdbuf();
  CHECK(text.str().find("was erased") != std::string::npos);
  auto store = ckm::Store::Open(db);
  REQUIRE_OK(store);
  for (const std::string& id : erased)
    CHECK(absl::IsNotFound((*store)->Get(id).status()));
  std::size_t customers = 0;
  REQUIRE_OK((*store)->ForEachProfile([&](const ckm::Profile&) {
    ++customers;
    return true;
  }));
  CHECK(customers == 4372 - 100);
}

}  // namespace
