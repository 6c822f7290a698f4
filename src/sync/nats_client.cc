// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/nats_client.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "string_util.h"

namespace ckm::sync {

absl::Status FromNats(natsStatus s, std::string_view context,
                      jsErrCode js_error) {
  if (s == NATS_OK) return absl::OkStatus();
  std::string message = absl::StrCat(Av(context), ": ", natsStatus_GetText(s));
  if (const char* last = nats_GetLastError(nullptr);
      last != nullptr && *last != '\0') {
    absl::StrAppend(&message, " (", last, ")");
  }
  if (js_error != 0)
    absl::StrAppend(&message, " [JetStream error ", js_error, "]");
  switch (s) {
    case NATS_TIMEOUT:
      return absl::DeadlineExceededError(message);
    case NATS_NOT_FOUND:
      return absl::NotFoundError(message);
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_NO_RESPONDERS:
    case NATS_IO_ERROR:
    case NATS_STALE_CONNECTION:
      return absl::UnavailableError(message);
    case NATS_CONNECTION_AUTH_FAILED:
      return absl::UnauthenticatedError(message);
    case NATS_NOT_PERMITTED:
      return absl::PermissionDeniedError(message);
    default:
      if (js_error == JSStreamNotFoundErr || js_error == JSConsumerNotFoundErr)
        return absl::NotFoundError(message);
      return absl::InternalError(message);
  }
}

namespace {

std::atomic<std::uint64_t> violations{0};

// Every connection's asynchronous error handler.
void OnAsyncError(natsConnection*, natsSubscription*, natsStatus error, void*) {
  if (error == NATS_NOT_PERMITTED)
    violations.fetch_add(1, std::memory_order_relaxed);
}

// `urls` as an error may show them: each password (or token) in them
// replaced by "***".
std::string WithoutSecrets(const std::vector<std::string>& urls) {
  std::vector<std::string> shown;
  for (const std::string& url : urls) {
    const std::size_t host = url.rfind('@');
    const std::size_t scheme = url.find("://");
    const std::size_t from = scheme == std::string::npos ? 0 : scheme + 3;
    if (host == std::string::npos || host < from) {
      shown.push_back(url);
      continue;
    }
    const std::size_t colon = url.find(':', from);
    const std::size_t secret =
        colon != std::string::npos && colon < host ? colon + 1 : from;
    shown.push_back(
        absl::StrCat(url.substr(0, secret), "***", url.substr(host)));
  }
  return absl::StrJoin(shown, ",");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const SyncOptions& options) {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  // One server or several (a cluster): libnats takes a list.
  const std::vector<std::string> urls =
      absl::StrSplit(options.nats_url, ',', absl::SkipWhitespace());
  std::vector<const char*> servers;
  for (const std::string& url : urls) servers.push_back(url.c_str());
  if (s == NATS_OK)
    s = natsOptions_SetServers(opts, servers.data(),
                               static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, "ckm");
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, options.timeout_ms);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 100);
  if (s == NATS_OK)
    s = natsOptions_SetErrorHandler(opts, OnAsyncError, nullptr);
  std::unique_ptr<Connection> c(new Connection());
  if (s == NATS_OK) s = natsConnection_Connect(&c->nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK)
    return FromNats(s, absl::StrCat("connecting to ", WithoutSecrets(urls)));
  jsOptions_Init(&c->js_options_);
  c->js_options_.Wait = options.timeout_ms;
  s = natsConnection_JetStream(&c->js_, c->nc_, &c->js_options_);
  if (s != NATS_OK) return FromNats(s, "opening JetStream");
  return c;
}

std::uint64_t PermissionViolations() {
  return violations.load(std::memory_order_relaxed);
}

absl::Status ExplainRefusal(absl::Status error, std::uint64_t before) {
  if (PermissionViolations() == before ||
      !(absl::IsDeadlineExceeded(error) || absl::IsUnavailable(error)))
    return error;
  return absl::PermissionDeniedError(absl::StrCat(
      error.message(),
      "; the NATS server refused this user a subject meanwhile (a "
      "permissions violation; docs/sync.md lists what a till needs)"));
}

// Closed before the context goes: a context may hold a subscription
// (Close says why).
Connection::~Connection() {
  Close();
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
}

StreamPlace PlaceOf(natsMsg* msg) {
  jsMsgMetaData* raw = nullptr;
  if (msg == nullptr || natsMsg_GetMetaData(&raw, msg) != NATS_OK) return {};
  MetaDataPtr meta(raw);
  return {meta->Sequence.Stream, meta->NumDelivered};
}

std::uint64_t Connection::reconnects() const {
  natsStatistics* stats = nullptr;
  if (natsStatistics_Create(&stats) != NATS_OK) return 0;
  std::uint64_t reconnected = 0;
  if (natsConnection_GetStats(nc_, stats) != NATS_OK ||
      natsStatistics_GetCounts(stats, nullptr, nullptr, nullptr, nullptr,
                               &reconnected) != NATS_OK)
    reconnected = 0;
  natsStatistics_Destroy(stats);
  return reconnected;
}

absl::StatusOr<ConsumerInfoPtr> ReadConsumerInfo(Connection& c,
                                                 const std::string& stream,
                                                 const std::string& durable) {
  jsConsumerInfo* raw = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetConsumerInfo(
      &raw, c.js(), stream.c_str(), durable.c_str(), c.js_options(), &js_error);
  ConsumerInfoPtr info(raw);
  absl::Status read =
      FromNats(s, absl::StrCat("reading consumer ", durable), js_error);
  if (!read.ok()) return read;
  return info;
}

}  // namespace ckm::sync
