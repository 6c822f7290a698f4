// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Fuzzes the write path: the input is decoded into a small batch of events
// (every kind; ids, times and amounts at their limits; strings that may be
// empty, too long, invalid UTF-8 or hold NUL) and recorded into one store
// that lives for the whole process (reopened empty every kInputsPerStore
// inputs to keep it small).
//
// Checked, beyond "never crashes":
//   - Record() returns OK or InvalidArgument("events[i]...");
//   - after OK, every customer of the batch has a profile, Verify() finds it
//     equal to the fold of its history, and recording the batch again
//     records nothing new;
//   - after InvalidArgument, nothing was written: customers never recorded
//     before are still NotFound.
//
// Each input names its customers with a fresh prefix ("f<n>."), so that its
// batch starts from unknown customers; some ids and identities are raw bytes
// and may repeat across inputs, which the set `recorded` accounts for.

#include <fuzzer/FuzzedDataProvider.h>
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "ckm/event.h"
#include "ckm/options.h"
#include "ckm/store.h"

namespace {

constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxTsMs = 253'402'300'799'999;
constexpr int kInputsPerStore = 5000;

[[noreturn]] void Fail(std::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "fuzz_record: %.*s: %s\n", static_cast<int>(what.size()),
               what.data(), status.ToString().c_str());
  std::abort();
}

[[noreturn]] void Fail(std::string_view what) { Fail(what, absl::OkStatus()); }

// The one store of the process, in a temporary directory removed at exit.
class FuzzStore {
 public:
  FuzzStore() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/ckm-fuzz-record-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) Fail("mkdtemp");
    dir_ = templ;
    Reopen();
  }
  ~FuzzStore() {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  ckm::Store& store() { return *store_; }
  std::set<std::string>& recorded() { return recorded_; }

  // Called once per input: a fresh customer prefix, and every so often a
  // fresh, empty store.
  std::string NextPrefix() {
    if (++inputs_ % kInputsPerStore == 0) Reopen();
    return "f" + std::to_string(inputs_) + ".";
  }

 private:
  void Reopen() {
    store_.reset();
    recorded_.clear();
    std::error_code ignored;
    std::filesystem::remove_all(dir_ + "/store", ignored);
    ckm::StoreOptions options;
    options.durability = ckm::Durability::kNone;
    options.block_cache_bytes = 1 << 20;
    options.write_buffer_bytes = 1 << 20;
    options.background_threads = 1;
    absl::StatusOr<std::unique_ptr<ckm::Store>> store =
        ckm::Store::Open(dir_ + "/store", options);
    if (!store.ok()) Fail("Open", store.status());
    store_ = *std::move(store);
  }

  std::string dir_;
  std::unique_ptr<ckm::Store> store_;
  std::set<std::string> recorded_;  // customers with a profile in store_
  long inputs_ = 0;
};

// Turns fuzz bytes into events. Choice 0 of every Pick is a plausible valid
// value, so that short inputs (FuzzedDataProvider returns 0 once it runs out)
// give valid batches and mutations reach the deep parts of Record().
class EventDecoder {
 public:
  EventDecoder(FuzzedDataProvider& in, std::string prefix)
      : in_(in), prefix_(std::move(prefix)) {}

  std::vector<ckm::Event> Batch() {
    std::vector<ckm::Event> events(in_.ConsumeIntegralInRange<int>(1, 8));
    for (std::size_t i = 0; i < events.size(); ++i) events[i] = Next(i);
    return events;
  }

  const std::string& prefix() const { return prefix_; }

 private:
  int Pick(int choices) { return in_.ConsumeIntegralInRange(0, choices - 1); }

  std::string Text() {
    switch (Pick(6)) {
      case 0:
        return "";
      case 1:
        return "shop-1";
      case 2:
        return "Zürich \xE2\x82\xAC";  // valid UTF-8
      case 3:
        return std::string(129, 'x');  // one byte too long for most fields
      case 4:
        return std::string("a\0b", 3);
      default:
        return in_.ConsumeRandomLengthString(160);
    }
  }

  // A customer id: mostly shared within the batch, sometimes raw.
  std::string CustomerId() {
    switch (Pick(5)) {
      case 0:
        return prefix_ + "c" + std::to_string(Pick(3));
      case 1:
        return prefix_ + in_.ConsumeRandomLengthString(140);
      case 2:
        return "";
      case 3:
        return in_.ConsumeRandomLengthString(140);
      default:
        return prefix_ + std::string(128, 'y');  // too long
    }
  }

  std::string IdentityValue() {
    switch (Pick(3)) {
      case 0:
        return prefix_ + "e" + std::to_string(Pick(2)) + "@example.com";
      case 1:
        return prefix_ + in_.ConsumeRandomLengthString(270);
      default:
        return in_.ConsumeRandomLengthString(270);
    }
  }

  template <typename Enum>
  Enum EnumValue(int valid_count, int first_valid) {
    if (Pick(8) != 7) {
      return static_cast<Enum>(first_valid + Pick(valid_count));
    }
    return static_cast<Enum>(in_.ConsumeIntegral<std::uint8_t>());
  }

