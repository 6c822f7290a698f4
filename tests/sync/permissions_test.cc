// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A deployment whose NATS server authenticates each user and limits a
// till to its subjects (docs/sync.md, "A profile from head office"): the
// till publishes its outbox and fetches profiles with no more than that;
// a wrong password, or a user without those subjects, is refused and
// removes nothing from the outbox.

#include <fstream>
#include <string>

#include "catch2/catch.hpp"
#include "event_gen.h"
#include "sync/nats_server.h"
#include "sync/sync_fixture.h"

namespace ckm {
namespace {

using ckm_test::Eventually;
using ckm_test::NatsServer;
using ckm_test::TempDir;

// Head office's user may do anything; the till may publish events, ask
// for profiles, look its streams up and read the answers.
constexpr char kConfig[] = R"(authorization {
  users = [
    {user: office, password: office-secret}
    {user: narrow, password: narrow-secret, permissions: {
      publish: {allow: ["$JS.API.STREAM.INFO.>"]}
      subscribe: {allow: ["_INBOX.>"]}
    }}
    {user: till, password: till-secret, permissions: {
      publish: {allow: ["ckm.events.>", "ckm.profile.>",
                        "$JS.API.STREAM.INFO.>"]}
      subscribe: {allow: ["_INBOX.>"]}
    }}
  ]
}
)";

std::string WithUser(const std::string& url, const std::string& user) {
  const std::string scheme = "nats://";
  return scheme + user + "@" + url.substr(scheme.size());
}

TEST_CASE("A till limited to its subjects publishes and fetches") {
  SKIP_WITHOUT_NATS_SERVER();
  TempDir dir = TempDir::InMemory();
  const std::string config = dir.sub("nats.conf");
  std::ofstream(config) << kConfig;
  NatsServer server(dir.path(), {"-c", config});
  SyncOptions office =
      ckm_test::TestSyncOptions(WithUser(server.url(), "office:office-secret"));
  SyncOptions till = office;
  till.nats_url = WithUser(server.url(), "till:till-secret");
  SyncOptions narrow = office;  // may not publish events or ask
  narrow.nats_url = WithUser(server.url(), "narrow:narrow-secret");
  SyncOptions intruder = office;
  intruder.nats_url = WithUser(server.url(), "till:guessed");

  auto head_office = ckm_test::OpenTestStore(dir.sub("office"), false);
  auto node = PartitionNode::Start(*head_office, {0, 1, 2, 3}, office);
  REQUIRE_OK(node);  // it makes the streams: the till may not
  const std::vector<Event> events = ckm_test::EventGen(54, 5).Events(150);
  auto terminal = ckm_test::OpenTestStore(dir.sub("terminal"), true);
  REQUIRE_OK(terminal->Record(events));
  const std::uint64_t queued = ckm_test::OutboxDepth(*terminal);
  REQUIRE(queued == events.size());

  const absl::Status refused = DrainOutbox(*terminal, intruder).status();
  INFO(refused.ToString());
  CHECK(absl::IsUnauthenticated(refused));
  CHECK(refused.message().find("guessed") == std::string::npos);
  CHECK(ckm_test::OutboxDepth(*terminal) == queued);

  const absl::Status not_permitted = DrainOutbox(*terminal, narrow).status();
  INFO(not_permitted.ToString());
  CHECK(absl::IsPermissionDenied(not_permitted));
  CHECK(ckm_test::OutboxDepth(*terminal) == queued);

  absl::StatusOr<SyncAgentStats> drained = DrainOutbox(*terminal, till);
  REQUIRE_OK(drained);
  CHECK(drained->published == queued);
  CHECK(ckm_test::OutboxDepth(*terminal) == 0);
  REQUIRE(Eventually([&] { return ckm_test::Drained(office); }));
  ckm_test::RequireSameProfiles(*terminal, {head_office.get()}, {{0, 1, 2, 3}});
  for (const auto& [customer, bytes] : ckm_test::ProfilesById(*terminal)) {
    INFO(customer);
    absl::StatusOr<Profile> copy = FetchProfile(till, customer);
    REQUIRE_OK(copy);
    CHECK(copy->bytes() == bytes);
  }
  CHECK(absl::IsUnauthenticated(FetchProfile(intruder, "anyone").status()));
  CHECK(absl::IsPermissionDenied(FetchProfile(narrow, "anyone").status()));
  (*node)->Stop();
}

}  // namespace
}  // namespace ckm
