// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// What the erasure tests share: customers with distinctive ids and emails,
// their random events, and a search of a store's files for their bytes.

#ifndef CKM_TESTS_ENGINE_ERASE_UTIL_H_
#define CKM_TESTS_ENGINE_ERASE_UTIL_H_

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "ckm/store.h"
#include "event_gen.h"
#include "test_util.h"

namespace ckm::erase_test {

using ckm_test::EventGen;

inline std::string Id(int c) { return "erase-me-" + std::to_string(1000 + c); }
inline std::string Email(int c) {
  return "secret-" + std::to_string(1000 + c) + "@example.org";
}

// Random events of `customers` customers named Id(c), each with an email
// identity Email(c); some events name their customer by it.
inline std::vector<Event> MakeEvents(EventGen& gen, int customers, int n) {
  std::vector<Event> events;
  for (int c = 0; c < customers; ++c) {
    Event link;
    link.id = 900'000 + c;
    link.customer = CustomerRef::Id(Id(c));
    link.ts_ms = 1'500'000'000'000 + c;
    link.body = Identity{IdentityType::kEmail, Email(c)};
    events.push_back(link);
  }
  for (int i = 0; i < n; ++i) {
    Event e = gen.Next();
    const int c = gen.Pick(customers);
    e.customer = gen.Pick(4) == 0
                     ? CustomerRef::ByIdentity(IdentityType::kEmail, Email(c))
                     : CustomerRef::Id(Id(c));
    events.push_back(e);
  }
  return events;
}

// Names of the files under `dir` that contain `needle`.
inline std::vector<std::string> FilesHolding(const std::string& dir,
                                             const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (bytes.str().find(needle) != std::string::npos)
      hits.push_back(f.path().filename().string());
  }
  return hits;
}

}  // namespace ckm::erase_test

#endif  // CKM_TESTS_ENGINE_ERASE_UTIL_H_
