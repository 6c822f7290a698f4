// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// A recursive-descent parser over the lexer's tokens. Every check a value
// can fail (an unknown figure, a currency, a literal of the wrong type) is
// made here, so that evaluation never fails.

#include "query/parser.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ckm/money.h"
#include "enum_names.h"
#include "query/figures.h"
#include "query/lexer.h"
#include "quote.h"
#include "string_util.h"
#include "validate.h"

namespace ckm::query {
namespace {

using Kind = Token::Kind;

bool IsKeyword(const Token& t, std::string_view word) {
  return t.kind == Kind::kWord && absl::EqualsIgnoreCase(t.text, Av(word));
}

bool IsReserved(const Token& t) {
  for (std::string_view w : {"and", "or", "not", "in", "true", "false", "asc",
                             "desc", "exists", "contains", "starts_with"}) {
    if (IsKeyword(t, w)) return true;
  }
  return false;
}

// Edit distance, for "did you mean".
std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string UnknownFigure(std::string_view name) {
  std::string_view best;
  std::size_t best_distance = 3;
  const std::string lower = absl::AsciiStrToLower(Av(name));
  for (const FigureSpec& spec : AllFigures()) {
    const std::size_t d = Distance(lower, spec.name);
    if (d < best_distance) {
      best = spec.name;
      best_distance = d;
    }
  }
  // "recency" for recency_days: a figure that begins with the name.
  for (const FigureSpec& spec : AllFigures()) {
    if (best.empty() && spec.name.rfind(lower + "_", 0) == 0) best = spec.name;
  }
  return absl::StrCat(
      "unknown figure ", QuoteForError(name),
      best.empty() ? "" : absl::StrCat(" (did you mean ", Av(best), "?)"),
      "; docs/segments.md lists the figures");
}

std::string_view ArgWhat(ArgKind kind) {
  switch (kind) {
    case ArgKind::kCurrency:
      return "a currency, as in (GBP)";
    case ArgKind::kChannel:
      return "a channel, as in (web)";
    case ArgKind::kChannelOrKind:
      return "a channel or interaction kind, as in (phone) or (complaint)";
    case ArgKind::kAttributeKey:
      return "an attribute key, as in (demographic.city)";
    case ArgKind::kPurpose:
      return "a consent purpose, as in (marketing.email)";
    case ArgKind::kIdentityType:
      return "an identity type, as in (email)";
    case ArgKind::kNone:
      break;
  }
  return "no argument";
}

template <typename Enum>
int CodeOf(std::string_view name, int first, int count) {
  const std::optional<Enum> e = EnumNamed<Enum>(name, first, count);
  return e ? static_cast<int>(*e) : -1;
}

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kNumber:
      return "a number";
    case ValueType::kText:
      return "a text";
    case ValueType::kBool:
      return "true or false";
    case ValueType::kAny:
      break;
  }
  return "any value";
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view field)
      : tokens_(std::move(tokens)), field_(field) {}

  absl::StatusOr<NodePtr> Or(int depth);
  absl::StatusOr<NodePtr> Figure();
  absl::Status ExpectEnd(std::string_view after) {
    if (Peek().kind == Kind::kEnd) return absl::OkStatus();
    return Error(Peek(), absl::StrCat("expected ", Av(after), ", found ",
                                      Describe(Peek())));
  }
  const Token& Peek(std::size_t ahead = 0) const {
    return tokens_[std::min(next_ + ahead, tokens_.size() - 1)];
  }
  const Token& Take() {
    const Token& t = Peek();
    if (next_ < tokens_.size() - 1) ++next_;
    return t;
  }
  absl::Status Error(const Token& at, std::string_view message) const {
    return ErrorAt(field_, at.pos, message);
  }

 private:
  absl::StatusOr<NodePtr> And(int depth);
  absl::StatusOr<NodePtr> Unary(int depth);
  absl::StatusOr<NodePtr> Test();
  absl::StatusOr<NodePtr> FunctionTest(Node::Kind kind);
  absl::StatusOr<NodePtr> Comparison(NodePtr figure);
  absl::StatusOr<NodePtr> InList(NodePtr figure, bool negated);
  absl::StatusOr<SegmentValue> Value(const Node& figure, bool ordering);
  absl::Status Argument(const FigureSpec& spec, Node& figure);
  absl::Status Expect(Kind kind, std::string_view what) {
    if (Peek().kind == kind) {
      Take();
      return absl::OkStatus();
    }
    return Error(Peek(), absl::StrCat("expected ", Av(what), ", found ",
                                      Describe(Peek())));
  }

  std::vector<Token> tokens_;
  std::size_t next_ = 0;
  std::string_view field_;
};