  std::int64_t Number(std::initializer_list<std::int64_t> interesting) {
    const int choice = Pick(static_cast<int>(interesting.size()) + 1);
    if (choice < static_cast<int>(interesting.size())) {
      return *(interesting.begin() + choice);
    }
    return in_.ConsumeIntegral<std::int64_t>();
  }

  ckm::Event Next(std::size_t index) {
    ckm::Event e;
    e.id = static_cast<std::uint64_t>(Number(
        {static_cast<std::int64_t>(index + 1), 1, 0, -1, kI64Max, kI64Min}));
    if (Pick(4) == 3) {
      e.customer = ckm::CustomerRef::ByIdentity(
          EnumValue<ckm::IdentityType>(4, 1), IdentityValue());
    } else {
      e.customer = ckm::CustomerRef::Id(CustomerId());
    }
    e.ts_ms = Number({1'600'000'000'000 + Pick(4), 0, kMaxTsMs, kMaxTsMs + 1,
                      -1, kI64Min, kI64Max});
    e.source = Text();
    switch (Pick(6)) {
      case 0:
        e.body = Purchase();
        break;
      case 1:
        e.body = Interaction();
        break;
      case 2:
        e.body = Loyalty();
        break;
      case 3:
        e.body = Attribute();
        break;
      case 4:
        e.body = ckm::Consent{Purpose(), in_.ConsumeBool()};
        break;
      default:
        e.body =
            ckm::Identity{EnumValue<ckm::IdentityType>(4, 1), IdentityValue()};
        break;
    }
    return e;
  }

