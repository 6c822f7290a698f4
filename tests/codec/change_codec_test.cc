// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Changes in the outbox (codec/change_codec.h): every kind round-trips
// exactly, malformed changes are refused naming the field, and damaged
// bytes are DataLoss, never a crash or a read past the end.

#include "codec/change_codec.h"

#include <random>
#include <tuple>

#include "catch2/catch.hpp"
#include "test_util.h"

namespace ckm {
namespace {

using Kind = OutboxChange::Kind;

auto Tie(const OutboxChange& c) {
  return std::tie(c.kind, c.id, c.ts_ms, c.actor, c.reason, c.customer, c.other,
                  c.root, c.identity_type, c.identity_value, c.erased);
}

std::string RandomText(std::mt19937_64& rng, std::size_t max) {
  std::string out(rng() % (max + 1), 'a');
  for (char& c : out) c = static_cast<char>('a' + rng() % 26);
  return out;
}

// A valid change of `kind`, its fields drawn from `rng`.
OutboxChange RandomChange(std::mt19937_64& rng, Kind kind) {
  OutboxChange c;
  c.kind = kind;
  c.id = std::string(codec::kChangeIdBytes, '\0');
  for (char& b : c.id) b = static_cast<char>(rng());
  c.ts_ms = static_cast<std::int64_t>(rng() % 253'402'300'799'999);
  c.reason = RandomText(rng, 40);
  c.customer = "c-" + RandomText(rng, 10);
  if (kind != Kind::kErase && rng() % 2 == 0)
    c.root = "r-" + RandomText(rng, 10);
  if (kind == Kind::kMerge || kind == Kind::kUnmerge) {
    c.actor = RandomText(rng, 12);
    c.other = "o-" + RandomText(rng, 10);
  } else if (kind == Kind::kUnlink) {
    c.actor = RandomText(rng, 12);
    c.identity_type = static_cast<IdentityType>(1 + rng() % 4);
    c.identity_value = "v" + RandomText(rng, 20);
  } else {
    c.erased = {c.customer};
    for (std::size_t n = rng() % 4; n > 0; --n)
      c.erased.push_back("m-" + RandomText(rng, 8));
    std::sort(c.erased.begin(), c.erased.end());
    c.erased.erase(std::unique(c.erased.begin(), c.erased.end()),
                   c.erased.end());
  }
  return c;
}

TEST_CASE("Every kind of change round-trips through its outbox value") {
  for (std::uint64_t seed = 7100; seed < 7300; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    const auto kind = static_cast<Kind>(1 + seed % 4);
    const OutboxChange change = RandomChange(rng, kind);
    REQUIRE_OK(codec::CheckChange(change));
    const std::string bytes = codec::EncodeChange(change);
    CHECK(codec::IsEncodedChange(bytes));
    absl::StatusOr<OutboxChange> decoded = codec::DecodeChange(bytes);
    REQUIRE_OK(decoded);
    REQUIRE(Tie(*decoded) == Tie(change));
    REQUIRE(codec::EncodeChange(*decoded) == bytes);
  }
}

TEST_CASE("Malformed changes are refused naming the field") {
  std::mt19937_64 rng(5);
  const OutboxChange merge = RandomChange(rng, Kind::kMerge);
  const OutboxChange erase = RandomChange(rng, Kind::kErase);
  const auto refused = [](OutboxChange c, absl::string_view field) {
    const absl::Status s = codec::CheckChange(c);
    INFO(s);
    CHECK(absl::IsInvalidArgument(s));
    CHECK(s.message().find(field) != absl::string_view::npos);
  };
  OutboxChange c = merge;
  c.kind = static_cast<Kind>(9);
  refused(c, "change.kind");
  c = merge;
  c.id = "short";
  refused(c, "change.id");
  c = merge;
  c.ts_ms = -1;
  refused(c, "change.ts_ms");
  c = merge;
  c.customer = "";
  refused(c, "change.customer");
  c = merge;
  c.other = c.customer;
  refused(c, "change.other");
  c = merge;
  c.erased = {c.customer};
  refused(c, "change.erased");
  c = merge;
  c.reason = std::string(1025, 'r');
  refused(c, "change.reason");
  c = merge;
  c.root = c.customer;
  refused(c, "change.root");
  c = erase;
  c.root = "r";
  refused(c, "change.root");
  c = erase;
  c.erased = {"z", "a"};
  c.customer = "a";
  refused(c, "change.erased");
  c = erase;
  c.erased = {"x"};
  c.customer = "y";
  refused(c, "change.erased");
  c = erase;
  c.other = "o";
  refused(c, "change.other");
  c = RandomChange(rng, Kind::kUnlink);
  c.identity_value = "";
  refused(c, "change.identity_value");
}

TEST_CASE("Damaged change values are DataLoss") {
  for (std::uint64_t seed = 300; seed < 340; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    const std::string bytes =
        codec::EncodeChange(RandomChange(rng, static_cast<Kind>(1 + seed % 4)));
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      REQUIRE(
          absl::IsDataLoss(codec::DecodeChange(bytes.substr(0, n)).status()));
    }
    REQUIRE(absl::IsDataLoss(codec::DecodeChange(bytes + 'x').status()));
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      for (unsigned char mask : {0x01, 0x40, 0x80}) {
        std::string flipped = bytes;
        flipped[i] = static_cast<char>(flipped[i] ^ mask);
        absl::StatusOr<OutboxChange> decoded = codec::DecodeChange(flipped);
        if (decoded.ok()) {
          // Still a valid change, and these are its only bytes.
          REQUIRE(codec::EncodeChange(*decoded) == flipped);
        } else {
          REQUIRE(absl::IsDataLoss(decoded.status()));
        }
      }
    }
  }
  // An event is not a change, and a change of an unknown version is refused.
  std::mt19937_64 rng(1);
  std::string version = codec::EncodeChange(RandomChange(rng, Kind::kMerge));
  version[4] = 2;
  const absl::Status unknown = codec::DecodeChange(version).status();
  CHECK(absl::IsDataLoss(unknown));
  CHECK(unknown.message().find("unknown version 2") != absl::string_view::npos);
  CHECK(!codec::IsEncodedChange("not a change"));
}

}  // namespace
}  // namespace ckm