absl::StatusOr<NodePtr> Parser::Or(int depth) {
  absl::StatusOr<NodePtr> first = And(depth);
  if (!first.ok() || !IsKeyword(Peek(), "or")) return first;
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::kOr;
  node->children.push_back(*std::move(first));
  while (IsKeyword(Peek(), "or")) {
    Take();
    absl::StatusOr<NodePtr> next = And(depth);
    if (!next.ok()) return next.status();
    node->children.push_back(*std::move(next));
  }
  return node;
}

absl::StatusOr<NodePtr> Parser::And(int depth) {
  absl::StatusOr<NodePtr> first = Unary(depth);
  if (!first.ok() || !IsKeyword(Peek(), "and")) return first;
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::kAnd;
  node->children.push_back(*std::move(first));
  while (IsKeyword(Peek(), "and")) {
    Take();
    absl::StatusOr<NodePtr> next = Unary(depth);
    if (!next.ok()) return next.status();
    node->children.push_back(*std::move(next));
  }
  return node;
}

absl::StatusOr<NodePtr> Parser::Unary(int depth) {
  if (depth >= kMaxDepth) {
    return Error(Peek(), absl::StrCat("nested too deeply (more than ",
                                      kMaxDepth, " levels)"));
  }
  if (IsKeyword(Peek(), "not")) {
    Take();
    absl::StatusOr<NodePtr> operand = Unary(depth + 1);
    if (!operand.ok()) return operand.status();
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kNot;
    node->children.push_back(*std::move(operand));
    return node;
  }
  if (Peek().kind == Kind::kLParen) {
    Take();
    absl::StatusOr<NodePtr> inner = Or(depth + 1);
    if (!inner.ok()) return inner.status();
    if (absl::Status s = Expect(Kind::kRParen, "')' or an operator"); !s.ok())
      return s;
    return inner;
  }
  return Test();
}

absl::StatusOr<NodePtr> Parser::Test() {
  if (Peek(1).kind == Kind::kLParen) {
    if (IsKeyword(Peek(), "exists")) return FunctionTest(Node::Kind::kExists);
    if (IsKeyword(Peek(), "contains"))
      return FunctionTest(Node::Kind::kContains);
    if (IsKeyword(Peek(), "starts_with"))
      return FunctionTest(Node::Kind::kStartsWith);
  }
  absl::StatusOr<NodePtr> figure = Figure();
  if (!figure.ok()) return figure.status();
  const Token& t = Peek();
  if (t.kind == Kind::kOp) return Comparison(*std::move(figure));
  if (IsKeyword(t, "in")) return InList(*std::move(figure), false);
  if (IsKeyword(t, "not") && IsKeyword(Peek(1), "in")) {
    Take();
    return InList(*std::move(figure), true);
  }
  const ValueType type = (*figure)->spec->type;
  if (type == ValueType::kBool || type == ValueType::kAny) {
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kTruth;
    node->children.push_back(*std::move(figure));
    return node;
  }
  return Error(t, absl::StrCat("expected an operator (=, !=, <, <=, >, >=, "
                               "in) after ",
                               ToText(**figure), ", which is ",
                               Av(TypeName(type)), ", found ", Describe(t)));
}

absl::StatusOr<NodePtr> Parser::FunctionTest(Node::Kind kind) {
  const Token& name = Take();
  Take();  // '('
  absl::StatusOr<NodePtr> figure = Figure();
  if (!figure.ok()) return figure.status();
  auto node = std::make_shared<Node>();
  node->kind = kind;
  if (kind != Node::Kind::kExists) {
    const ValueType type = (*figure)->spec->type;
    if (type != ValueType::kText && type != ValueType::kAny) {
      return Error(
          name, absl::StrCat(name.text, " needs a text, and ", ToText(**figure),
                             " is ", Av(TypeName(type))));
    }
    if (absl::Status s = Expect(Kind::kComma, "','"); !s.ok()) return s;
    if (Peek().kind != Kind::kString) {
      return Error(Peek(), absl::StrCat("expected a quoted string, found ",
                                        Describe(Peek())));
    }
    SegmentValue text;
    text.type = SegmentValue::Type::kText;
    text.text = Take().text;
    node->literals.push_back(std::move(text));
  }
  if (absl::Status s = Expect(Kind::kRParen, "')'"); !s.ok()) return s;
  node->children.push_back(*std::move(figure));
  return node;
}

