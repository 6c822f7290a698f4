// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "query/eval.h"

namespace ckm::query {
namespace {

bool Compare(const SegmentValue& v, Op op, const SegmentValue& literal) {
  if (v.type != literal.type) return false;  // undefined, or another type
  const int c = CompareValues(v, literal);
  switch (op) {
    case Op::kEq:
      return c == 0;
    case Op::kNe:
      return c != 0;
    case Op::kLt:
      return c < 0;
    case Op::kLe:
      return c <= 0;
    case Op::kGt:
      return c > 0;
    case Op::kGe:
      break;
  }
  return c >= 0;
}

}  // namespace

SegmentValue ValueOf(const Node& figure, Facts& facts) {
  return figure.spec->eval(facts, figure);
}

bool Satisfies(const Node& node, Facts& facts) {
  switch (node.kind) {
    case Node::Kind::kAnd:
      for (const NodePtr& child : node.children) {
        if (!Satisfies(*child, facts)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (const NodePtr& child : node.children) {
        if (Satisfies(*child, facts)) return true;
      }
      return false;
    case Node::Kind::kNot:
      return !Satisfies(*node.children[0], facts);
    case Node::Kind::kFigure:
      break;  // not a test: the parser never makes one one
    default: {
      const SegmentValue v = ValueOf(*node.children[0], facts);
      switch (node.kind) {
        case Node::Kind::kCompare:
          return Compare(v, node.op, node.literals[0]);
        case Node::Kind::kIn:
          for (const SegmentValue& literal : node.literals) {
            if (Compare(v, Op::kEq, literal)) return true;
          }
          return false;
        case Node::Kind::kExists:
          return v.type != SegmentValue::Type::kNone;
        case Node::Kind::kContains:
          return v.type == SegmentValue::Type::kText &&
                 v.text.find(node.literals[0].text) != std::string::npos;
        case Node::Kind::kStartsWith:
          return v.type == SegmentValue::Type::kText &&
                 v.text.compare(0, node.literals[0].text.size(),
                                node.literals[0].text) == 0;
        case Node::Kind::kTruth:
          return v.type == SegmentValue::Type::kBool && v.boolean;
        default:
          break;
      }
    }
  }
  return false;
}

}  // namespace ckm::query
