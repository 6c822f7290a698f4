// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// `ckm record` and `ckm history --format jsonl`: events in their JSON form in
// and out, all or nothing, and a round trip that gives the same profiles.

#include "record.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "catch2/catch.hpp"
#include "ckm/event_json.h"
#include "ckm/store.h"
#include "event_gen.h"
#include "test_util.h"
#include "tools/cli_runner.h"

namespace {

using ckm_test::Ckm;
using ckm_test::TempDir;

TEST_CASE(
    "History as JSON Lines, recorded into a new store, gives "
    "byte-identical profiles") {
  const std::uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  ckm_test::EventGen gen(seed, 4);
  TempDir dir;
  auto a = ckm::Store::Open(dir.sub("a"));
  REQUIRE_OK(a);
  std::vector<ckm::Event> events = gen.Events(400);
  // Identities, and events that name their customer by one.
  for (int c = 0; c < 4; ++c) {
    ckm::Event link;
    link.id = 1'000'000 + c;
    link.customer = ckm::CustomerRef::Id("cust-" + std::to_string(c));
    link.ts_ms = 1'600'000'000'000 + c;
    link.body = ckm::Identity{ckm::IdentityType::kEmail,
                              "c" + std::to_string(c) + "@example.org"};
    events.insert(events.begin(), link);
  }
  events[200].customer =
      ckm::CustomerRef::ByIdentity(ckm::IdentityType::kEmail, "c2@example.org");
  REQUIRE_OK((*a)->Record(events));

  // Every customer's history, as `ckm history --format jsonl` writes it, in
  // a random order of customers.
  std::string jsonl;
  std::vector<std::string> customers;
  for (const auto& [id, bytes] : ckm_test::ProfilesById(**a))
    customers.push_back(id);
  std::shuffle(customers.begin(), customers.end(), gen.rng());
  for (const std::string& id : customers) {
    ckm::HistoryQuery all;
    all.limit = 0;
    auto history = (*a)->History(id, all);
    REQUIRE_OK(history);
    for (const ckm::Event& e : *history) jsonl += ckm::EventToJson(e) + "\n";
  }
  auto b = ckm::Store::Open(dir.sub("b"));
  REQUIRE_OK(b);
  std::istringstream in(jsonl);
  ckm::tools::RecordJsonOptions options;
  options.batch_size = 1 + gen.Pick(50);
  auto summary = ckm::tools::RecordJsonLines(**b, {{"-", &in}}, options);
  REQUIRE_OK(summary);
  CHECK(summary->recorded == static_cast<std::int64_t>(events.size()));
  CHECK(ckm_test::ProfilesById(**b) == ckm_test::ProfilesById(**a));
}

TEST_CASE(
    "ckm record: JSON Lines from files and stdin, history back as JSON "
    "Lines, and nothing recorded twice") {
  TempDir dir;
  const std::string db = "--db " + dir.sub("db");
  const std::string lines =
      R"({"v":1,"id":"1","customer":"c1","ts":"2026-01-02T10:00:00.000Z",)"
      R"("source":"pos","identity":{"type":"email","value":"c1@x.org"}})"
      "\n\n"
      R"({"v":1,"id":"2","customer":{"type":"email","value":"c1@x.org"},)"
      R"("ts":"2026-01-02T11:00:00.000Z","source":"","purchase":)"
      R"({"order_id":"A","currency":"GBP","channel":"web","store":"",)"
      R"("lines":[{"sku":"tea","category":"","quantity":3,)"
      R"("unit_price":"0.333333"}]}})"
      "\n";
  const std::string file = ckm_test::WriteFile(dir, "events.jsonl", lines);
  ckm_test::CliResult r = Ckm(dir, "record " + file + " " + db);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("read 2 lines, 2 events: 2 recorded, 0 already recorded") !=
        std::string::npos);

  r = Ckm(dir, "record " + db + " < " + file);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("0 recorded, 2 already recorded") != std::string::npos);

  r = Ckm(dir, "history c1 --format jsonl --limit 0 " + db);
  REQUIRE(r.exit_code == 0);
  // Newest first, the customer named by id as recorded.
  CHECK(r.out ==
        R"({"v":1,"id":"2","customer":"c1","ts":"2026-01-02T11:00:00.000Z",)"
        R"("source":"","purchase":{"order_id":"A","currency":"GBP",)"
        R"("channel":"web","store":"","lines":[{"sku":"tea","category":"",)"
        R"("quantity":3,"unit_price":"0.333333"}]}})"
        "\n"
        R"({"v":1,"id":"1","customer":"c1","ts":"2026-01-02T10:00:00.000Z",)"
        R"("source":"pos","identity":{"type":"email","value":"c1@x.org"}})"
        "\n");
}

