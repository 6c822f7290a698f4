// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The one check every profile's bytes pass before anything reads them: the
// file identifier, the FlatBuffers Verifier, and what that Verifier (2.0)
// leaves out: it checks a vector's 4-byte length for alignment but not its
// 8-byte elements, so crafted bytes could place the [long] counters at an
// address that is not a multiple of 8. Reading them would be undefined
// behaviour.

#ifndef CKM_SRC_CODEC_PROFILE_VERIFY_H_
#define CKM_SRC_CODEC_PROFILE_VERIFY_H_

#include <cstddef>
#include <cstdint>

#include "profile_generated.h"

namespace ckm {

// The root of a well-formed profile, or nullptr.
// REQUIRES: `data` is 8-byte aligned (see AlignedBytes).
inline const fb::Profile* VerifiedProfile(const std::uint8_t* data,
                                          std::size_t size) {
  flatbuffers::Verifier verifier(data, size);
  if (size < 8 || !fb::ProfileBufferHasIdentifier(data) ||
      !fb::VerifyProfileBuffer(verifier)) {
    return nullptr;
  }
  const fb::Profile* profile = fb::GetProfile(data);
  auto aligned = [](const flatbuffers::Vector<std::int64_t>* v) {
    return v == nullptr || reinterpret_cast<std::uintptr_t>(v->data()) %
                                   alignof(std::int64_t) ==
                               0;
  };
  if (const fb::InteractionStats* i = profile->interactions()) {
    if (!aligned(i->by_channel()) || !aligned(i->by_kind())) return nullptr;
  }
  return profile;
}

}  // namespace ckm

#endif  // CKM_SRC_CODEC_PROFILE_VERIFY_H_
