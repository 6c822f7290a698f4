// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Uses an installed ckm: opens a store in argv[1], records one event and reads
// the profile back.
#include <iostream>

#include "ckm/store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer STORE_DIR\n";
    return 2;
  }
  auto store = ckm::Store::Open(argv[1]);
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  ckm::Event event;
  event.id = 1;
  event.customer = ckm::CustomerRef::Id("c-1");
  event.ts_ms = 1'768'471'200'000;
  ckm::Loyalty earn;
  earn.kind = ckm::LoyaltyKind::kEarn;
  earn.points = 10;
  event.body = earn;
  auto recorded = (*store)->Record(event);
  if (!recorded.ok()) {
    std::cerr << recorded.status() << "\n";
    return 1;
  }
  auto profile = (*store)->Get("c-1");
  if (!profile.ok()) {
    std::cerr << profile.status() << "\n";
    return 1;
  }
  std::cout << "installed ckm works: c-1 has " << profile->loyalty().balance()
            << " points\n";
  return profile->loyalty().balance() == 10 ? 0 : 1;
}