absl::StatusOr<NodePtr> Parser::Comparison(NodePtr figure) {
  const std::string op = Take().text;
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::kCompare;
  node->op = op == "=" || op == "=="    ? Op::kEq
             : op == "!=" || op == "<>" ? Op::kNe
             : op == "<"                ? Op::kLt
             : op == "<="               ? Op::kLe
             : op == ">"                ? Op::kGt
                                        : Op::kGe;
  const bool ordering = node->op != Op::kEq && node->op != Op::kNe;
  absl::StatusOr<SegmentValue> value = Value(*figure, ordering);
  if (!value.ok()) return value.status();
  node->literals.push_back(*std::move(value));
  node->children.push_back(std::move(figure));
  return node;
}

absl::StatusOr<NodePtr> Parser::InList(NodePtr figure, bool negated) {
  Take();  // in
  if (absl::Status s = Expect(Kind::kLParen, "'(' after in"); !s.ok()) return s;
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::kIn;
  do {
    absl::StatusOr<SegmentValue> value = Value(*figure, false);
    if (!value.ok()) return value.status();
    node->literals.push_back(*std::move(value));
  } while (Peek().kind == Kind::kComma && Take().kind == Kind::kComma);
  if (absl::Status s = Expect(Kind::kRParen, "',' or ')'"); !s.ok()) return s;
  node->children.push_back(std::move(figure));
  if (!negated) return node;
  auto negation = std::make_shared<Node>();
  negation->kind = Node::Kind::kNot;
  negation->children.push_back(std::move(node));
  return negation;
}

// A literal compared with `figure`, of a type the figure can have.
absl::StatusOr<SegmentValue> Parser::Value(const Node& figure, bool ordering) {
  const Token& t = Peek();
  SegmentValue v;
  if (t.kind == Kind::kNumber) {
    absl::StatusOr<std::int64_t> micros = ParseMicros(t.text);
    if (!micros.ok()) {
      return Error(t, absl::StrCat("number ", QuoteForError(t.text), ": ",
                                   micros.status().message()));
    }
    v = Money(*micros);
    v.unit = SegmentValue::Unit::kPlain;
  } else if (t.kind == Kind::kString) {
    v = Text(t.text);
  } else if (IsKeyword(t, "true") || IsKeyword(t, "false")) {
    v = Bool(IsKeyword(t, "true"));
  } else {
    return Error(t, absl::StrCat("expected a value (a number, a \"quoted "
                                 "string\", true or false), found ",
                                 Describe(t),
                                 t.kind == Kind::kWord && !IsReserved(t)
                                     ? " (quote a text value)"
                                     : ""));
  }
  const ValueType type = figure.spec->type;
  const bool fits =
      type == ValueType::kAny ||
      (type == ValueType::kNumber && v.type == SegmentValue::Type::kNumber) ||
      (type == ValueType::kText && v.type == SegmentValue::Type::kText) ||
      (type == ValueType::kBool && v.type == SegmentValue::Type::kBool);
  if (!fits) {
    return Error(t,
                 absl::StrCat(ToText(figure), " is ", Av(TypeName(type)),
                              ", so it cannot be compared with ", Describe(t)));
  }
  if (ordering && v.type == SegmentValue::Type::kBool) {
    return Error(t, "true and false compare only with = and !=");
  }
  Take();
  return v;
}

absl::StatusOr<NodePtr> Parser::Figure() {
  const Token& name = Peek();
  if (name.kind != Kind::kWord || IsReserved(name)) {
    return Error(name,
                 absl::StrCat("expected a figure, found ", Describe(name)));
  }
  const FigureSpec* spec = FindFigure(name.text);
  if (spec == nullptr) return Error(name, UnknownFigure(name.text));
  Take();
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::kFigure;
  node->spec = spec;
  if (Peek().kind != Kind::kLParen) {
    if (spec->arg == ArgKind::kNone || spec->arg_optional) return node;
    return Error(Peek(), absl::StrCat(Av(spec->name), " needs ",
                                      Av(ArgWhat(spec->arg))));
  }
  if (spec->arg == ArgKind::kNone) {
    return Error(Peek(), absl::StrCat(Av(spec->name), " takes no argument"));
  }
  Take();  // '('
  if (absl::Status s = Argument(*spec, *node); !s.ok()) return s;
  if (absl::Status s = Expect(Kind::kRParen, "')'"); !s.ok()) return s;
  return node;
}

