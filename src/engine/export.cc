// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Store::Export: everything held on one customer as one JSON document (the
// data-subject access of docs/privacy.md, which documents the schema).

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codec/event_json.h"
#include "codec/json.h"
#include "codec/profile_json.h"
#include "engine/store_impl.h"

namespace ckm::engine {
namespace {

// Each purpose's current consent, and every consent event for it, oldest
// first.
void WriteConsents(const Profile& profile, const Events& oldest_first,
                   json::Writer& w) {
  std::map<std::string, std::vector<const Event*>> history;
  for (const Event& e : oldest_first) {
    if (const auto* c = std::get_if<Consent>(&e.body))
      history[c->purpose].push_back(&e);
  }
  w.Key("consents").BeginArray();
  for (const ConsentState& c : profile.consents()) {
    w.BeginObject();
    w.Key("purpose").String(c.purpose);
    w.Key("granted").Bool(c.granted);
    w.Key("set").Time(c.ts_ms);
    w.Key("source").String(c.source);
    w.Key("history").BeginArray();
    for (const Event* e : history[c.purpose]) {
      w.BeginObject();
      w.Key("granted").Bool(std::get<Consent>(e->body).granted);
      w.Key("ts").Time(e->ts_ms);
      w.Key("source").String(e->source);
      w.Key("id").String(absl::StrCat(e->id));
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

// The group the customer is in: whose profile holds it, everyone merged
// into that one, and the customer's own record of merges, unmerges and
// unlinks. `ckm record` replays the merges (docs/privacy.md).
void WriteGroup(const CustomerIdentities& group, json::Writer& w) {
  w.Key("survivor").String(group.survivor);
  w.Key("aliases").BeginArray();
  for (const std::string& alias : group.aliases) w.String(alias);
  w.EndArray();
  w.Key("identity_changes").BeginArray();
  for (const IdentityChange& c : group.changes) {
    w.BeginObject();
    w.Key("kind").String(ToString(c.kind));
    w.Key("ts").Time(c.ts_ms);
    w.Key("actor").String(c.actor);
    w.Key("reason").String(c.reason);
    if (!c.other.empty()) w.Key("other").String(c.other);
    if (c.identity_type) {
      w.Key("identity_type").String(ToString(*c.identity_type));
      w.Key("identity_value").String(c.identity_value);
    }
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

absl::StatusOr<std::string> StoreImpl::ExportChecked(
    std::string_view customer_id, std::int64_t now_ms,
    const ReadOptions& read) const {
  if (absl::StatusOr<Parts> by_role = Withheld(read, nullptr); !by_role.ok())
    return by_role.status();
  // Under the stripes of the customer and of its root, one of which every
  // Record() of the group holds while it writes: the profile, the events
  // and the merges are of the same moment.
  std::optional<StripeLocks> locks;
  if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
  if (absl::Status s = LockResolved({customer_id}, {}, locks).status(); !s.ok())
    return s;
  absl::StatusOr<Profile> profile = GetStored(customer_id);
  if (!profile.ok()) return profile.status();
  // An export is everything: one that withholds a part must not pass for a
  // complete copy, so it is refused instead of redacted.
  absl::StatusOr<Parts> withheld = Withheld(read, &*profile);
  if (!withheld.ok()) return withheld.status();
  if (!withheld->empty()) return Denied(*withheld->begin(), read);
  HistoryQuery all;
  all.limit = 0;
  all.newest_first = false;
  absl::StatusOr<Events> events = HistoryStored(customer_id, all);
  if (!events.ok()) return events.status();
  absl::StatusOr<CustomerIdentities> group = Identities(customer_id);
  if (!group.ok()) return group.status();
  locks.reset();

  json::Writer w;
  w.BeginObject();
  w.Key("format").String(codec::kExportFormat);
  w.Key("version").Int(codec::kExportVersion);
  w.Key("customer_id").String(profile->customer_id());
  w.Key("profile").Raw(profile->ToJson(now_ms));
  WriteGroup(*group, w);
  codec::WriteIdentityLinks(profile->identities(), w);
  WriteConsents(*profile, *events, w);
  w.Key("events").BeginArray();
  for (const Event& e : *events) codec::WriteEventJson(e, w);
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace ckm::engine
