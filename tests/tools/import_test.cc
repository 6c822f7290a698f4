// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The purchase importer on small hand-made exports: grouping rows into
// orders, ids that make re-imports idempotent, identical rows without an
// order column, line totals, bad rows (stop with file:line and column, or
// skip and count), and the data quirks of real exports.

#include "import.h"

#include <fstream>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "test_util.h"

namespace ckm::tools {
namespace {

using ckm_test::TempDir;

std::string WriteFile(const TempDir& dir, const std::string& name,
                      const std::string& text) {
  const std::string path = dir.sub(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::unique_ptr<Store> OpenStore(const TempDir& dir) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.sub("db"));
  REQUIRE_OK(store);
  return *std::move(store);
}

ImportOptions Gbp() {
  ImportOptions options;
  options.currency = "GBP";
  return options;
}

TEST_CASE("Rows of one order become one event dated by its earliest line") {
  TempDir dir;
  auto store = OpenStore(dir);
  const std::string file =
      WriteFile(dir, "a.csv",
                "customer,order,sku,quantity,unit_price,ts\n"
                "17850.0,536365,A,6,2.55,2010-12-01 08:27:00\n"
                "17850.0,536365,B,2,0.001,2010-12-01 08:26:00\n"
                "17850.0,536366,A,1,2.55,2010-12-02 09:00:00\n"
                ",536367,A,1,2.55,2010-12-02 09:00:00\n"
                "17850.0,C536368,A,-2,2.55,2010-12-03 09:00:00\n");
  absl::StatusOr<ImportSummary> s = ImportPurchases(*store, {file}, Gbp());
  REQUIRE_OK(s);
  CHECK(s->rows == 5);
  CHECK(s->orders == 3);
  CHECK(s->customers == 1);
  CHECK(s->rows_without_customer == 1);
  CHECK(s->recorded == 3);

  absl::StatusOr<Profile> p = store->Get("17850");  // ".0" removed
  REQUIRE_OK(p);
  const PurchaseSummary ps = p->purchases();
  CHECK(ps.orders == 2);
  CHECK(ps.returns == 1);
  CHECK(ps.lines == 4);
  CHECK(ps.distinct_products == 2);
  CHECK(ps.by_currency[0].gross_micros ==
        15'300'000 + 2'000 + 2'550'000);  // 0.001 exact
  CHECK(ps.by_currency[0].returned_micros == 5'100'000);
  CHECK(ps.first_purchase_ms == 1291191960000);  // 08:26, the earliest line

  // Importing again records nothing and changes nothing.
  const std::string before(p->bytes());
  s = ImportPurchases(*store, {file}, Gbp());
  REQUIRE_OK(s);
  CHECK(s->recorded == 0);
  CHECK(s->already_recorded == 3);
  CHECK(std::string(store->Get("17850")->bytes()) == before);
}

TEST_CASE(
    "Without an order column identical rows stay separate orders, and "
    "re-import is idempotent") {
  TempDir dir;
  auto store = OpenStore(dir);
  const std::string file = WriteFile(dir, "b.csv",
                                     "Client;Total;When\n"
                                     "c1;10.00;2024-03-01\n"
                                     "c1;10.00;2024-03-01\n"
                                     "c1;-4.50;3/2/2024 10:15\n");
  ImportOptions options = Gbp();
  options.delimiter = ';';
  REQUIRE_OK(ParseColumnMap("customer=Client,line_total=Total,ts=When"));
  options.columns = *ParseColumnMap("customer=Client,line_total=Total,ts=When");
  absl::StatusOr<ImportSummary> s = ImportPurchases(*store, {file}, options);
  REQUIRE_OK(s);
  CHECK(s->orders == 3);
  CHECK(s->recorded == 3);
  absl::StatusOr<Profile> p = store->Get("c1");
  REQUIRE_OK(p);
  CHECK(p->purchases().orders == 2);  // both identical rows count
  CHECK(p->purchases().returns == 1);
  CHECK(p->purchases().by_currency[0].net_micros() == 15'500'000);
  s = ImportPurchases(*store, {file}, options);
  REQUIRE_OK(s);
  CHECK(s->recorded == 0);
  CHECK(s->already_recorded == 3);
}

TEST_CASE(
    "A malformed row stops the import with file:line and column, writing "
    "nothing") {
  TempDir dir;
  auto store = OpenStore(dir);
  const std::string file = WriteFile(dir, "c.csv",
                                     "customer,order,quantity,unit_price,ts\n"
                                     "c1,o1,1,2.00,2024-01-01\n"
                                     "c2,o2,two,2.00,2024-01-01\n"
                                     "c3,o3,1,abc,2024-01-01\n"
                                     "c4,o4,1,2.00,yesterday\n");
  absl::StatusOr<ImportSummary> s = ImportPurchases(*store, {file}, Gbp());
  CHECK(absl::IsInvalidArgument(s.status()));
  CHECK(s.status().message() ==
        file + ":3: column 'quantity' (3): not a whole number: \"two\"");
  CHECK(absl::IsNotFound(store->Get("c1").status()));  // nothing recorded

  ImportOptions skip = Gbp();
  skip.skip_bad_rows = true;
  s = ImportPurchases(*store, {file}, skip);
  REQUIRE_OK(s);
  CHECK(s->rows == 4);
  CHECK(s->bad_rows == 3);
  CHECK(s->recorded == 1);
  CHECK(s->bad_row_reasons.at("quantity: not a whole number") == 1);
  CHECK(s->bad_row_reasons.at("unit_price: not a decimal amount") == 1);
  CHECK(s->bad_row_reasons.at("ts: not a date/time") == 1);
  CHECK(store->Get("c1").ok());
}

TEST_CASE("An event the store rejects is reported at its order's first row") {
  TempDir dir;
  auto store = OpenStore(dir);
  const std::string long_sku(200, 'x');
  const std::string file =
      WriteFile(dir, "d.csv",
                "customer,order,sku,quantity,unit_price,ts\n"
                "c1,o1,A,1,2.00,2024-01-01\n"
                "c2,o2," +
                    long_sku + ",1,2.00,2024-01-01\n");
  absl::StatusOr<ImportSummary> s = ImportPurchases(*store, {file}, Gbp());
  CHECK(absl::IsInvalidArgument(s.status()));
  CHECK(s.status().message().find(
            file + ":3: order \"c2/o2\": purchase.lines[0].sku") == 0);
  ImportOptions skip = Gbp();
  skip.skip_bad_rows = true;
  s = ImportPurchases(*store, {file}, skip);
  REQUIRE_OK(s);
  CHECK(s->recorded == 1);
  CHECK(s->bad_rows == 1);
}

TEST_CASE("Header problems are reported before any row is read") {
  TempDir dir;
  auto store = OpenStore(dir);
  const std::string file =
      WriteFile(dir, "e.csv", "who,price,ts\nc1,1.00,2024-01-01\n");
  absl::StatusOr<ImportSummary> s = ImportPurchases(*store, {file}, Gbp());
  CHECK(absl::IsInvalidArgument(s.status()));
  CHECK(s.status().message().find("no column for customer") !=
        absl::string_view::npos);
  ImportOptions options = Gbp();
  options.columns = {{"customer", "Customer"}};
  s = ImportPurchases(*store, {file}, options);
  CHECK(s.status().message().find("no column \"Customer\"") !=
        absl::string_view::npos);
  options.columns = {{"customer", "who"}, {"unit_price", "price"}};
  options.currency.clear();
  s = ImportPurchases(*store, {file}, options);
  CHECK(s.status().message().find("--currency") != absl::string_view::npos);
  CHECK(absl::IsInvalidArgument(ParseColumnMap("customer").status()));
  CHECK(absl::IsInvalidArgument(ParseColumnMap("shoe=Size").status()));
}

TEST_CASE("Customer ids written as floats are normalised") {
  CHECK(NormalizeCustomerId("17850.0") == "17850");
  CHECK(NormalizeCustomerId(" 17850.00 ") == "17850");
  CHECK(NormalizeCustomerId("17850.5") == "17850.5");
  CHECK(NormalizeCustomerId("A-1.0") == "A-1.0");
  CHECK(NormalizeCustomerId("") == "");
}

}  // namespace
}  // namespace ckm::tools
