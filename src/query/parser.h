// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The predicate language's parser: text to an immutable Node tree. The
// grammar (docs/segments.md):
//
//   predicate := or
//   or        := and { "or" and }
//   and       := unary { "and" unary }
//   unary     := "not" unary | "(" or ")" | test
//   test      := figure op value
//              | figure ["not"] "in" "(" value { "," value } ")"
//              | figure                       (a boolean figure)
//              | "exists" "(" figure ")"
//              | ("contains" | "starts_with") "(" figure "," string ")"
//   figure    := name [ "(" argument ")" ]
//   op        := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
//   value     := number | string | "true" | "false"
//
// Keywords are case-insensitive; figure names are lower case. Every error
// is InvalidArgument "FIELD, column N: ...", N counting bytes from 1.

#ifndef CKM_SRC_QUERY_PARSER_H_
#define CKM_SRC_QUERY_PARSER_H_

#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "query/node.h"

namespace ckm::query {

// Longest text accepted, and deepest nesting of parentheses and `not`.
inline constexpr std::size_t kMaxPredicateBytes = 65'536;
inline constexpr int kMaxDepth = 64;

// A predicate; null for blank text (every profile matches). FIELD "where".
absl::StatusOr<NodePtr> ParsePredicate(std::string_view text);
// Exactly one figure. FIELD `field`.
absl::StatusOr<NodePtr> ParseFigure(std::string_view text,
                                    std::string_view field);
// "FIGURE [asc|desc]": the figure, and whether descending (the default).
// FIELD "sort".
absl::StatusOr<std::pair<NodePtr, bool>> ParseSort(std::string_view text);

}  // namespace ckm::query

#endif  // CKM_SRC_QUERY_PARSER_H_
