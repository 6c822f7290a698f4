// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "codec/json_reader.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "string_util.h"
#include "validate.h"

namespace ckm::json {

const Value* Value::Find(std::string_view key) const {
  for (const auto& [name, value] : members_)
    if (name == key) return &value;
  return nullptr;
}

const char* Value::TypeName(Type type) {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "a boolean";
    case Type::kNumber:
      return "a number";
    case Type::kString:
      return "a string";
    case Type::kArray:
      return "an array";
    case Type::kObject:
      return "an object";
  }
  return "a value";
}

std::optional<std::int64_t> ToInt64(std::string_view number_text) {
  if (number_text.find_first_of(".eE") != std::string_view::npos)
    return std::nullopt;
  std::int64_t value = 0;
  if (!absl::SimpleAtoi(Av(number_text), &value)) return std::nullopt;
  return value;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<Value> Document() {
    Value value;
    SkipSpace();
    if (absl::Status s = ParseValue(value, 0); !s.ok()) return s;
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the value");
    return value;
  }

 private:
  static constexpr int kMaxDepth = 64;

  absl::Status Error(std::string_view why) const {
    return absl::InvalidArgumentError(
        absl::StrCat("at byte ", pos_, ": ", Av(why)));
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                        text_[pos_] == '\r' || text_[pos_] == '\n'))
      ++pos_;
  }
  bool Consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::Status ParseValue(Value& out, int depth) {
    if (depth > kMaxDepth) return Error("nested deeper than 64");
    switch (Peek()) {
      case '{':
        return ParseObject(out, depth);
      case '[':
        return ParseArray(out, depth);
      case '"':
        out.type_ = Value::Type::kString;
        return ParseString(out.text_);
      case 't':
      case 'f':
        out.type_ = Value::Type::kBool;
        out.bool_ = Peek() == 't';
        if (Consume(out.bool_ ? "true" : "false")) return absl::OkStatus();
        return Error("expected a value");
      case 'n':
        if (Consume("null")) return absl::OkStatus();
        return Error("expected a value");
      default:
        if (Peek() == '-' || (Peek() >= '0' && Peek() <= '9'))
          return ParseNumber(out);
        return Error(AtEnd() ? "unexpected end of text" : "expected a value");
    }
  }

  absl::Status ParseObject(Value& out, int depth) {
    out.type_ = Value::Type::kObject;
    ++pos_;  // '{'
    SkipSpace();
    if (Consume("}")) return absl::OkStatus();
    while (true) {
      SkipSpace();
      if (Peek() != '"') return Error("expected a member name in quotes");
      const std::size_t key_at = pos_;
      std::string key;
      if (absl::Status s = ParseString(key); !s.ok()) return s;
      if (out.Find(key) != nullptr) {
        pos_ = key_at;
        return Error(absl::StrCat("member \"", key, "\" given twice"));
      }
      SkipSpace();
      if (!Consume(":")) return Error("expected ':' after a member name");
      SkipSpace();
      Value value;
      if (absl::Status s = ParseValue(value, depth + 1); !s.ok()) return s;
      out.members_.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (Consume("}")) return absl::OkStatus();
      if (!Consume(",")) return Error("expected ',' or '}' in an object");
    }
  }

  absl::Status ParseArray(Value& out, int depth) {
    out.type_ = Value::Type::kArray;
    ++pos_;  // '['
    SkipSpace();
    if (Consume("]")) return absl::OkStatus();
    while (true) {
      SkipSpace();
      Value item;
      if (absl::Status s = ParseValue(item, depth + 1); !s.ok()) return s;
      out.items_.push_back(std::move(item));
      SkipSpace();
      if (Consume("]")) return absl::OkStatus();
      if (!Consume(",")) return Error("expected ',' or ']' in an array");
    }
  }

  absl::Status ParseNumber(Value& out) {
    out.type_ = Value::Type::kNumber;
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (Peek() >= '0' && Peek() <= '9') ++pos_;
      return pos_ - from;
    };
    Consume("-");
    if (Peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return Error("expected digits in a number");
    }
    if (Consume(".") && digits() == 0)
      return Error("expected digits after '.' in a number");
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (!Consume("+")) Consume("-");
      if (digits() == 0) return Error("expected digits in an exponent");
    }
    out.text_ = std::string(text_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  absl::StatusOr<std::uint32_t> Hex4() {
    if (text_.size() - pos_ < 4)
      return Error("expected 4 hex digits after \\u");
    std::uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      code <<= 4;
      if (c >= '0' && c <= '9') {
        code |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        code |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        code |= c - 'A' + 10;
      } else {
        --pos_;
        return Error("expected 4 hex digits after \\u");
      }
    }
    return code;
  }

  absl::Status Escape(std::string& out) {
    const char c = text_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out.push_back(c);
        return absl::OkStatus();
      case 'b':
        out.push_back('\b');
        return absl::OkStatus();
      case 'f':
        out.push_back('\f');
        return absl::OkStatus();
      case 'n':
        out.push_back('\n');
        return absl::OkStatus();
      case 'r':
        out.push_back('\r');
        return absl::OkStatus();
      case 't':
        out.push_back('\t');
        return absl::OkStatus();
      case 'u':
        break;
      default:
        --pos_;
        return Error("unknown escape in a string");
    }
    absl::StatusOr<std::uint32_t> code = Hex4();
    if (!code.ok()) return code.status();
    if (*code >= 0xDC00 && *code <= 0xDFFF)
      return Error("a low surrogate without a high one");
    if (*code >= 0xD800 && *code <= 0xDBFF) {
      if (!Consume("\\u")) return Error("a high surrogate without a low one");
      absl::StatusOr<std::uint32_t> low = Hex4();
      if (!low.ok()) return low.status();
      if (*low < 0xDC00 || *low > 0xDFFF)
        return Error("a high surrogate without a low one");
      *code = 0x10000 + ((*code - 0xD800) << 10) + (*low - 0xDC00);
    }
    AppendUtf8(*code, out);
    return absl::OkStatus();
  }

  static void AppendUtf8(std::uint32_t code, std::string& out) {
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (code >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  absl::Status ParseString(std::string& out) {
    const std::size_t start = pos_;
    ++pos_;  // '"'
    while (true) {
      if (AtEnd()) return Error("unterminated string");
      const char c = text_[pos_];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20)
        return Error("a control character in a string (escape it)");
      ++pos_;
      if (c != '\\') {
        out.push_back(c);
      } else if (AtEnd()) {
        return Error("unterminated string");
      } else if (absl::Status s = Escape(out); !s.ok()) {
        return s;
      }
    }
    ++pos_;  // '"'
    if (!IsValidUtf8(out)) {
      pos_ = start;
      return Error("a string that is not valid UTF-8");
    }
    return absl::OkStatus();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

absl::StatusOr<Value> Parse(std::string_view text) {
  return Parser(text).Document();
}

}  // namespace ckm::json