TEST_CASE("ckm record: a bad line stops it before anything is written") {
  TempDir dir;
  const std::string good =
      R"({"id":"1","customer":"c1","ts":"2026-01-02T10:00:00Z",)"
      R"("consent":{"purpose":"marketing.email","granted":true}})";
  const std::pair<std::string, std::string> cases[] = {
      {R"({"id":"2","customer":"c1","ts":"2026-01-02T10:00:00Z",)"
       R"("purchase":{"currency":"GBP","lines":[{"unit_price":"x"}]}})",
       "bad.jsonl:3: purchase.lines[0].unit_price: not a decimal amount"},
      {R"({"id":"2","customer":"c1","ts":"2026-01-02T10:00:00Z",)"
       R"("purchase":{"currency":"XXQ","total":"1"}})",
       "bad.jsonl:3: purchase.currency: "},
      {R"({"id":"2","customer":{"type":"phone","value":"+44 113 496 0000"},)"
       R"("ts":"2026-01-02T10:00:00Z","consent":{"purpose":"p","granted":true}})",
       "bad.jsonl:3: customer: unknown identity \"phone:+441134960000\""},
      {R"({"id":"2","customer":{"type":"phone","value":"+1"},)"
       R"("ts":"2026-01-02T10:00:00Z","consent":{"purpose":"p","granted":true}})",
       "bad.jsonl:3: customer: not a phone number"},
      {"{\"id\":", "bad.jsonl:3: at byte 6: "},
  };
  for (const auto& [bad, message] : cases) {
    INFO(bad);
    const std::string file = ckm_test::WriteFile(
        dir, "bad.jsonl", good + "\n\n" + bad + "\n" + good + "\n");
    ckm_test::CliResult r =
        Ckm(dir, "record " + file + " --db " + dir.sub("db"));
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(r.out.rfind("ckm: ", 0) == 0);
    CHECK(r.out.find(message) != std::string::npos);
    CHECK(!std::filesystem::exists(dir.sub("db")));  // no store left behind
  }
  // An existing store is left as it was.
  const std::string file = ckm_test::WriteFile(dir, "good.jsonl", good + "\n");
  REQUIRE(Ckm(dir, "record " + file + " --db " + dir.sub("db")).exit_code == 0);
  ckm_test::WriteFile(
      dir, "bad.jsonl",
      R"({"id":"9","customer":"c2","ts":"2026-01-02T10:00:00Z",)"
      R"("consent":{"purpose":"p","granted":true}})"
      "\n"
      R"({"id":"9","customer":"c3","ts":"2026-01-02T10:00:00Z",)"
      R"("identity":{"type":"email","value":""}})");
  ckm_test::CliResult r =
      Ckm(dir, "record " + dir.sub("bad.jsonl") + " --db " + dir.sub("db"));
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("bad.jsonl:2: identity.value") != std::string::npos);
  r = Ckm(dir, "get c2 --db " + dir.sub("db"));
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("no customer \"c2\"") != std::string::npos);
}

}  // namespace

TEST_CASE(
    "An export of a merged group, recorded into a new store, gives the "
    "same merges and byte-identical profiles") {
  const std::uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  ckm_test::EventGen gen(seed, 5);
  TempDir dir;
  auto a = ckm::Store::Open(dir.sub("a"));
  REQUIRE_OK(a);
  REQUIRE_OK((*a)->Record(gen.Events(300)));
  REQUIRE(ckm_test::ProfilesById(**a).size() == 5);
  // A chain: cust-1 into cust-0, then cust-0 into cust-2.
  REQUIRE_OK((*a)->Merge("cust-0", "cust-1", {"test", "same person", {}}));
  REQUIRE_OK((*a)->Merge("cust-2", "cust-0", {"test", "same again", {}}));

  // Exporting any member gives the group, with its survivor and aliases.
  auto of_absorbed = (*a)->Export("cust-1", 0);
  REQUIRE_OK(of_absorbed);
  auto merges = ckm::MergesFromJson(*of_absorbed);
  REQUIRE_OK(merges);
  CHECK(merges->survivor == "cust-2");
  CHECK(merges->aliases == std::vector<std::string>{"cust-0", "cust-1"});
  CHECK(of_absorbed->find(R"("identity_changes":[{"kind":"merged_into")") !=
        std::string::npos);

  std::string jsonl;
  for (const char* id : {"cust-2", "cust-3", "cust-4"}) {
    auto doc = (*a)->Export(id, 0);
    REQUIRE_OK(doc);
    jsonl += *doc + "\n";
  }
  auto b = ckm::Store::Open(dir.sub("b"));
  REQUIRE_OK(b);
  for (int run = 0; run < 2; ++run) {  // the second run changes nothing
    std::istringstream in(jsonl);
    auto summary = ckm::tools::RecordJsonLines(**b, {{"-", &in}}, {});
    REQUIRE_OK(summary);
    CHECK(summary->merges == 2);
    CHECK(summary->recorded == (run == 0 ? 300 : 0));
    CHECK(ckm_test::ProfilesById(**b) == ckm_test::ProfilesById(**a));
  }
  auto group = (*b)->Identities("cust-1");
  REQUIRE_OK(group);
  CHECK(group->survivor == "cust-2");
  CHECK(group->aliases == std::vector<std::string>{"cust-0", "cust-1"});
}

TEST_CASE(
    "ckm record refuses an export whose aliases are malformed, and records "
    "nothing") {
  TempDir dir;
  auto b = ckm::Store::Open(dir.sub("b"));
  REQUIRE_OK(b);
  const std::string event =
      R"({"v":1,"id":"1","customer":"c1","ts":"2026-01-02T10:00:00.000Z",)"
      R"("source":"","consent":{"purpose":"email","granted":true}})";
  for (const std::string& bad :
       {std::string(R"("survivor":"c1","aliases":5)"),
        std::string(R"("survivor":"c1","aliases":[7])"),
        std::string(R"("survivor":3,"aliases":["c2"])"),
        std::string(R"("aliases":["c2"])")}) {
    INFO(bad);
    std::istringstream in(R"({"format":"ckm.export","version":2,)" + bad +
                          R"(,"events":[)" + event + "]}\n");
    auto summary = ckm::tools::RecordJsonLines(**b, {{"in", &in}}, {});
    REQUIRE(absl::IsInvalidArgument(summary.status()));
    CHECK(summary.status().message().rfind("in:1: ", 0) == 0);
    CHECK(ckm_test::ProfilesById(**b).empty());
  }
}
