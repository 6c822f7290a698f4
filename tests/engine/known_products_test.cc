// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The write path's cache of known products: what it answers, what it drops.

#include "engine/known_products.h"

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
  KnownProducts cache(6);
  cache.Put("c1", {"a", "b"});
  cache.Put("c2", {"a", "b"});
  cache.Put("c3", {"a", "b"});
  CHECK(cache.CountNew("c1", Views{}).has_value());  // c1 is now the newest
  cache.Add("c1", Views{"c"});                       // 7 > 6: c2 goes
  CHECK_FALSE(cache.CountNew("c2", Views{}).has_value());
  CHECK(cache.CountNew("c3", Views{}).has_value());
  CHECK(cache.CountNew("c1", Views{"a", "b", "c"}) == 0);
  CHECK(cache.size() == 5);

  // More than half the capacity is never cached, and forgets what was.
  cache.Put("c1", {"a", "b", "c", "d"});
  CHECK_FALSE(cache.CountNew("c1", Views{}).has_value());
  CHECK(cache.size() == 2);
}

TEST_CASE("KnownProducts admits customers that miss again soon") {
  KnownProducts cache(512 * 2);  // remembers the last 2 to 4 that missed
  CHECK_FALSE(cache.Admit("c1"));
  CHECK(cache.Admit("c1"));        // second miss in the window
  CHECK_FALSE(cache.Admit("c1"));  // admitting forgets the first miss
  for (const char* c : {"c2", "c3", "c4", "c5", "c6"}) {
    CHECK_FALSE(cache.Admit(c));
  }
  CHECK_FALSE(cache.Admit("c2"));  // gone from the window: a first miss again
  CHECK(cache.Admit("c6"));
}

TEST_CASE("A cached set that outgrows half the cache is dropped") {
  KnownProducts cache(6);
  cache.Put("c1", {"a", "b"});
  cache.Add("c1", Views{"c"});
  CHECK(cache.CountNew("c1", Views{"a"}) == 0);
  cache.Add("c1", Views{"d"});  // 4 > 6 / 2
  CHECK_FALSE(cache.CountNew("c1", Views{"a"}).has_value());
  CHECK(cache.size() == 0);
}

TEST_CASE("KnownProducts with capacity 0 caches nothing") {
  KnownProducts cache(0);
  cache.Put("c1", {});
  cache.Put("c2", {"a"});
  CHECK_FALSE(cache.CountNew("c1", Views{}).has_value());
  CHECK_FALSE(cache.CountNew("c2", Views{}).has_value());
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.Admit("c1"));
  CHECK_FALSE(cache.Admit("c1"));
}

}  // namespace
}  // namespace ckm
