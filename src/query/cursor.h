// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Segment cursors: a position in a query's order (the last row's sort value
// and customer id) bound to the query that made it by a fingerprint of its
// canonical text. Printable: URL-safe base64 without padding.

#ifndef CKM_SRC_QUERY_CURSOR_H_
#define CKM_SRC_QUERY_CURSOR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ckm/segment.h"

namespace ckm::query {

// Where a row sits in a segment's order.
struct RowKey {
  SegmentValue value;  // kNone when the query has no sort
  std::string customer_id;
};

// A stable 64-bit hash (FNV-1a) of `text`: the same in every process.
std::uint64_t Fingerprint(std::string_view text);

std::string EncodeCursor(std::uint64_t fingerprint, const RowKey& key);

// InvalidArgument "cursor: ..." for text EncodeCursor did not make, or made
// for a query of another fingerprint.
absl::StatusOr<RowKey> DecodeCursor(std::string_view cursor,
                                    std::uint64_t fingerprint);

}  // namespace ckm::query

#endif  // CKM_SRC_QUERY_CURSOR_H_
