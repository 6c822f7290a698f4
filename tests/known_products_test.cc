// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The write path's cache of known products: what it answers, what it drops.

#include "known_products.h"

#include "catch2/catch.hpp"

namespace ckm {
namespace {

using Views = std::vector<std::string_view>;

TEST_CASE("KnownProducts answers only for cached customers") {
  KnownProducts cache(100);
  CHECK_FALSE(cache.CountNew("c1", Views{"a"}).has_value());
  cache.Add("c1", Views{"a"});  // not cached: nothing to add to
  CHECK_FALSE(cache.CountNew("c1", Views{"a"}).has_value());

  cache.Put("c1", {"a", "b"});
  CHECK(cache.CountNew("c1", Views{"a", "b"}) == 0);
  CHECK(cache.CountNew("c1", Views{"a", "c", "d"}) == 2);
  cache.Add("c1", Views{"c"});
  CHECK(cache.CountNew("c1", Views{"a", "c", "d"}) == 1);
  CHECK(cache.size() == 3);

  cache.Put("c1", {"z"});  // replaces the set
  CHECK(cache.CountNew("c1", Views{"a", "z"}) == 1);
  CHECK(cache.size() == 1);

  cache.Put("empty", {});  // a customer without products is a complete set too
  CHECK(cache.CountNew("empty", Views{"a"}) == 1);

  cache.Forget("c1");
  CHECK_FALSE(cache.CountNew("c1", Views{"z"}).has_value());
  CHECK(cache.size() == 0);
}

TEST_CASE("KnownProducts drops the least recently used customers") {
  KnownProducts cache(4);
  cache.Put("c1", {"a", "b"});
  cache.Put("c2", {"a", "b"});
  CHECK(cache.CountNew("c1", Views{}).has_value());  // c1 is now the newest
  cache.Add("c1", Views{"c"});                        // 5 > 4: c2 goes
  CHECK_FALSE(cache.CountNew("c2", Views{}).has_value());
  CHECK(cache.CountNew("c1", Views{"a", "b", "c"}) == 0);
  CHECK(cache.size() == 3);

  // More than half the capacity is never cached, and forgets what was.
  cache.Put("c1", {"a", "b", "c"});
  CHECK_FALSE(cache.CountNew("c1", Views{}).has_value());
  CHECK(cache.size() == 0);
}

TEST_CASE("KnownProducts with capacity 0 caches nothing") {
  KnownProducts cache(0);
  cache.Put("c1", {});
  cache.Put("c2", {"a"});
  CHECK_FALSE(cache.CountNew("c1", Views{}).has_value());
  CHECK_FALSE(cache.CountNew("c2", Views{}).has_value());
  CHECK(cache.size() == 0);
}

}  // namespace
}  // namespace ckm
