// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.

#include "storage/crc32c.h"

#include <array>

namespace ckm::storage {
namespace {

// The reflected Castagnoli polynomial.
constexpr std::uint32_t kPolynomial = 0x82f63b78u;

constexpr std::array<std::uint32_t, 256> MakeTable() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kTable = MakeTable();

// The check value of the standard: CRC-32C("123456789").
constexpr std::uint32_t Check() {
  std::uint32_t c = ~0u;
  for (char ch : std::string_view("123456789"))
    c = kTable[(c ^ static_cast<unsigned char>(ch)) & 0xff] ^ (c >> 8);
  return ~c;
}
static_assert(Check() == 0xe3069283u, "CRC-32C table");

}  // namespace

std::uint32_t Crc32cExtend(std::uint32_t crc, std::string_view data) {
  std::uint32_t c = ~crc;
  for (char ch : data)
    c = kTable[(c ^ static_cast<unsigned char>(ch)) & 0xff] ^ (c >> 8);
  return ~c;
}

}  // namespace ckm::storage
