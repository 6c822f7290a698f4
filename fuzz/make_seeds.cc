// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Writes the binary seeds of the fuzz corpora: encoded profiles, breakdowns,
// their merge operands
// and history events for fuzz_profile_bytes, and a few structured inputs for
// fuzz_record. Run once after a schema change; the output is checked in.
//
//   build-fuzz/fuzz/fuzz_make_seeds fuzz/corpus

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ckm/event.h"
#include "codec/event_codec.h"
#include "codec/operand.h"
#include "fold/fold.h"
#include "validate.h"

namespace {

void Write(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

ckm::Event Common(std::uint64_t id, std::int64_t ts_ms, ckm::Event::Body body) {
  ckm::Event e;
  e.id = id;
  e.customer = ckm::CustomerRef::Id("17850");
  e.ts_ms = ts_ms;
  e.source = "till-3";
  e.body = std::move(body);
  return e;
}

// One event of every kind, as a customer of the retail data might have.
std::vector<ckm::Event> Events() {
  ckm::Purchase order;
  order.order_id = "536365";
  order.currency = "GBP";
  order.channel = ckm::Channel::kInStore;
  order.store = "york";
  order.lines = {{"85123A", "lights", 6, 2'550'000},
                 {"71053", "lanterns", 6, 3'390'000}};
  ckm::Purchase refund;
  refund.order_id = "C536379";
  refund.currency = "EUR";
  refund.channel = ckm::Channel::kWeb;
  refund.lines = {{"D", "", -1, 27'500'000}};
  ckm::Interaction call;
  call.channel = ckm::Channel::kPhone;
  call.kind = ckm::InteractionKind::kComplaint;
  call.topic = "delivery";
  call.duration_s = 300;
  call.sentiment = -40;
  call.rating = 6;
  call.text = "The parcel arrived late.";
  ckm::Loyalty earn{ckm::LoyaltyKind::kEarn, 120, "", "points"};
  ckm::Loyalty tier{ckm::LoyaltyKind::kTierChange, 0, "gold", "points"};
  ckm::Attribute name{"personal.name", std::string("Ann"),
                      ckm::Provenance::kExpressed, 100};
  ckm::Attribute age{"demographic.age", std::int64_t{41},
                     ckm::Provenance::kImported, 80};
  ckm::Consent consent{"marketing.email", true};
  ckm::Identity email{ckm::IdentityType::kEmail, "ann@example.com"};
  return {
      Common(1, 1'291'191'960'000, order),
      Common(2, 1'291'278'360'000, refund),
      Common(3, 1'291'364'760'000, call),
      Common(4, 1'291'451'160'000, earn),
      Common(5, 1'291'537'560'000, tier),
      Common(6, 1'291'623'960'000, name),
      Common(7, 1'291'710'360'000, age),
      Common(8, 1'291'796'760'000, consent),
      Common(9, 1'291'883'160'000, email),
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <fuzz/corpus directory>\n", argv[0]);
    return 2;
  }
  const std::string corpus = argv[1];
  const std::string bytes_dir = corpus + "/fuzz_profile_bytes/";
  const std::string record_dir = corpus + "/fuzz_record/";

  const std::vector<ckm::Event> events = Events();
  ckm::fold::ProfileState profile;
  ckm::fold::Breakdowns breakdowns;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (absl::Status s = ckm::ValidateEvent(events[i], i); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    ckm::fold::Join(profile, ckm::fold::DeltaOf(events[i], "17850"));
    ckm::fold::Join(breakdowns, ckm::fold::BreakdownsOf(events[i]));
    // event_1..9 in the corpus are format 2's FlatBuffers history of the
    // same events, kept as seeds of the decoder migration uses.
    Write(bytes_dir + "history_" + std::to_string(i + 1),
          ckm::EncodeEvent(events[i], "17850"));
  }
  Write(bytes_dir + "profile_all_kinds", ckm::fold::Encode(profile));
  Write(bytes_dir + "profile_one_order",
        ckm::fold::Encode(ckm::fold::DeltaOf(events[0], "17850")));
  Write(bytes_dir + "profile_empty",
        ckm::fold::Encode(ckm::fold::ProfileState{}));
  ckm::fold::ProfileState corrupt;
  corrupt.corrupt_operands = 1;
  corrupt.last_corrupt_event_id = 9;
  Write(bytes_dir + "profile_corrupt_operand", ckm::fold::Encode(corrupt));
  // Stored breakdowns: format 3.1's FlatBuffers, which are still read, and
  // the compact form stored since 3.2 (the operand seeds below).
  Write(bytes_dir + "breakdowns_all", ckm::fold::EncodeFlatBuffers(breakdowns));
  Write(bytes_dir + "breakdowns_one_order",
        ckm::fold::EncodeFlatBuffers(ckm::fold::BreakdownsOf(events[0])));
  // Merge operands, the compact encoding the write path hands to RocksDB.
  Write(bytes_dir + "operand_profile_all_kinds",
        ckm::codec::EncodeOperand(profile));
  Write(bytes_dir + "operand_profile_one_order",
        ckm::codec::EncodeOperand(ckm::fold::DeltaOf(events[0], "17850")));
  Write(bytes_dir + "operand_breakdowns_all",
        ckm::codec::EncodeOperand(breakdowns));
  Write(bytes_dir + "operand_breakdowns_one_order",
        ckm::codec::EncodeOperand(ckm::fold::BreakdownsOf(events[0])));

  // fuzz_record: FuzzedDataProvider reads choices from the end of the input
  // and strings from the front; zeros make a valid purchase, other patterns
  // reach other kinds and limits.
  Write(record_dir + "zeros", std::string(16, '\0'));
  Write(record_dir + "ones", std::string(64, '\x01'));
  Write(record_dir + "twos", std::string(64, '\x02'));
  Write(record_dir + "threes", std::string(64, '\x03'));
  Write(record_dir + "fives", std::string(96, '\x05'));
  std::string ramp;
  for (int b = 0; b < 256; ++b) ramp += static_cast<char>(b);
  Write(record_dir + "ramp", ramp);
  Write(record_dir + "text", "ann@example.com\x01gold\x02\x03\x04\x05\x00\x01");
  return 0;
}
