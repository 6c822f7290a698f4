// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Profiles by request and reply: a node answers requests for the customers
// of its partitions on "<prefix>.profile.<p>" (FetchProfile in ckm/sync.h
// asks). The request is the customer id, with the reader's role and
// purpose in headers Ckm-Role and Ckm-Purpose (absent when empty); the
// node reads with them, under its store's access policy. The reply is the
// profile's bytes with header Ckm-Status "ok" and, when the policy
// withheld parts, Ckm-Redacted (their names, comma-separated); or
// Ckm-Status "not_found", "denied", "invalid" or "error" with Ckm-Reason.

#ifndef CKM_SRC_SYNC_PROFILE_REQUESTS_H_
#define CKM_SRC_SYNC_PROFILE_REQUESTS_H_

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "ckm/store.h"
#include "ckm/sync.h"
#include "sync/nats_client.h"

namespace ckm::sync {

// What a subscription's callback needs; owned by the subscriber, which
// outlives the subscription.
struct ProfileService {
  Store* store;
  SyncOptions options;
  int partition;
};

// Answers requests for `service->partition` on `connection` until the
// returned subscription is drained or closed. A queue group, so that
// several nodes serving the same partition share the requests. `done` is
// notified once no answer runs any more, nor will (after a drain, or the
// connection's close): wait for it before `service` goes, since closing
// does not wait for an answer under way.
absl::StatusOr<SubscriptionPtr> ServeProfiles(Connection& connection,
                                              const ProfileService* service,
                                              absl::Notification* done);

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_PROFILE_REQUESTS_H_
