// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Evaluates a parsed predicate over one profile. Never fails: the parser
// has checked every name, argument and type that could.

#ifndef CKM_SRC_QUERY_EVAL_H_
#define CKM_SRC_QUERY_EVAL_H_

#include "query/figures.h"
#include "query/node.h"

namespace ckm::query {

// The value of a kFigure node.
SegmentValue ValueOf(const Node& figure, Facts& facts);

// Whether the profile satisfies `node`. A comparison with an undefined
// value, or with a value of another type than the literal's (an attribute
// holding a text compared with a number), is false.
bool Satisfies(const Node& node, Facts& facts);

}  // namespace ckm::query

#endif  // CKM_SRC_QUERY_EVAL_H_
