// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The JSON writer's day formatting, shared by Profile::ToJson and the ckm
// tool's export, at its edges.

#include "codec/json.h"

#include <limits>

#include "catch2/catch.hpp"

namespace ckm::json {
namespace {

TEST_CASE("FormatDays: six decimals, rounded half away from zero, any int64") {
  CHECK(FormatDays(0) == "0.000000");
  CHECK(FormatDays(90'000'000) == "1.041667");
  CHECK(FormatDays(86'399'999) == "1.000000");  // rounds up into the next day
  CHECK(FormatDays(43) == "0.000000");          // 0.4977 millionths
  CHECK(FormatDays(44) == "0.000001");          // 0.5093 millionths
  CHECK(FormatDays(-43'200'000) == "-0.500000");
  CHECK(FormatDays(std::numeric_limits<std::int64_t>::max()) ==
        "106751991167.300646");
  CHECK(FormatDays(std::numeric_limits<std::int64_t>::min()) ==
        "-106751991167.300646");
}

}  // namespace
}  // namespace ckm::json
