// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A thin owner of libnats objects: a connection with its JetStream
// context, messages and subscriptions that free themselves, and libnats'
// statuses as absl ones. The only file pair besides the sync code that
// includes nats.h.
//
// Thread safety: a Connection may be used from several threads (libnats'
// connections and contexts are); messages and subscriptions by one.

#ifndef CKM_SRC_SYNC_NATS_CLIENT_H_
#define CKM_SRC_SYNC_NATS_CLIENT_H_

#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/sync.h"

namespace ckm::sync {

// libnats' status as an absl one: DeadlineExceeded for a timeout,
// Unavailable when there is no server or connection, NotFound for a
// stream or consumer that does not exist, Unauthenticated when the server
// refused the user, PermissionDenied for what libnats calls not
// permitted, Internal otherwise. The message
// is "<context>: <libnats' text>" and, where known, the JetStream error.
absl::Status FromNats(natsStatus s, std::string_view context,
                      jsErrCode js_error = static_cast<jsErrCode>(0));

// How many permissions violations NATS servers have reported to this
// process's connections, counted by their error handler: libnats only
// notes one on the connection, and the request or publish the server
// refused simply times out.
std::uint64_t PermissionViolations();
// `error` as PermissionDenied if it is a timeout or a missing answer and a
// violation was reported since PermissionViolations() was `before`;
// otherwise `error`. (A violation on another connection of the process at
// the same time would be taken for this one's.)
absl::Status ExplainRefusal(absl::Status error, std::uint64_t before);

// A message's data, viewed: valid while the message is.
inline std::string_view Payload(natsMsg* msg) {
  return std::string_view(natsMsg_GetData(msg),
                          static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
}

// Owners of libnats objects, each freed by its own destroy function.
template <typename T, void (*Destroy)(T*)>
struct NatsFree {
  void operator()(T* p) const { Destroy(p); }
};
template <typename T, void (*Destroy)(T*)>
using NatsPtr = std::unique_ptr<T, NatsFree<T, Destroy>>;
using MsgPtr = NatsPtr<natsMsg, natsMsg_Destroy>;
using SubscriptionPtr = NatsPtr<natsSubscription, natsSubscription_Destroy>;
using StreamInfoPtr = NatsPtr<jsStreamInfo, jsStreamInfo_Destroy>;
using ConsumerInfoPtr = NatsPtr<jsConsumerInfo, jsConsumerInfo_Destroy>;
using MetaDataPtr = NatsPtr<jsMsgMetaData, jsMsgMetaData_Destroy>;

// Where a message of a stream stands: its sequence there, and how many
// times its consumer has delivered it. Zeros for a message without
// JetStream metadata (or nullptr).
struct StreamPlace {
  std::uint64_t sequence = 0;
  std::uint64_t delivered = 0;
};
StreamPlace PlaceOf(natsMsg* msg);

class Connection {
 public:
  // Connects to options.nats_url; reconnects by itself for ever after a
  // loss, every 100 ms. Unavailable if no server answers now.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const SyncOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Closes the connection and waits for its reading thread to end. Every
  // subscription on a connection, a JetStream context's PubAck one
  // included, is destroyed only after this: libnats 3.4's reading thread
  // looks a subscription up without holding it, and a message arriving as
  // another thread destroys it is written into freed memory (fixed upstream
  // in 3.6.1). Idempotent.
  void Close() {
    if (nc_ != nullptr) natsConnection_Close(nc_);
  }

  natsConnection* nc() const { return nc_; }
  jsCtx* js() const { return js_; }
  // JetStream options for calls that take them (the API wait).
  jsOptions* js_options() { return &js_options_; }
  bool connected() const {
    return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
  }
  // How many times libnats has connected again since Open: messages on
  // their way while it was cut off are lost, and come again only after
  // the consumer's ack wait.
  std::uint64_t reconnects() const;

 private:
  Connection() = default;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  jsOptions js_options_;
};

// The durable consumer `durable` of `stream`, as the server has it now;
// NotFound if there is none.
absl::StatusOr<ConsumerInfoPtr> ReadConsumerInfo(Connection& connection,
                                                 const std::string& stream,
                                                 const std::string& durable);

// Creates the event, dead-letter and forwards streams if they do not exist,
// and checks that the event stream was created with options.partitions
// (FailedPrecondition if not: the count is fixed, see SyncOptions).
absl::Status EnsureStreams(Connection& connection, const SyncOptions& options);

// The partition count the event stream was created with, from its
// description; NotFound without the stream.
absl::StatusOr<int> StreamPartitions(Connection& connection,
                                     const SyncOptions& options);

}  // namespace ckm::sync

#endif  // CKM_SRC_SYNC_NATS_CLIENT_H_
