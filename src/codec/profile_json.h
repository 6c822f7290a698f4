// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Parts of Profile::ToJson that other JSON documents hold too (the export,
// engine/export.cc), written once.

#ifndef CKM_SRC_CODEC_PROFILE_JSON_H_
#define CKM_SRC_CODEC_PROFILE_JSON_H_

#include <vector>

#include "ckm/profile.h"
#include "codec/json.h"

namespace ckm::codec {

// The member "identities": an array of {"type", "value", "linked"}.
void WriteIdentityLinks(const std::vector<IdentityLink>& links,
                        json::Writer& w);

}  // namespace ckm::codec

#endif  // CKM_SRC_CODEC_PROFILE_JSON_H_
