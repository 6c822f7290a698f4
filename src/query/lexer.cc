// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "query/lexer.h"

#include "absl/strings/str_cat.h"
#include "quote.h"
#include "string_util.h"

namespace ckm::query {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsWordChar(char c) {
  return IsWordStart(c) || IsDigit(c) || c == '.' || c == '-';
}
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A quoted string starting at text[i]; advances i past its closing quote.
absl::StatusOr<std::string> QuotedString(std::string_view text, std::size_t& i,
                                         std::string_view field) {
  const std::size_t start = i;
  const char quote = text[i++];
  std::string out;
  while (i < text.size() && text[i] != quote) {
    if (text[i] == '\\') {
      if (i + 1 >= text.size()) break;
      const char next = text[i + 1];
      if (next != '\\' && next != '"' && next != '\'') {
        return ErrorAt(field, i,
                       absl::StrCat("unknown escape \\", std::string(1, next),
                                    " (only \\\\, \\\" and \\' are)"));
      }
      out.push_back(next);
      i += 2;
      continue;
    }
    out.push_back(text[i++]);
  }
  if (i >= text.size())
    return ErrorAt(field, start, "string not closed: no matching quote");
  ++i;  // the closing quote
  return out;
}

}  // namespace

absl::Status ErrorAt(std::string_view field, std::size_t pos,
                     std::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(Av(field), ", column ", pos + 1, ": ", Av(message)));
}

std::string Describe(const Token& token) {
  switch (token.kind) {
    case Token::Kind::kEnd:
      return "end of input";
    case Token::Kind::kString:
      return absl::StrCat("the string ", QuoteForError(token.text));
    case Token::Kind::kLParen:
    case Token::Kind::kRParen:
    case Token::Kind::kComma:
      return absl::StrCat("'", token.text, "'");
    default:
      return QuoteForError(token.text);
  }
}

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view text,
                                            std::string_view field) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (true) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    Token t;
    t.pos = i;
    if (i >= text.size()) {
      tokens.push_back(std::move(t));
      return tokens;
    }
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    std::size_t end = i + 1;
    if (IsWordStart(c)) {
      t.kind = Token::Kind::kWord;
      while (end < text.size() && IsWordChar(text[end])) ++end;
    } else if (IsDigit(c) || ((c == '-' || c == '+') && IsDigit(next))) {
      t.kind = Token::Kind::kNumber;
      while (end < text.size() && IsDigit(text[end])) ++end;
      if (end + 1 < text.size() && text[end] == '.' && IsDigit(text[end + 1])) {
        ++end;
        while (end < text.size() && IsDigit(text[end])) ++end;
      }
    } else if (c == '"' || c == '\'') {
      end = i;
      absl::StatusOr<std::string> s = QuotedString(text, end, field);
      if (!s.ok()) return s.status();
      t.kind = Token::Kind::kString;
      t.text = *std::move(s);
      tokens.push_back(std::move(t));
      i = end;
      continue;
    } else if (c == '(' || c == ')' || c == ',') {
      t.kind = c == '('   ? Token::Kind::kLParen
               : c == ')' ? Token::Kind::kRParen
                          : Token::Kind::kComma;
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
      t.kind = Token::Kind::kOp;
      if (next == '=' || (c == '<' && next == '>')) end = i + 2;
      if (c == '!' && next != '=')
        return ErrorAt(field, i, "'!' is not an operator; write != or not");
    } else {
      return ErrorAt(field, i,
                     absl::StrCat("unexpected character ",
                                  QuoteForError(text.substr(i, 1),
                                                QuoteStyle::kCEscaped)));
    }
    t.text = std::string(text.substr(i, end - i));
    tokens.push_back(std::move(t));
    i = end;
  }
}

}  // namespace ckm::query
