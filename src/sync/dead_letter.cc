// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "sync/dead_letter.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "sync/names.h"

namespace ckm::sync {
namespace {

// A header value holds no line break, and stays short.
std::string OneLine(absl::string_view text) {
  std::string line(text.substr(0, 1000));
  std::replace(line.begin(), line.end(), '\r', ' ');
  std::replace(line.begin(), line.end(), '\n', ' ');
  return line;
}

}  // namespace

absl::Status SendToDeadLetters(Connection& c, const SyncOptions& o,
                               int partition, natsMsg* msg,
                               absl::string_view reason, bool withhold_body) {
  const std::string subject = DeadSubject(o, partition);
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr,
                                withhold_body ? "" : natsMsg_GetData(msg),
                                withhold_body ? 0 : natsMsg_GetDataLength(msg));
  MsgPtr letter(raw);
  if (s != NATS_OK) return FromNats(s, "building a dead letter");
  const std::string why = OneLine(reason);
  s = natsMsgHeader_Set(letter.get(), kReasonHeader, why.c_str());
  if (s == NATS_OK)
    s = natsMsgHeader_Set(letter.get(), kSubjectHeader,
                          natsMsg_GetSubject(msg));
  jsMsgMetaData* meta_raw = nullptr;
  if (s == NATS_OK) s = natsMsg_GetMetaData(&meta_raw, msg);
  MetaDataPtr meta(meta_raw);
  if (s != NATS_OK) return FromNats(s, "building a dead letter");
  const std::string id = absl::StrCat(meta->Stream, "-", meta->Sequence.Stream);
  jsPubOptions pub;
  jsPubOptions_Init(&pub);
  pub.MsgId = id.c_str();
  pub.MaxWait = o.timeout_ms;
  jsPubAck* ack = nullptr;
  jsErrCode js_error = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack, c.js(), letter.get(), &pub, &js_error);
  if (ack != nullptr) jsPubAck_Destroy(ack);
  return FromNats(s, absl::StrCat("publishing a dead letter to ", subject),
                  js_error);
}

}  // namespace ckm::sync
