// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "record.h"

#include <map>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "ckm/event_json.h"
#include "ckm/validate.h"
#include "quote.h"

namespace ckm::tools {
namespace {

using Link = std::pair<IdentityType, std::string>;

std::string LinkName(const Link& link) {
  return std::string(ToString(link.first)) + ":" + link.second;
}

// "events[0].purchase.total: why" -> "purchase.total: why".
std::string WithoutIndex(absl::string_view message) {
  const std::size_t dot = message.find("].");
  return std::string(dot == absl::string_view::npos ? message
                                                    : message.substr(dot + 2));
}

class JsonRecorder {
 public:
  JsonRecorder(Store& store, const RecordJsonOptions& options)
      : store_(store), options_(options) {}

  absl::StatusOr<RecordJsonSummary> Run(const std::vector<JsonInput>& inputs) {
    for (const JsonInput& input : inputs) {
      if (absl::Status s = Read(input); !s.ok()) return s;
    }
    if (absl::Status s = CheckIdentities(); !s.ok()) return s;
    if (absl::Status s = RecordAll(); !s.ok()) return s;
    if (absl::Status s = MergeAll(); !s.ok()) return s;
    return summary_;
  }

 private:
  absl::Status Read(const JsonInput& input) {
    std::string line;
    for (std::int64_t number = 1; std::getline(*input.in, line); ++number) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = absl::StrCat(input.name, ":", number);
      absl::StatusOr<std::vector<Event>> parsed = EventsFromJson(line);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": ", parsed.status().message()));
      }
      absl::StatusOr<ExportedMerges> merges = MergesFromJson(line);
      if (!merges.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": ", merges.status().message()));
      }
      for (std::string& alias : merges->aliases)
        merges_.push_back({merges->survivor, std::move(alias), where});
      ++summary_.lines;
      for (std::size_t i = 0; i < parsed->size(); ++i) {
        if (absl::Status s = Validate((*parsed)[i]); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": ",
              parsed->size() > 1 ? absl::StrCat("events[", i, "].") : "",
              WithoutIndex(s.message())));
        }
        events_.push_back(std::move((*parsed)[i]));
        where_.push_back(where);
      }
    }
    if (input.in->bad()) {
      return absl::UnavailableError(
          absl::StrCat("reading ", QuoteForError(input.name), " failed"));
    }
    return absl::OkStatus();
  }

  // The customer id an identity names: linked earlier in the input, or in
  // the store; empty if neither.
  absl::StatusOr<std::string> Owner(const Link& link) const {
    if (auto it = links_.find(link); it != links_.end()) return it->second;
    absl::StatusOr<std::string> owner = store_.Resolve(link.first, link.second);
    if (absl::IsNotFound(owner.status())) return std::string();
    return owner;
  }

  // The identity as the store keys it (normalised as identity.h says); an
  // error at the event's line naming `field` if it cannot be.
  absl::StatusOr<Link> Normalized(const Link& link, std::size_t i,
                                  std::string_view field) const {
    absl::StatusOr<std::string> value =
        NormalizeIdentity(link.first, link.second);
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where_[i], ": ", absl::string_view(field.data(), field.size()), ": ",
          value.status().message()));
    }
    return Link(link.first, *std::move(value));
  }

  // What Validate() cannot check, checked against the store and the input
  // before anything is written: the identities events are named by exist,
  // and no identity is linked to two customers.
  absl::Status CheckIdentities() {
    for (std::size_t i = 0; i < events_.size(); ++i) {
      const Event& e = events_[i];
      std::string customer = e.customer.id;
      if (e.customer.identity_type) {
        absl::StatusOr<Link> link =
            Normalized({*e.customer.identity_type, e.customer.identity_value},
                       i, "customer");
        if (!link.ok()) return link.status();
        absl::StatusOr<std::string> owner = Owner(*link);
        if (!owner.ok()) return owner.status();
        if (owner->empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where_[i], ": customer: unknown identity ",
                           QuoteForError(LinkName(*link))));
        }
        customer = *std::move(owner);
      }
      const auto* identity = std::get_if<Identity>(&e.body);
      if (identity == nullptr) continue;
      absl::StatusOr<Link> link =
          Normalized({identity->type, identity->value}, i, "identity.value");
      if (!link.ok()) return link.status();
      absl::StatusOr<std::string> owner = Owner(*link);
      if (!owner.ok()) return owner.status();
      if (!owner->empty() && *owner != customer) {
        return absl::InvalidArgumentError(absl::StrCat(
            where_[i], ": identity.value: ", QuoteForError(LinkName(*link)),
            " is already linked to customer ", QuoteForError(*owner)));
      }
      links_[*link] = customer;
    }
    return absl::OkStatus();
  }

  absl::Status RecordAll() {
    summary_.events = static_cast<std::int64_t>(events_.size());
    RecordOptions record_options;
    record_options.durability = options_.durability;
    const absl::Span<const Event> all(events_);
    for (std::size_t i = 0; i < all.size(); i += options_.batch_size) {
      absl::StatusOr<RecordResult> result =
          store_.Record(all.subspan(i, options_.batch_size), record_options);
      if (!result.ok()) return AfterWriting(result.status(), i);
      summary_.recorded += static_cast<std::int64_t>(result->recorded);
      summary_.already_recorded +=
          static_cast<std::int64_t>(result->already_recorded);
    }
    if (options_.durability == Durability::kNone) {
      if (absl::Status s = store_.Flush(); !s.ok())
        return AfterWriting(s, all.size());
    }
    return absl::OkStatus();
  }

  // After every event is in: an export's merges, as its store had them.
  // Merging a pair that is already merged changes nothing, so recording
  // the same export again stays safe.
  absl::Status MergeAll() {
    for (const Merge& m : merges_) {
      IdentityChangeOptions why;
      why.actor = "ckm record";
      why.reason = absl::StrCat("merged in the export ", m.where);
      if (absl::Status s = store_.Merge(m.survivor, m.alias, why); !s.ok()) {
        return absl::Status(
            s.code(),
            absl::StrCat(m.where, ": merging ", QuoteForError(m.alias),
                         " into ", QuoteForError(m.survivor), ": ", s.message(),
                         "; every event was recorded, and ", summary_.merges,
                         " merges were made before this one"));
      }
      ++summary_.merges;
    }
    return absl::OkStatus();
  }

  absl::Status AfterWriting(const absl::Status& error,
                            std::size_t batch_start) const {
    const std::string where =
        batch_start < where_.size()
            ? absl::StrCat(" (the batch from ", where_[batch_start], " on)")
            : "";
    return absl::Status(
        error.code(),
        absl::StrCat(error.message(), where, "; ", summary_.recorded,
                     " events were recorded before the error (",
                     summary_.already_recorded,
                     " were already recorded); recording the same input "
                     "again is safe: it records only what is missing"));
  }

  Store& store_;
  const RecordJsonOptions& options_;
  std::vector<Event> events_;
  std::vector<std::string> where_;  // "name:line" of each event
  std::map<Link, std::string> links_;
  struct Merge {
    std::string survivor;
    std::string alias;
    std::string where;  // "name:line" of the export
  };
  std::vector<Merge> merges_;
  RecordJsonSummary summary_;
};

}  // namespace

absl::StatusOr<RecordJsonSummary> RecordJsonLines(
    Store& store, const std::vector<JsonInput>& inputs,
    const RecordJsonOptions& options) {
  return JsonRecorder(store, options).Run(inputs);
}

}  // namespace ckm::tools
