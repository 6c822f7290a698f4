// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// The benchmark's workload: a deterministic stream of point-of-sale orders.
//
// Every batch is generated from (seed, batch index) alone, so any batch can be
// produced on its own, by any thread, in any order, and two runs with the same
// flags see the same bytes. Nothing is held for the whole run: a batch of
// compact Orders is generated, handed to a variant, and dropped, so the
// harness adds little to the peak RSS it measures.
//
// Thread safety: a Workload is immutable after construction; Batch() and the
// other const methods may be called from many threads at once.

#ifndef CKM_BENCHMARKS_WORKLOAD_H_
#define CKM_BENCHMARKS_WORKLOAD_H_

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace ckm_bench {

// SplitMix64: a small, well-mixed 64-bit generator. Used instead of <random>
// distributions, whose output is not specified by the standard and may differ
// between standard libraries.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is < n/2^64).
  std::uint64_t Below(std::uint64_t n) {
    return static_cast<std::uint64_t>(
        (static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

inline std::uint64_t Mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  x ^= x >> 33;
  return x;
}

// A bijection of [0, n): a 4-round Feistel network over the smallest even
// number of bits that covers n, with cycle walking back into range. Ranks of a
// Zipf distribution go through it so that hot customers are scattered over the
// id space instead of sitting together at the low ids.
class Permutation {
 public:
  Permutation(std::uint64_t n, std::uint64_t key) : n_(n), key_(key) {
    assert(n > 0);
    int bits = 2;
    while ((std::uint64_t{1} << bits) < n) bits += 2;
    half_bits_ = bits / 2;
    half_mask_ = (std::uint64_t{1} << half_bits_) - 1;
  }
  std::uint64_t operator()(std::uint64_t x) const {
    assert(x < n_);
    do {
      x = Round(x);
    } while (x >= n_);  // at most 4n candidates, so ~4 rounds at worst
    return x;
  }

 private:
  std::uint64_t Round(std::uint64_t x) const {
    std::uint64_t left = x >> half_bits_, right = x & half_mask_;
    for (std::uint64_t round = 0; round < 4; ++round) {
      const std::uint64_t f = Mix64(right ^ key_ ^ (round << 56)) & half_mask_;
      const std::uint64_t next = left ^ f;
      left = right;
      right = next;
    }
    return (left << half_bits_) | right;
  }

  std::uint64_t n_, key_, half_mask_;
  int half_bits_;
};

// Zipf(s) over ranks [0, n): P(rank k) proportional to 1 / (k+1)^s. Sampling
// is a binary search of the precomputed CDF (8 bytes per rank).
class Zipf {
 public:
  Zipf(std::uint64_t n, double s) : cdf_(n) {
    double sum = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
      sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
      cdf_[k] = sum;
    }
    for (double& c : cdf_) c /= sum;
    cdf_.back() = 1.0;
  }
  std::uint64_t Sample(Rng& rng) const {
    const double u = rng.Unit();
    return static_cast<std::uint64_t>(
        std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }
  // Probability of the given rank.
  double P(std::uint64_t rank) const {
    return rank == 0 ? cdf_[0] : cdf_[rank] - cdf_[rank - 1];
  }
  std::uint64_t size() const { return cdf_.size(); }

 private:
  std::vector<double> cdf_;
};

struct WorkloadConfig {
  std::uint64_t customers = 100'000;
  std::uint64_t events = 2'000'000;
  std::uint64_t batch = 1'000;
  std::uint64_t seed = 42;
  double zipf_s = 1.1;
  std::uint32_t categories = 50;
  std::uint32_t channels = 5;
  std::uint32_t stores = 2'000;
  std::uint32_t products = 10'000;
  std::int64_t start_ms = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
  std::int64_t spacing_ms = 50;
  std::int64_t jitter_ms = 2'000;  // uniform in [-jitter, +jitter]
};

struct OrderLine {
  std::uint32_t product = 0;   // 1..products; SKU "p<product>"
  std::uint32_t category = 0;  // 1..categories; "cat<category>"
  std::int64_t quantity = 1;
  std::int64_t unit_price_micros = 0;  // 0.99 .. 500.98 GBP
};

// One purchase event, compact: the variants turn it into their own format
// (ckm::Event, a binary record, SQL parameters) inside the timed section.
struct Order {
  std::uint64_t id = 0;        // event index + 1
  std::uint64_t customer = 0;  // customer number; the id is "c<customer>"
  std::int64_t ts_ms = 0;
  std::uint32_t channel = 0;  // 0..channels-1
  std::uint32_t store = 0;    // 1..stores; "s<store>"
  std::uint32_t line_count = 0;
  OrderLine lines[3];
  std::int64_t total_micros() const {
    std::int64_t total = 0;
    for (std::uint32_t i = 0; i < line_count; ++i) {
      total += lines[i].quantity * lines[i].unit_price_micros;
    }
    return total;
  }
};

inline std::string CustomerName(std::uint64_t customer) {
  return "c" + std::to_string(customer);
}

class Workload {
 public:
  explicit Workload(const WorkloadConfig& config)
      : config_(config),
        customer_zipf_(config.customers, config.zipf_s),
        customer_perm_(config.customers, Mix64(config.seed ^ 0xC057)),
        product_zipf_(config.products, config.zipf_s),
        product_perm_(config.products, Mix64(config.seed ^ 0x9D0D)) {}

  const WorkloadConfig& config() const { return config_; }
  std::uint64_t batch_count() const {
    return (config_.events + config_.batch - 1) / config_.batch;
  }

  // The customer number (1-based) of popularity rank `rank` (0 = hottest).
  std::uint64_t CustomerOfRank(std::uint64_t rank) const {
    return customer_perm_(rank) + 1;
  }
  // A customer drawn from the Zipf distribution.
  std::uint64_t SampleCustomer(Rng& rng) const {
    return CustomerOfRank(customer_zipf_.Sample(rng));
  }

  // Events [b * batch, min((b+1) * batch, events)) into `out` (cleared
  // first).
  void Batch(std::uint64_t b, std::vector<Order>* out) const {
    out->clear();
    const std::uint64_t begin = b * config_.batch;
    const std::uint64_t end = std::min(config_.events, begin + config_.batch);
    Rng rng(Mix64(config_.seed) ^ Mix64(b + 1));
    for (std::uint64_t i = begin; i < end; ++i) {
      out->push_back(MakeOrder(rng, i, SampleCustomer(rng)));
    }
  }

  // One order for event index i of the given customer. Also used by the depth
  // sweep, which picks customers itself.
  Order MakeOrder(Rng& rng, std::uint64_t i, std::uint64_t customer) const {
    Order o;
    o.id = i + 1;
    o.customer = customer;
    o.ts_ms =
        config_.start_ms + static_cast<std::int64_t>(i) * config_.spacing_ms +
        static_cast<std::int64_t>(
            rng.Below(2 * static_cast<std::uint64_t>(config_.jitter_ms) + 1)) -
        config_.jitter_ms;
    o.channel = static_cast<std::uint32_t>(rng.Below(config_.channels));
    o.store = static_cast<std::uint32_t>(rng.Below(config_.stores)) + 1;
    o.line_count = 1 + static_cast<std::uint32_t>(rng.Below(3));
    for (std::uint32_t l = 0; l < o.line_count; ++l) {
      OrderLine& line = o.lines[l];
      line.product = static_cast<std::uint32_t>(
          product_perm_(product_zipf_.Sample(rng)) + 1);
      // A product belongs to one category, as in a real catalogue.
      line.category =
          static_cast<std::uint32_t>(Mix64(line.product ^ config_.seed) %
                                     config_.categories) +
          1;
      line.quantity = 1;
      // 0.99 .. 500.98 in steps of 0.01.
      line.unit_price_micros =
          990'000 + static_cast<std::int64_t>(rng.Below(50'000)) * 10'000;
    }
    return o;
  }

 private:
  WorkloadConfig config_;
  Zipf customer_zipf_;
  Permutation customer_perm_;
  Zipf product_zipf_;
  Permutation product_perm_;
};

}  // namespace ckm_bench

#endif  // CKM_BENCHMARKS_WORKLOAD_H_
