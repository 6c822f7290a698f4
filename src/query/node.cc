// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The canonical text of a parsed predicate: what cursors are bound to and
// what column headers say. Parsing the text again gives the same tree.

#include "query/node.h"

#include "absl/strings/str_cat.h"
#include "query/figures.h"
#include "string_util.h"

namespace ckm::query {
namespace {

bool IsBareWord(std::string_view s) {
  if (s.empty()) return false;
  const char c0 = s[0];
  if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || c0 == '_'))
    return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Literal(const SegmentValue& v) {
  return v.type == SegmentValue::Type::kText ? Quote(v.text) : v.ToString();
}

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      break;
  }
  return ">=";
}

// A child of `parent` in parentheses where the grammar needs them.
std::string Operand(const Node& child, Node::Kind parent) {
  const bool group =
      (child.kind == Node::Kind::kOr && parent != Node::Kind::kOr) ||
      (child.kind == Node::Kind::kAnd && parent == Node::Kind::kNot);
  return group ? absl::StrCat("(", ToText(child), ")") : ToText(child);
}

}  // namespace

std::string ToText(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kFigure: {
      std::string out(node.spec->name);
      if (!node.arg.empty()) {
        absl::StrAppend(&out, "(",
                        IsBareWord(node.arg) ? node.arg : Quote(node.arg), ")");
      }
      return out;
    }
    case Node::Kind::kAnd:
    case Node::Kind::kOr: {
      std::string out;
      for (const NodePtr& child : node.children) {
        if (!out.empty())
          out += node.kind == Node::Kind::kAnd ? " and " : " or ";
        out += Operand(*child, node.kind);
      }
      return out;
    }
    case Node::Kind::kNot:
      return absl::StrCat("not ", Operand(*node.children[0], node.kind));
    case Node::Kind::kCompare:
      return absl::StrCat(ToText(*node.children[0]), " ", Av(OpText(node.op)),
                          " ", Literal(node.literals[0]));
    case Node::Kind::kIn: {
      std::string out = absl::StrCat(ToText(*node.children[0]), " in (");
      for (std::size_t i = 0; i < node.literals.size(); ++i)
        absl::StrAppend(&out, i ? ", " : "", Literal(node.literals[i]));
      return out + ")";
    }
    case Node::Kind::kExists:
      return absl::StrCat("exists(", ToText(*node.children[0]), ")");
    case Node::Kind::kContains:
    case Node::Kind::kStartsWith:
      return absl::StrCat(
          node.kind == Node::Kind::kContains ? "contains(" : "starts_with(",
          ToText(*node.children[0]), ", ", Literal(node.literals[0]), ")");
    case Node::Kind::kTruth:
      return ToText(*node.children[0]);
  }
  return "";
}

bool NeedsNow(const Node& node) {
  if (node.kind == Node::Kind::kFigure) return node.spec->needs_now;
  for (const NodePtr& child : node.children) {
    if (NeedsNow(*child)) return true;
  }
  return false;
}

void CollectFigures(const NodePtr& node, std::vector<NodePtr>& out) {
  if (node == nullptr) return;
  if (node->kind == Node::Kind::kFigure) {
    const std::string text = ToText(*node);
    for (const NodePtr& seen : out) {
      if (ToText(*seen) == text) return;
    }
    out.push_back(node);
    return;
  }
  for (const NodePtr& child : node->children) CollectFigures(child, out);
}

}  // namespace ckm::query
