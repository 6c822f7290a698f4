// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Reads with an access context: the stored data, less what the access
// policy withholds from the read (engine/read_policy.h, docs/privacy.md),
// each audited when StoreOptions::access_audit is on (access_audit.cc).

#include "engine/machinery_reads.h"
#include "engine/store_impl.h"

namespace ckm::engine {

absl::StatusOr<HistoryPage> ListHistoryForMachinery(
    const Store& store, std::string_view customer_id,
    const HistoryQuery& query) {
  if (const auto* impl = dynamic_cast<const StoreImpl*>(&store))
    return impl->MachineryHistory(customer_id, query);
  return store.ListHistory(customer_id, query);
}

absl::StatusOr<Parts> StoreImpl::Withheld(const ReadOptions& read,
                                          const Profile* profile) const {
  absl::StatusOr<Parts> withheld = WithheldByRole(options_.access_policy, read);
  if (!withheld.ok() || profile == nullptr) return withheld;
  if (LacksConsent(options_.access_policy, read, *profile)) {
    const Parts personal = PersonalParts();
    withheld->insert(personal.begin(), personal.end());
  }
  return withheld;
}

absl::StatusOr<Profile> StoreImpl::Get(std::string_view customer_id,
                                       const ReadOptions& read) const {
  return Audited("Get", customer_id, read, GetChecked(customer_id, read));
}

absl::StatusOr<Profile> StoreImpl::GetChecked(std::string_view customer_id,
                                              const ReadOptions& read) const {
  if (!options_.access_policy) return GetStored(customer_id);
  // The role first: a role that may read nothing learns nothing, not even
  // whether the customer exists.
  if (absl::StatusOr<Parts> by_role = Withheld(read, nullptr); !by_role.ok())
    return by_role.status();
  absl::StatusOr<Profile> profile = GetStored(customer_id);
  if (!profile.ok()) return profile;
  absl::StatusOr<Parts> withheld = Withheld(read, &*profile);
  if (!withheld.ok()) return withheld.status();
  return Redact(*profile, *withheld);
}

absl::StatusOr<HistoryPage> StoreImpl::CheckedHistory(
    std::string_view customer_id, const HistoryQuery& query,
    const ReadOptions& read) const {
  if (!options_.access_policy) return ListHistoryStored(customer_id, query);
  absl::StatusOr<Parts> withheld = Withheld(read, nullptr);
  if (!withheld.ok()) return withheld.status();
  if (options_.access_policy->consent_purposes.count(read.purpose) > 0) {
    // The consent is in the profile; no profile, no events either.
    absl::StatusOr<Profile> profile = GetStored(customer_id);
    if (absl::IsNotFound(profile.status())) return HistoryPage();
    if (!profile.ok()) return profile.status();
    withheld = Withheld(read, &*profile);
    if (!withheld.ok()) return withheld.status();
  }
  if (query.kind == EventKind::kIdentity &&
      withheld->count(DataPart::kIdentities) > 0) {
    return Denied(DataPart::kIdentities, read);
  }
  absl::StatusOr<HistoryPage> page = ListHistoryStored(customer_id, query);
  if (!page.ok()) return page;
  for (Event& e : page->events) Redact(e, *withheld);
  return page;
}

absl::StatusOr<Events> StoreImpl::History(std::string_view customer_id,
                                          const HistoryQuery& query,
                                          const ReadOptions& read) const {
  absl::StatusOr<HistoryPage> page = Audited(
      "History", customer_id, read, CheckedHistory(customer_id, query, read));
  if (!page.ok()) return page.status();
  return std::move(page->events);
}

absl::StatusOr<HistoryPage> StoreImpl::ListHistory(
    std::string_view customer_id, const HistoryQuery& query,
    const ReadOptions& read) const {
  return Audited("ListHistory", customer_id, read,
                 CheckedHistory(customer_id, query, read));
}

absl::StatusOr<std::vector<BreakdownEntry>> StoreImpl::Breakdown(
    std::string_view customer_id, Dimension dimension,
    const ReadOptions& read) const {
  return Audited("Breakdown", customer_id, read,
                 BreakdownChecked(customer_id, dimension, read));
}

absl::StatusOr<std::vector<BreakdownEntry>> StoreImpl::BreakdownChecked(
    std::string_view customer_id, Dimension dimension,
    const ReadOptions& read) const {
  if (absl::Status s = CheckCustomerId(customer_id); !s.ok()) return s;
  if (dimension != Dimension::kProduct && dimension != Dimension::kStore &&
      dimension != Dimension::kCategory) {
    return absl::InvalidArgumentError("dimension: not a known dimension");
  }
  if (!options_.access_policy) return BreakdownStored(customer_id, dimension);
  // By role alone: purchase lines are not a personal part, so no consent
  // withholds them.
  absl::StatusOr<Parts> withheld = Withheld(read, nullptr);
  if (!withheld.ok()) return withheld.status();
  if (dimension != Dimension::kStore &&
      withheld->count(DataPart::kPurchaseLines) > 0) {
    return Denied(DataPart::kPurchaseLines, read);
  }
  return BreakdownStored(customer_id, dimension);
}

absl::StatusOr<Events> StoreImpl::Timeline(std::string_view customer_id,
                                           TimeRange range, std::size_t limit,
                                           const ReadOptions& read) const {
  HistoryQuery query;
  query.range = range;
  query.limit = limit;
  query.newest_first = true;
  absl::StatusOr<HistoryPage> page = Audited(
      "Timeline", customer_id, read, CheckedHistory(customer_id, query, read));
  if (!page.ok()) return page.status();
  return std::move(page->events);
}

absl::StatusOr<std::string> StoreImpl::Export(std::string_view customer_id,
                                              std::int64_t now_ms,
                                              const ReadOptions& read) const {
  return Audited("Export", customer_id, read,
                 ExportChecked(customer_id, now_ms, read));
}

absl::StatusOr<std::string> StoreImpl::Resolve(IdentityType type,
                                               std::string_view value,
                                               const ReadOptions& read) const {
  absl::StatusOr<std::string> customer = ResolveChecked(type, value, read);
  if (!options_.access_audit) return customer;
  // Audited under the customer the identity leads to, which a refused read
  // does not return: found for the audit alone.
  absl::StatusOr<std::string> whose =
      customer.ok() ? customer : ResolveStored(type, value);
  if (!whose.ok()) return customer;  // no such identity: nothing to audit
  return Audited("Resolve", *whose, read, std::move(customer));
}

}  // namespace ckm::engine
