// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The parsed form of predicates and figures (include/ckm/segment.h): an
// immutable tree, shared by every copy of the Predicate or Figure that owns
// it. Built only by the parser (parser.h); read by the evaluator (eval.h).

#ifndef CKM_SRC_QUERY_NODE_H_
#define CKM_SRC_QUERY_NODE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ckm/segment.h"

namespace ckm::query {

struct FigureSpec;  // figures.h

// What a figure yields. kAny: an attribute, whose type is per customer.
enum class ValueType : std::uint8_t { kNumber, kText, kBool, kAny };

enum class Op : std::uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

struct Node {
  enum class Kind : std::uint8_t {
    kFigure,      // spec, arg
    kAnd,         // children: two or more operands
    kOr,          // children: two or more operands
    kNot,         // children[0]
    kCompare,     // children[0] op literals[0]
    kIn,          // children[0] equals one of literals
    kExists,      // children[0] is defined
    kContains,    // children[0] is a text containing literals[0]
    kStartsWith,  // children[0] is a text starting with literals[0]
    kTruth,       // children[0] is the boolean true
  };
  Kind kind = Kind::kFigure;

  // kFigure: what it reads, and its argument in canonical form (an upper-case
  // currency, a channel or kind name, an attribute key, a purpose, an
  // identity type); arg_code is the channel, kind or identity type's value.
  const FigureSpec* spec = nullptr;
  std::string arg;
  int arg_code = -1;

  std::vector<std::shared_ptr<const Node>> children;
  Op op = Op::kEq;
  std::vector<SegmentValue> literals;
};

using NodePtr = std::shared_ptr<const Node>;

// The canonical text of a node ("net_spend(GBP) > 1000").
std::string ToText(const Node& node);

// Whether evaluating the node reads now_ms.
bool NeedsNow(const Node& node);

// The figure nodes under `node`, each once (by canonical text), in order.
void CollectFigures(const NodePtr& node, std::vector<NodePtr>& out);

}  // namespace ckm::query

#endif  // CKM_SRC_QUERY_NODE_H_
