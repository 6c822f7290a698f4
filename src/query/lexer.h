// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Splits predicate text into tokens, each with its byte offset, so that the
// parser's errors can name the column.

#ifndef CKM_SRC_QUERY_LEXER_H_
#define CKM_SRC_QUERY_LEXER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ckm::query {

struct Token {
  enum class Kind {
    kWord,    // [A-Za-z_][A-Za-z0-9_.-]*: a figure, keyword or bare argument
    kNumber,  // [+-]?[0-9]+(.[0-9]+)?
    kString,  // "..." or '...'; `text` holds it unescaped
    kLParen,
    kRParen,
    kComma,
    kOp,   // = == != <> < <= > >=
    kEnd,  // past the last token
  };
  Kind kind = Kind::kEnd;
  std::string text;     // as written, except kString (unescaped)
  std::size_t pos = 0;  // byte offset of its first character
};

// How a token is named in an error: `"net_spend"`, `'('`, `end of input`.
std::string Describe(const Token& token);

// The tokens of `text`, ending with one kEnd. InvalidArgument
// "FIELD, column N: ..." for a character no token starts with or an
// unterminated string.
absl::StatusOr<std::vector<Token>> Tokenize(std::string_view text,
                                            std::string_view field);

// InvalidArgument "FIELD, column POS+1: MESSAGE".
absl::Status ErrorAt(std::string_view field, std::size_t pos,
                     std::string_view message);

}  // namespace ckm::query

#endif  // CKM_SRC_QUERY_LEXER_H_
