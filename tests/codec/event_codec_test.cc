// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// History values (codec/event_codec.h): every kind of event round-trips
// exactly through the compact encoding, the bytes are canonical, damage is
// DataLoss and never read past, and format 2's FlatBuffers history still
// decodes.

#include "codec/event_codec.h"

#include <fstream>
#include <sstream>

#include "catch2/catch.hpp"
#include "event_gen.h"
#include "test_util.h"

namespace ckm {
namespace {

TEST_CASE("Every kind of event round-trips through its history value") {
  std::array<int, kEventKindCount> kinds{};
  for (int c = 0; c < 300; ++c) {
    const std::uint64_t seed = 41000 + c;
    INFO("seed " << seed);
    ckm_test::EventGen gen(seed, 3);
    for (Event& e : gen.Events(1 + gen.Pick(20))) {
      ++kinds[e.body.index()];
      const std::string bytes = EncodeEvent(e, e.customer.id);
      absl::StatusOr<Event> decoded = DecodeEvent(bytes);
      REQUIRE_OK(decoded);
      REQUIRE(*decoded == e);
      REQUIRE(EncodeEvent(*decoded, decoded->customer.id) == bytes);
    }
  }
  // The generator reaches every kind but identities; those are here.
  for (int k = 0; k < kEventKindCount; ++k) {
    if (k != static_cast<int>(EventKind::kIdentity)) CHECK(kinds[k] > 0);
  }
  for (IdentityType type :
       {IdentityType::kEmail, IdentityType::kPhone, IdentityType::kLoyaltyCard,
        IdentityType::kExternalId}) {
    const Event e{7, CustomerRef::Id("c"), 1'700'000'000'000, "crm",
                  Identity{type, "ann@example.com"}};
    absl::StatusOr<Event> decoded = DecodeEvent(EncodeEvent(e, "c"));
    REQUIRE_OK(decoded);
    CHECK(*decoded == e);
  }
}

TEST_CASE("Damaged history values are DataLoss") {
  ckm_test::EventGen gen(4242, 2);
  for (const Event& e : gen.Events(60)) {
    INFO("event " << e.id << " of kind " << e.body.index());
    const std::string bytes = EncodeEvent(e, e.customer.id);
    for (std::size_t n = 0; n < bytes.size(); ++n)
      REQUIRE(absl::IsDataLoss(DecodeEvent(bytes.substr(0, n)).status()));
    REQUIRE(absl::IsDataLoss(DecodeEvent(bytes + 'x').status()));
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ 0x40);
      absl::StatusOr<Event> decoded = DecodeEvent(flipped);
      if (decoded.ok()) {
        // Still a valid event, and these are its only bytes.
        REQUIRE(EncodeEvent(*decoded, decoded->customer.id) == flipped);
      } else {
        REQUIRE(absl::IsDataLoss(decoded.status()));
      }
    }
  }
  std::string version = EncodeEvent(gen.Events(1).front(), "c");
  version[4] = 9;
  const absl::Status unknown = DecodeEvent(version).status();
  CHECK(absl::IsDataLoss(unknown));
  CHECK(unknown.message().find("unknown version 9") != absl::string_view::npos);
}

TEST_CASE("History written by format 2 still decodes") {
  // The stored-bytes fuzzer's seeds event_1..9 are format 2's FlatBuffers
  // history values.
  for (int i = 1; i <= 9; ++i) {
    const std::string path = std::string(CKM_SOURCE_DIR) +
                             "/fuzz/corpus/fuzz_profile_bytes/event_" +
                             std::to_string(i);
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    std::stringstream bytes;
    bytes << in.rdbuf();
    INFO(path);
    absl::StatusOr<Event> decoded = DecodeEvent(bytes.str());
    REQUIRE_OK(decoded);
    CHECK(decoded->customer.id == "17850");
    absl::StatusOr<Event> again =
        DecodeEvent(EncodeEvent(*decoded, decoded->customer.id));
    REQUIRE_OK(again);
    CHECK(*again == *decoded);
  }
}

}  // namespace
}  // namespace ckm