absl::Status Parser::Argument(const FigureSpec& spec, Node& figure) {
  const Token& t = Peek();
  if (t.kind != Kind::kWord && t.kind != Kind::kString) {
    return Error(t,
                 absl::StrCat(Av(spec.name), " needs ", Av(ArgWhat(spec.arg)),
                              "; found ", Describe(t)));
  }
  std::string arg = t.text;
  int code = 0;
  bool ok = true;
  switch (spec.arg) {
    case ArgKind::kCurrency:
      arg = absl::AsciiStrToUpper(arg);
      ok = IsIsoCurrency(arg);
      break;
    case ArgKind::kChannel:
      code = CodeOf<Channel>(arg, 0, kChannelCount);
      ok = code >= 0;
      break;
    case ArgKind::kChannelOrKind:
      code = CodeOf<Channel>(arg, 0, kChannelCount);
      if (code < 0) {
        code = CodeOf<InteractionKind>(arg, 1, kInteractionKindCount);
        if (code >= 0) code += 100;
      }
      ok = code >= 0;
      break;
    case ArgKind::kAttributeKey:
      ok = IsAttributeKey(arg);
      break;
    case ArgKind::kPurpose:
      ok = IsPurpose(arg);
      break;
    case ArgKind::kIdentityType:
      code = CodeOf<IdentityType>(arg, 1, 5);
      ok = code >= 0;
      break;
    case ArgKind::kNone:
      break;
  }
  if (!ok) {
    return Error(
        t, absl::StrCat(Av(spec.name), " needs ", Av(ArgWhat(spec.arg)), "; ",
                        QuoteForError(t.text), " is not one"));
  }
  figure.arg = std::move(arg);
  figure.arg_code = code;
  Take();
  return absl::OkStatus();
}

absl::StatusOr<Parser> Start(std::string_view text, std::string_view field) {
  if (text.size() > kMaxPredicateBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        Av(field), ": longer than ", kMaxPredicateBytes, " bytes"));
  }
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(text, field);
  if (!tokens.ok()) return tokens.status();
  return Parser(*std::move(tokens), field);
}

}  // namespace

absl::StatusOr<NodePtr> ParsePredicate(std::string_view text) {
  absl::StatusOr<Parser> parser = Start(text, "where");
  if (!parser.ok()) return parser.status();
  if (parser->Peek().kind == Kind::kEnd) return NodePtr();
  absl::StatusOr<NodePtr> root = parser->Or(0);
  if (!root.ok()) return root.status();
  if (parser->Peek().kind == Kind::kRParen) {
    return parser->Error(parser->Peek(), "')' without a matching '('");
  }
  if (absl::Status s = parser->ExpectEnd("and, or or the end"); !s.ok())
    return s;
  return root;
}

absl::StatusOr<NodePtr> ParseFigure(std::string_view text,
                                    std::string_view field) {
  absl::StatusOr<Parser> parser = Start(text, field);
  if (!parser.ok()) return parser.status();
  absl::StatusOr<NodePtr> figure = parser->Figure();
  if (!figure.ok()) return figure.status();
  if (absl::Status s = parser->ExpectEnd("the end after the figure"); !s.ok())
    return s;
  return figure;
}

absl::StatusOr<std::pair<NodePtr, bool>> ParseSort(std::string_view text) {
  absl::StatusOr<Parser> parser = Start(text, "sort");
  if (!parser.ok()) return parser.status();
  absl::StatusOr<NodePtr> figure = parser->Figure();
  if (!figure.ok()) return figure.status();
  bool descending = true;
  if (IsKeyword(parser->Peek(), "asc") || IsKeyword(parser->Peek(), "desc")) {
    descending = IsKeyword(parser->Take(), "desc");
  }
  if (absl::Status s = parser->ExpectEnd("asc, desc or the end"); !s.ok())
    return s;
  if ((*figure)->spec->type == ValueType::kBool) {
    return ErrorAt("sort", 0,
                   absl::StrCat(ToText(**figure),
                                " is true or false; sort by a number or a "
                                "text"));
  }
  return std::make_pair(*std::move(figure), descending);
}

}  // namespace ckm::query
