// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The library's version and the on-disk format it reads and writes.

#ifndef CKM_VERSION_H_
#define CKM_VERSION_H_

namespace ckm {

// The library's version (CMake's project version; the build checks they
// agree).
inline constexpr char kVersion[] = "0.1.0";

// The store format this build writes (docs/opening.md lists the formats it
// reads, and how older ones are migrated).
inline constexpr char kStoreFormat[] = "3.2";

}  // namespace ckm

#endif  // CKM_VERSION_H_
