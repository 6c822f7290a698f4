// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A terminal asks head office for a profile it does not hold: the node of
// the customer's partition answers, and the copy stays readable offline.

#include <signal.h>

#include <algorithm>
#include <fstream>

#include "catch2/catch.hpp"
#include "event_gen.h"
#include "sync/nats_client.h"
#include "sync/nats_server.h"
#include "sync/sync_fixture.h"
#include "tools/cli_runner.h"

namespace ckm {
namespace {

using ckm_test::Child;
using ckm_test::Eventually;
using ckm_test::NatsServer;
using ckm_test::TempDir;

// Asks for `customer`'s profile as role `role` the way any NATS client
// could, and returns the answer's Ckm-Status.
std::string RawRequest(const SyncOptions& options, const std::string& customer,
                       const std::string& role) {
  auto c = sync::Connection::Open(options);
  REQUIRE_OK(c);
  const std::string subject =
      "ckm.profile." +
      std::to_string(PartitionOf(customer, options.partitions));
  natsMsg* raw = nullptr;
  REQUIRE(natsMsg_Create(&raw, subject.c_str(), nullptr, customer.data(),
                         static_cast<int>(customer.size())) == NATS_OK);
  sync::MsgPtr request(raw);
  REQUIRE(natsMsgHeader_Set(request.get(), "Ckm-Role", role.c_str()) ==
          NATS_OK);
  natsMsg* answer = nullptr;
  REQUIRE(natsConnection_RequestMsg(&answer, (*c)->nc(), request.get(), 5000) ==
          NATS_OK);
  sync::MsgPtr reply(answer);
  const char* status = nullptr;
  REQUIRE(natsMsgHeader_Get(reply.get(), "Ckm-Status", &status) == NATS_OK);
  const std::string out = status;
  (*c)->Close();
  return out;
}

// Whether `fetched` holds `bytes`, unredacted.
bool FetchedInFull(const absl::StatusOr<Profile>& fetched,
                   const std::string& bytes) {
  return fetched.ok() && fetched->bytes() == bytes &&
         fetched->redacted().empty();
}

TEST_CASE("A terminal fetches a profile from the node of its partition") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  auto terminal = ckm_test::PublishedTerminal(
      dir.sub("terminal"), ckm_test::EventGen(51, 8).Events(200), options);
  // Two nodes, so that each request must find its partition's node.
  auto store_a = ckm_test::OpenTestStore(dir.sub("node-a"), false);
  auto store_b = ckm_test::OpenTestStore(dir.sub("node-b"), false);
  auto a = PartitionNode::Start(*store_a, {0, 1}, options);
  auto b = PartitionNode::Start(*store_b, {2, 3}, options);
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));

  const std::map<std::string, std::string> want =
      ckm_test::ProfilesById(*terminal);
  REQUIRE(want.size() == 8);
  std::vector<Profile> cached;
  for (const auto& [customer, bytes] : want) {
    INFO(customer);
    absl::StatusOr<Profile> fetched = FetchProfile(options, customer);
    REQUIRE_OK(fetched);
    CHECK(fetched->bytes() == bytes);
    cached.push_back(*std::move(fetched));
  }
  CHECK(absl::IsNotFound(FetchProfile(options, "nobody").status()));

  // Head office goes away; the copies stay readable.
  (*a)->Stop();
  (*b)->Stop();
  a->reset();
  b->reset();
  const absl::Status offline =
      FetchProfile(options, cached.front().customer_id()).status();
  CHECK((absl::IsUnavailable(offline) || absl::IsDeadlineExceeded(offline)));
  for (const Profile& p : cached)
    CHECK(p.bytes() == want.at(std::string(p.customer_id())));
}