  ckm::Purchase Purchase() {
    ckm::Purchase p;
    p.order_id = Text();
    static const char* const kCurrencies[] = {"GBP", "EUR", "JPY", "gbp",
                                              "",    "XYZ", "GBPX"};
    const int currency = Pick(8);
    p.currency =
        currency < 7 ? kCurrencies[currency] : in_.ConsumeRandomLengthString(4);
    p.channel = EnumValue<ckm::Channel>(ckm::kChannelCount, 0);
    p.store = Text();
    p.lines.resize(Pick(4));
    bool overflow = false;
    std::int64_t total = 0;
    for (ckm::PurchaseLine& line : p.lines) {
      line.sku = Text();
      line.category = Text();
      line.quantity = Number(
          {1, 6, -1, 0, 1'000'000'000, 1'000'000'001, -1'000'000'000, kI64Min});
      line.unit_price_micros = Number({2'550'000, 0, 1'000'000'000'000'000,
                                       1'000'000'000'000'001, -1, kI64Max});
      std::int64_t amount;
      overflow |= __builtin_mul_overflow(line.quantity, line.unit_price_micros,
                                         &amount) ||
                  __builtin_add_overflow(total, amount, &total);
    }
    switch (Pick(5)) {
      case 0:
        if (p.lines.empty()) p.total_micros = 12'340'000;
        break;
      case 1:
        if (!overflow) p.total_micros = total;
        break;
      case 2:
        if (!overflow && total != kI64Max) p.total_micros = total + 1;
        break;
      case 3:
        p.total_micros = 0;
        break;
      default:
        p.total_micros = in_.ConsumeIntegral<std::int64_t>();
        break;
    }
    return p;
  }

  ckm::Interaction Interaction() {
    ckm::Interaction i;
    i.channel = EnumValue<ckm::Channel>(ckm::kChannelCount, 0);
    i.kind = EnumValue<ckm::InteractionKind>(ckm::kInteractionKindCount - 1, 1);
    i.topic = Text();
    i.agent = Text();
    i.duration_s = Number({60, 0, 10'000'000, 10'000'001, -1});
    if (in_.ConsumeBool()) {
      i.sentiment = static_cast<int>(Number({50, -100, 100, 101, -101}));
    }
    if (in_.ConsumeBool()) {
      i.rating = static_cast<int>(Number({9, 0, 7, 10, 11, -1}));
    }
    switch (Pick(4)) {
      case 0:
        break;
      case 1:
        i.text = Text();
        break;
      case 2:
        i.text = std::string(65'537, 't');  // one byte too long
        break;
      default:
        i.text = std::string(65'536, 't');
        break;
    }
    return i;
  }

  ckm::Loyalty Loyalty() {
    ckm::Loyalty l;
    l.kind = EnumValue<ckm::LoyaltyKind>(6, 1);
    l.points = Number({100, 0, -5, 1'000'000'000'000, 1'000'000'000'001,
                       -1'000'000'000'001, kI64Min});
    const int tier = Pick(4);
    l.tier = tier == 0 ? "" : tier == 1 ? "gold" : Text();
    l.program = Pick(2) == 0 ? "points" : Text();
    return l;
  }

  ckm::Attribute Attribute() {
    ckm::Attribute a;
    static const char* const kKeys[] = {"custom.invoice.project_number",
                                        "personal.name",
                                        "demographic.age",
                                        "psychographic.style",
                                        "custom.",
                                        "Custom.a",
                                        "custom..a",
                                        "other.a",
                                        ""};
    const int key = Pick(10);
    a.key = key < 9 ? kKeys[key] : in_.ConsumeRandomLengthString(140);
    switch (Pick(4)) {
      case 0:
        a.value = Text();
        break;
      case 1:
        a.value = Number({42, 0, kI64Min, kI64Max});
        break;
      case 2:
        a.value = in_.ConsumeBool();
        break;
      default:
        a.value = std::string(4'097, 'v');  // one byte too long
        break;
    }
    a.provenance = EnumValue<ckm::Provenance>(3, 1);
    a.confidence = static_cast<int>(Number({100, 0, 101, -1}));
    return a;
  }

  std::string Purpose() {
    static const char* const kPurposes[] = {"marketing.email", "a", "",
                                            "Marketing", "x y"};
    const int purpose = Pick(6);
    return purpose < 5 ? kPurposes[purpose]
                       : in_.ConsumeRandomLengthString(140);
  }

  FuzzedDataProvider& in_;
  std::string prefix_;
};

// Printed before a failure: enough to see what the batch held.
void PrintBatch(const std::vector<ckm::Event>& events) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const ckm::Event& e = events[i];
    const std::string& who =
        e.customer.identity_type ? e.customer.identity_value : e.customer.id;
    std::fprintf(stderr, "events[%zu]: kind %d id %llu ts_ms %lld %s \"%s\"\n",
                 i, static_cast<int>(e.kind()),
                 static_cast<unsigned long long>(e.id),
                 static_cast<long long>(e.ts_ms),
                 e.customer.identity_type ? "identity" : "customer",
                 absl::CHexEscape(who).c_str());
    if (const auto* link = std::get_if<ckm::Identity>(&e.body)) {
      std::fprintf(stderr, "  links %d \"%s\"\n", static_cast<int>(link->type),
                   absl::CHexEscape(link->value).c_str());
    }
  }
}

FuzzStore& GetStore() {
  static FuzzStore store;
  return store;
}

// The customers a batch names: by id, or (after a successful Record) the
// customers its identities resolve to.
std::set<std::string> CustomersOf(const std::vector<ckm::Event>& events,
                                  const ckm::Store& store, bool resolve) {
  std::set<std::string> customers;
  for (const ckm::Event& e : events) {
    if (!e.customer.identity_type) {
      customers.insert(e.customer.id);
    } else if (resolve) {
      absl::StatusOr<std::string> id =
          store.Resolve(*e.customer.identity_type, e.customer.identity_value);
      if (!id.ok()) Fail("Resolve after Record", id.status());
      customers.insert(*id);
    }
  }
  return customers;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  FuzzStore& fuzz_store = GetStore();
  FuzzedDataProvider in(data, size);
  EventDecoder decoder(in, fuzz_store.NextPrefix());  // may reopen the store
  ckm::Store& store = fuzz_store.store();
  const std::vector<ckm::Event> events = decoder.Batch();

  const absl::StatusOr<ckm::RecordResult> result = store.Record(events);
  if (result.ok()) {
    if (result->recorded + result->already_recorded != events.size()) {
      Fail("Record's counts do not add up");
    }
    // Retrying a batch that succeeded records nothing new.
    const absl::StatusOr<ckm::RecordResult> again = store.Record(events);
    if (!again.ok()) Fail("recording the batch again", again.status());
    if (again->recorded != 0 || again->already_recorded != events.size()) {
      PrintBatch(events);
      std::fprintf(stderr,
                   "first: %zu recorded, %zu already; again: %zu, %zu\n",
                   result->recorded, result->already_recorded, again->recorded,
                   again->already_recorded);
      Fail("recording the batch again recorded events");
    }
    for (const std::string& customer : CustomersOf(events, store, true)) {
      absl::StatusOr<ckm::Profile> profile = store.Get(customer);
      if (!profile.ok()) Fail("Get after Record", profile.status());
      if (profile->customer_id() != customer) Fail("profile of another id");
      absl::StatusOr<ckm::CustomerReport> report = store.Verify(customer);
      if (!report.ok()) Fail("Verify after Record", report.status());
      if (!report->ok()) {
        Fail("Verify after Record: " + report->detail);
      }
      fuzz_store.recorded().insert(customer);
    }
    return 0;
  }

  if (!absl::IsInvalidArgument(result.status()) ||
      result.status().message().substr(0, 7) != "events[") {
    Fail("Record failed other than InvalidArgument(\"events[...\")",
         result.status());
  }
  for (const std::string& customer : CustomersOf(events, store, false)) {
    if (fuzz_store.recorded().count(customer) != 0) continue;
    absl::StatusOr<ckm::Profile> profile = store.Get(customer);
    // An id no event could have is InvalidArgument for Get() too.
    if (!absl::IsNotFound(profile.status()) &&
        !absl::IsInvalidArgument(profile.status())) {
      Fail("Get after a rejected Record", profile.status());
    }
  }
  return 0;
}