// Head office reads for the role and purpose the terminal names, under its
// own policy: the same redaction as a read there, the same refusals, and
// an entry in its access audit.
TEST_CASE("A fetched profile is read with the terminal's access context") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  auto terminal = ckm_test::PublishedTerminal(
      dir.sub("terminal"), ckm_test::EventGen(52, 6).Events(240), options);
  StoreOptions office_options;
  office_options.access_audit = true;
  office_options.access_policy = AccessPolicy{
      {{"till", {DataPart::kPurchaseLines}},
       {"call_centre",
        {DataPart::kIdentities, DataPart::kPersonal, DataPart::kDemographic,
         DataPart::kPsychographic, DataPart::kCustom,
         DataPart::kInteractionText, DataPart::kPurchaseLines}}},
      {"marketing.email"}};
  auto office = Store::Open(dir.sub("office"), office_options);
  REQUIRE_OK(office);
  auto node = PartitionNode::Start(**office, {0, 1, 2, 3}, options);
  REQUIRE_OK(node);
  REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));

  const std::map<std::string, std::string> full =
      ckm_test::ProfilesById(*terminal);
  REQUIRE(full.size() == 6);
  const ReadOptions reads[] = {
      {"", "till"}, {"", "call_centre"}, {"marketing.email", "call_centre"}};
  int by_consent = 0;  // call centre reads for marketing lacking consent
  for (const auto& [customer, bytes] : full) {
    for (const ReadOptions& read : reads) {
      INFO(customer << " as " << read.role << " for " << read.purpose);
      absl::StatusOr<Profile> fetched = FetchProfile(options, customer, read);
      REQUIRE_OK(fetched);
      absl::StatusOr<Profile> there = (*office)->Get(customer, read);
      REQUIRE_OK(there);
      CHECK(fetched->bytes() == there->bytes());
      CHECK(fetched->redacted() == there->redacted());
      if (read.purpose.empty()) continue;
      by_consent += fetched->redacted().empty() ? 0 : 1;
    }
    CHECK(FetchedInFull(FetchProfile(options, customer, {"", "call_centre"}),
                        bytes));
    CHECK_FALSE(FetchProfile(options, customer, reads[0])->redacted().empty());
    // No role, or one the policy does not name: refused, as there.
    CHECK(absl::IsPermissionDenied(FetchProfile(options, customer).status()));
    CHECK(absl::IsPermissionDenied(
        FetchProfile(options, customer, {"", "stranger"}).status()));
    // Values a header would change on the way are refused before it.
    for (const auto& [bad, field] :
         {std::pair(ReadOptions{"", "till\n"}, "read.role"),
          std::pair(ReadOptions{"", " till"}, "read.role"),
          std::pair(ReadOptions{"marketing.email ", "call_centre"},
                    "read.purpose"),
          std::pair(ReadOptions{"", std::string(129, 'r')}, "read.role")}) {
      const absl::Status refused =
          FetchProfile(options, customer, bad).status();
      CHECK(absl::IsInvalidArgument(refused));
      CHECK(refused.message().find(field) != std::string_view::npos);
    }
    // So is such a request from another client, by the node: unread and
    // unaudited.
    CHECK(RawRequest(options, customer, std::string(200, 'r')) == "invalid");
    CHECK(RawRequest(options, customer, "till") == "ok");
    absl::StatusOr<std::vector<AccessEntry>> log =
        (*office)->AccessLog(customer);
    REQUIRE_OK(log);
    CHECK(std::count_if(log->begin(), log->end(), [](const AccessEntry& e) {
            return e.call == "Get" && e.role == "till" && e.outcome == "OK";
          }) == 4);  // three fetches and the read here
    CHECK(std::none_of(log->begin(), log->end(), [](const AccessEntry& e) {
      return e.role.size() > 128;
    }));
  }
  CHECK(by_consent > 0);
  CHECK(absl::IsInvalidArgument(
      FetchProfile(options, std::string(300, 'x'), {"", "till"}).status()));
  (*node)->Stop();
}

// The same from the command line: `ckm node --policy FILE --audit` answers
// `ckm sync fetch` as its policy says, and audits the reads.
TEST_CASE("ckm sync fetch asks a ckm node with an access policy") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  NatsServer server(dir.path());
  const SyncOptions options = ckm_test::TestSyncOptions(server.url());
  auto terminal = ckm_test::PublishedTerminal(
      dir.sub("terminal"), ckm_test::EventGen(53, 3).Events(90), options);
  const std::string policy = dir.sub("policy.txt");
  std::ofstream(policy) << "role till purchase_lines\nrole office all\n";
  const std::string deployment = " --nats " + options.nats_url +
                                 " --partition-count " +
                                 std::to_string(options.partitions);
  const std::string node_db = dir.sub("node");
  Child node({CKM_CLI, "node", "--partitions", "0-3", "--db", node_db,
              "--policy", policy, "--audit", "--nats", options.nats_url,
              "--partition-count", std::to_string(options.partitions)},
             dir.sub("node.log"));
  REQUIRE(Eventually([&] { return ckm_test::Drained(options); }));

  const std::string customer = ckm_test::ProfilesById(*terminal).begin()->first;
  ckm_test::SplitResult till = ckm_test::CkmSplit(
      dir, "sync fetch " + customer + " --role till" + deployment);
  INFO(till.out << till.err);
  CHECK(till.exit_code == 0);
  CHECK(till.out.find("\"redacted\":[\"identities\",\"personal\"") !=
        std::string::npos);
  ckm_test::SplitResult office = ckm_test::CkmSplit(
      dir, "sync fetch " + customer + " --role office" + deployment);
  CHECK(office.exit_code == 0);
  CHECK(office.out.find("redacted") == std::string::npos);
  CHECK(office.out.find(customer) != std::string::npos);
  ckm_test::SplitResult stranger = ckm_test::CkmSplit(
      dir, "sync fetch " + customer + " --role stranger" + deployment);
  CHECK(stranger.exit_code == 1);
  CHECK(stranger.err.find("may read nothing") != std::string::npos);
  REQUIRE(node.Kill(SIGTERM) == 0);

  auto head_office = ckm_test::OpenTestStore(node_db, false);
  absl::StatusOr<std::vector<AccessEntry>> log =
      head_office->AccessLog(customer);
  REQUIRE_OK(log);
  std::vector<std::string> seen;
  for (const AccessEntry& e : *log) seen.push_back(e.role + " " + e.outcome);
  CHECK(seen == std::vector<std::string>{"till OK", "office OK",
                                         "stranger PERMISSION_DENIED"});
}

}  // namespace
}  // namespace ckm
