// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Segments against a direct computation: random predicates over random
// profiles must select exactly the customers a plain C++ evaluation over the
// Profile accessors selects, and SelectSegment's order, limit and cursor
// must give exactly the sorted list, page by page.

#include "ckm/segment.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "catch2/catch.hpp"
#include "ckm/store.h"
#include "event_gen.h"
#include "test_util.h"

namespace ckm {
namespace {

using ckm_test::EventGen;
using ckm_test::TempDir;

constexpr long double kDay = 86'400'000.0L;

// A figure's value computed directly: absent, a number, a text or a bool.
using Val = std::variant<std::monostate, long double, std::string, bool>;

struct Direct {
  std::string text;
  char type;  // 'n' number, 't' text, 'b' bool, 'a' any
  std::function<Val(const Profile&, std::int64_t now)> f;
};

const CurrencyTotals* In(const PurchaseSummary& s, const std::string& c) {
  for (const CurrencyTotals& t : s.by_currency)
    if (t.currency == c) return &t;
  return nullptr;
}

long double Since(std::int64_t now, std::int64_t then) {
  return static_cast<long double>(std::max<std::int64_t>(0, now - then)) / kDay;
}

std::vector<Direct> DirectFigures() {
  std::vector<Direct> d;
  auto num = [&](std::string text,
                 std::function<Val(const Profile&, std::int64_t)> f) {
    d.push_back({std::move(text), 'n', std::move(f)});
  };
  d.push_back({"customer_id", 't', [](const Profile& p, std::int64_t) {
                 return Val(std::string(p.customer_id()));
               }});
  num("events", [](const Profile& p, std::int64_t) {
    return Val((long double)p.event_count());
  });
  num("first_seen_days", [](const Profile& p, std::int64_t now) {
    return Val(Since(now, p.first_seen_ms()));
  });
  num("orders", [](const Profile& p, std::int64_t) {
    return Val((long double)p.purchases().orders);
  });
  num("orders(web)", [](const Profile& p, std::int64_t) {
    long double n = 0;
    for (const ChannelTotals& c : p.purchases().by_channel)
      if (c.channel == Channel::kWeb) n += c.orders;
    return Val(n);
  });
  num("returns", [](const Profile& p, std::int64_t) {
    return Val((long double)p.purchases().returns);
  });
  num("units", [](const Profile& p, std::int64_t) {
    return Val((long double)p.purchases().units);
  });
  num("distinct_products", [](const Profile& p, std::int64_t) {
    return Val((long double)p.purchases().distinct_products);
  });
  for (const char* cur : {"GBP", "EUR"}) {
    const std::string c = cur;
    num("net_spend(" + c + ")", [c](const Profile& p, std::int64_t) {
      const PurchaseSummary s = p.purchases();
      const CurrencyTotals* t = In(s, c);
      return Val(
          t ? (t->gross_micros - t->discount_micros - t->returned_micros) / 1e6L
            : 0.0L);
    });
    num("aov(" + c + ")", [c](const Profile& p, std::int64_t) {
      const PurchaseSummary s = p.purchases();
      const CurrencyTotals* t = In(s, c);
      if (!t || t->orders <= 0) return Val();
      return Val(((t->gross_micros - t->discount_micros - t->returned_micros) /
                  t->orders) /
                 1e6L);
    });
  }
  num("discount(GBP)", [](const Profile& p, std::int64_t) {
    const PurchaseSummary s = p.purchases();
    const CurrencyTotals* t = In(s, "GBP");
    return Val(t ? t->discount_micros / 1e6L : 0.0L);
  });
  num("returned_spend(GBP)", [](const Profile& p, std::int64_t) {
    const PurchaseSummary s = p.purchases();
    const CurrencyTotals* t = In(s, "GBP");
    return Val(t ? t->returned_micros / 1e6L : 0.0L);
  });
  num("largest_order(GBP)", [](const Profile& p, std::int64_t) {
    const PurchaseSummary s = p.purchases();
    const CurrencyTotals* t = In(s, "GBP");
    return Val(t ? t->largest_order_micros / 1e6L : 0.0L);
  });
  num("recency_days", [](const Profile& p, std::int64_t now) {
    const PurchaseSummary s = p.purchases();
    return s.orders > 0 ? Val(Since(now, *s.last_purchase_ms)) : Val();
  });
  num("tenure_days", [](const Profile& p, std::int64_t now) {
    const PurchaseSummary s = p.purchases();
    return s.orders > 0 ? Val(Since(now, *s.first_purchase_ms)) : Val();
  });
  num("interval_days", [](const Profile& p, std::int64_t) {
    const PurchaseSummary s = p.purchases();
    if (s.orders < 2) return Val();
    return Val(((*s.last_purchase_ms - *s.first_purchase_ms) / (s.orders - 1)) /
               kDay);
  });
  num("next_purchase_days", [](const Profile& p, std::int64_t now) {
    const PurchaseSummary s = p.purchases();
    if (s.orders < 2) return Val();
    const std::int64_t interval =
        (*s.last_purchase_ms - *s.first_purchase_ms) / (s.orders - 1);
    return Val((*s.last_purchase_ms + interval - now) / kDay);
  });
  num("interactions", [](const Profile& p, std::int64_t) {
    return Val((long double)p.interactions().count);
  });
  num("interactions(phone)", [](const Profile& p, std::int64_t) {
    return Val((long double)p.interactions().by_channel[2]);
  });
  num("interactions(complaint)", [](const Profile& p, std::int64_t) {
    return Val((long double)p.interactions().by_kind[2]);
  });
  num("nps", [](const Profile& p, std::int64_t) {
    const InteractionSummary i = p.interactions();
    if (i.rating_count == 0) return Val();
    return Val(100.0L * (i.promoters - i.detractors) / i.rating_count);
  });
  num("rating", [](const Profile& p, std::int64_t) {
    const InteractionSummary i = p.interactions();
    if (i.rating_count == 0) return Val();
    return Val((long double)i.rating_sum / i.rating_count);
  });
  num("sentiment", [](const Profile& p, std::int64_t) {
    const InteractionSummary i = p.interactions();
    if (i.sentiment_count == 0) return Val();
    return Val((long double)i.sentiment_sum / i.sentiment_count);
  });
  num("points", [](const Profile& p, std::int64_t) {
    const LoyaltySummary l = p.loyalty();
    return Val((long double)(l.earned + l.adjusted_up - l.redeemed - l.expired -
                             l.adjusted_down));
  });
  d.push_back({"tier", 't', [](const Profile& p, std::int64_t) {
                 const std::string tier = p.loyalty().tier;
                 return tier.empty() ? Val() : Val(tier);
               }});
  for (const char* key : {"demographic.age_band", "personal.first_name",
                          "psychographic.values"}) {
    const std::string k = key;
    d.push_back({"attr(" + k + ")", 'a', [k](const Profile& p, std::int64_t) {
                   const auto a = p.attribute(k);
                   if (!a) return Val();
                   if (auto* s = std::get_if<std::string>(&a->value))
                     return Val(*s);
                   if (auto* i = std::get_if<std::int64_t>(&a->value))
                     return Val((long double)*i);
                   return Val(std::get<bool>(a->value));
                 }});
  }
  for (const char* purpose : {"marketing.email", "marketing.sms"}) {
    const std::string pu = purpose;
    d.push_back(
        {"consent(" + pu + ")", 'b', [pu](const Profile& p, std::int64_t) {
           const auto c = p.consent(pu);
           return c ? Val(c->granted) : Val();
         }});
  }
  d.push_back({"has_identity(email)", 'b', [](const Profile& p, std::int64_t) {
                 for (const IdentityLink& l : p.identities())
                   if (l.type == IdentityType::kEmail) return Val(true);
                 return Val(false);
               }});
  return d;
}

// A random predicate: its text, and the same predicate as a function.
struct Generated {
  std::string text;
  std::function<bool(const Profile&, std::int64_t)> eval;
};

class PredicateGen {
 public:
  PredicateGen(std::mt19937_64& rng, const std::vector<Direct>& figures,
               const std::vector<Profile>& profiles, std::int64_t now)
      : rng_(rng), figures_(figures), profiles_(profiles), now_(now) {}

  Generated Any(int depth) {
    const int pick = Pick(depth <= 0 ? 1 : 5);
    if (pick == 0 || pick == 4) return Leaf();
    if (pick == 3) {
      Generated a = Any(depth - 1);
      auto f = a.eval;
      return {"not (" + a.text + ")",
              [f](const Profile& p, std::int64_t n) { return !f(p, n); }};
    }
    Generated a = Any(depth - 1), b = Any(depth - 1);
    const bool is_and = pick == 1;
    auto fa = a.eval, fb = b.eval;
    return {"(" + a.text + (is_and ? ") and (" : ") or (") + b.text + ")",
            [fa, fb, is_and](const Profile& p, std::int64_t n) {
              return is_and ? fa(p, n) && fb(p, n) : fa(p, n) || fb(p, n);
            }};
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  // A literal near the data: some profile's own value, or a fixed one.
  std::pair<std::string, Val> Literal(const Direct& fig) {
    const Val v = fig.f(profiles_[Pick(profiles_.size())], now_);
    if (const auto* n = std::get_if<long double>(&v)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6Lf", *n);
      std::string text = buf;
      if (Pick(3) == 0) text = std::to_string(std::llround(*n) + Pick(3) - 1);
      return {text, Val(std::stold(text))};
    }
    if (const auto* s = std::get_if<std::string>(&v))
      return {"\"" + *s + "\"", v};
    if (const auto* b = std::get_if<bool>(&v))
      return {*b ? "true" : "false", v};
    switch (fig.type) {
      case 't':
        return {"\"v1\"", Val(std::string("v1"))};
      case 'b':
        return {"true", Val(true)};
      default:
        return {"1", Val(1.0L)};
    }
  }

  static int Cmp(const Val& a, const Val& b) {
    if (const auto* x = std::get_if<long double>(&a)) {
      const long double y = std::get<long double>(b);
      return *x < y ? -1 : (*x > y ? 1 : 0);
    }
    if (const auto* x = std::get_if<std::string>(&a))
      return x->compare(std::get<std::string>(b)) < 0
                 ? -1
                 : (*x == std::get<std::string>(b) ? 0 : 1);
    return int(std::get<bool>(a)) - int(std::get<bool>(b));
  }

  Generated Leaf() {
    const Direct& fig = figures_[Pick(figures_.size())];
    auto f = fig.f;
    if (fig.type == 'b' || Pick(6) == 0) {
      if (Pick(2) == 0 || fig.type == 'n' || fig.type == 't') {
        return {"exists(" + fig.text + ")",
                [f](const Profile& p, std::int64_t n) {
                  return f(p, n).index() != 0;
                }};
      }
      return {fig.text, [f](const Profile& p, std::int64_t n) {
                const Val v = f(p, n);
                return v.index() == 3 && std::get<bool>(v);
              }};
    }
    if (fig.type != 'n' && Pick(4) == 0) {
      auto [t1, v1] = Literal(fig);
      auto [t2, v2] = Literal(fig);
      return {fig.text + " in (" + t1 + ", " + t2 + ")",
              [f, v1 = v1, v2 = v2](const Profile& p, std::int64_t n) {
                const Val v = f(p, n);
                return (v.index() == v1.index() && Cmp(v, v1) == 0) ||
                       (v.index() == v2.index() && Cmp(v, v2) == 0);
              }};
    }
    auto [text, lit] = Literal(fig);
    static const char* kOps[] = {"=", "!=", "<", "<=", ">", ">="};
    int op = Pick(6);
    if (lit.index() == 3) op = Pick(2);  // booleans: = and != only
    return {fig.text + " " + kOps[op] + " " + text,
            [f, op, lit = lit](const Profile& p, std::int64_t n) {
              const Val v = f(p, n);
              if (v.index() != lit.index()) return false;
              const int c = Cmp(v, lit);
              switch (op) {
                case 0:
                  return c == 0;
                case 1:
                  return c != 0;
                case 2:
                  return c < 0;
                case 3:
                  return c <= 0;
                case 4:
                  return c > 0;
                default:
                  return c >= 0;
              }
            }};
  }

  std::mt19937_64& rng_;
  const std::vector<Direct>& figures_;
  const std::vector<Profile>& profiles_;
  std::int64_t now_;
};

// A store of random customers: every kind of event, some emails.
std::vector<Profile> Populate(Store& store, std::uint64_t seed) {
  EventGen gen(seed, 40);
  std::vector<Event> events = gen.Events(700);
  for (int c = 0; c < 40; c += 3) {
    Event e;
    e.id = 900'000 + c;
    e.customer = CustomerRef::Id("cust-" + std::to_string(c));
    e.ts_ms = 1'600'000'000'000;
    e.body = Identity{IdentityType::kEmail, "c" + std::to_string(c) + "@x"};
    events.push_back(e);
  }
  REQUIRE_OK(store.Record(events));
  std::vector<Profile> profiles;
  REQUIRE_OK(store.ForEachProfile([&](const Profile& p) {
    profiles.push_back(p);
    return true;
  }));
  return profiles;
}

TEST_CASE("Random predicates select what a direct evaluation selects") {
  const std::uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  const std::vector<Profile> profiles = Populate(**store, seed);
  REQUIRE(profiles.size() >= 30);
  const std::vector<Direct> figures = DirectFigures();
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 400; ++round) {
    const std::int64_t now =
        1'600'000'000'000 + std::int64_t(rng() % 3'000'000) - 600'000;
    PredicateGen gen(rng, figures, profiles, now);
    const Generated g = gen.Any(3);
    INFO("predicate " << g.text << " now " << now);
    absl::StatusOr<Predicate> parsed = Predicate::Parse(g.text);
    REQUIRE_OK(parsed);
    // The canonical text means the same.
    absl::StatusOr<Predicate> again = Predicate::Parse(parsed->ToString());
    REQUIRE_OK(again);
    CHECK(again->ToString() == parsed->ToString());
    for (const Profile& p : profiles) {
      INFO("customer " << p.customer_id());
      const bool want = g.eval(p, now);
      REQUIRE(parsed->Matches(p, now) == want);
      REQUIRE(again->Matches(p, now) == want);
    }
  }
}

TEST_CASE("Figures compute what the Profile accessors give") {
  const std::uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  const std::vector<Profile> profiles = Populate(**store, seed);
  const std::int64_t now = 1'600'000'900'000;
  for (const Direct& d : DirectFigures()) {
    INFO(d.text);
    absl::StatusOr<Figure> f = Figure::Parse(d.text);
    REQUIRE_OK(f);
    for (const Profile& p : profiles) {
      const SegmentValue v = f->Of(p, now);
      const Val want = d.f(p, now);
      INFO(p.customer_id() << " got " << v.ToString());
      switch (want.index()) {
        case 0:
          CHECK(v.type == SegmentValue::Type::kNone);
          break;
        case 1:
          REQUIRE(v.type == SegmentValue::Type::kNumber);
          CHECK(
              std::fabs(static_cast<long double>(v.numerator) / v.denominator -
                        std::get<long double>(want)) < 1e-9L);
          break;
        case 2:
          REQUIRE(v.type == SegmentValue::Type::kText);
          CHECK(v.text == std::get<std::string>(want));
          break;
        default:
          REQUIRE(v.type == SegmentValue::Type::kBool);
          CHECK(v.boolean == std::get<bool>(want));
      }
    }
  }
}

// The expected rows: matches sorted by the direct value (undefined last),
// then by id.
std::vector<std::string> DirectOrder(const std::vector<Profile>& profiles,
                                     const Generated& where, const Direct* by,
                                     bool descending, std::int64_t now) {
  struct Row {
    Val v;
    std::string id;
  };
  std::vector<Row> rows;
  for (const Profile& p : profiles) {
    if (where.eval(p, now))
      rows.push_back(
          {by ? by->f(p, now) : Val(), std::string(p.customer_id())});
  }
  auto rank = [](const Val& v) {  // numbers, texts, booleans, undefined
    return v.index() == 1 ? 0 : v.index() == 2 ? 1 : v.index() == 3 ? 2 : 3;
  };
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (by) {
      const int ra = rank(a.v), rb = rank(b.v);
      if ((ra == 3) != (rb == 3)) return rb == 3;
      if (ra != 3) {
        int c = ra != rb ? (ra < rb ? -1 : 1) : 0;
        if (c == 0 && ra == 0) {
          const auto x = std::get<long double>(a.v),
                     y = std::get<long double>(b.v);
          c = x < y ? -1 : x > y ? 1 : 0;
        } else if (c == 0 && ra == 1) {
          c = std::get<std::string>(a.v).compare(std::get<std::string>(b.v));
          c = c < 0 ? -1 : c > 0;
        } else if (c == 0) {
          c = int(std::get<bool>(a.v)) - int(std::get<bool>(b.v));
        }
        if (c != 0) return descending ? c > 0 : c < 0;
      }
    }
    return a.id < b.id;
  });
  std::vector<std::string> ids;
  for (const Row& r : rows) ids.push_back(r.id);
  return ids;
}

TEST_CASE("Sort, limit and cursor give the direct order page by page") {
  const std::uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  const std::vector<Profile> profiles = Populate(**store, seed);
  const std::vector<Direct> figures = DirectFigures();
  std::mt19937_64 rng(seed ^ 0x5e9);
  for (int round = 0; round < 60; ++round) {
    const std::int64_t now =
        1'600'000'000'000 + std::int64_t(rng() % 2'000'000);
    PredicateGen gen(rng, figures, profiles, now);
    const Generated where =
        round % 4 == 0
            ? Generated{"", [](const Profile&, std::int64_t) { return true; }}
            : gen.Any(2);
    const Direct* by = nullptr;
    std::size_t pick = rng() % (figures.size() + 1);
    if (pick < figures.size() && figures[pick].type != 'b') by = &figures[pick];
    const bool descending = rng() % 2;
    SegmentQuery q;
    q.where = *Predicate::Parse(where.text);
    if (by) {
      q.sort = *SortOrder::Parse(by->text + (descending ? " desc" : " asc"));
    }
    q.now_ms = now;
    q.limit = 1 + rng() % 12;
    q.columns = {*Figure::Parse("orders"), *Figure::Parse("customer_id")};
    INFO("where " << where.text << " sort " << (by ? q.sort->ToString() : "-")
                  << " limit " << q.limit);
    const std::vector<std::string> want =
        DirectOrder(profiles, where, by, descending, now);
    std::vector<std::string> got;
    for (int page_no = 0;; ++page_no) {
      REQUIRE(page_no <= 100);
      absl::StatusOr<SegmentPage> page = SelectSegment(**store, q);
      REQUIRE_OK(page);
      CHECK(page->scanned == static_cast<std::int64_t>(profiles.size()));
      CHECK(page->matched == static_cast<std::int64_t>(want.size()));
      CHECK(page->rows.size() <= q.limit);
      for (const SegmentRow& row : page->rows) {
        got.push_back(row.customer_id);
        REQUIRE(row.values.size() == 2);
        CHECK(row.values[1].text == row.customer_id);
        CHECK_FALSE(row.profile.has_value());
      }
      const bool more = got.size() < want.size();
      CHECK(page->next_cursor.empty() == !more);
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    CHECK(got == want);
    // Without a limit: everything at once, in the same order.
    q.cursor.clear();
    q.limit = 0;
    q.with_profiles = true;
    absl::StatusOr<SegmentPage> all = SelectSegment(**store, q);
    REQUIRE_OK(all);
    CHECK(all->next_cursor.empty());
    std::vector<std::string> ids;
    for (const SegmentRow& row : all->rows) {
      ids.push_back(row.customer_id);
      REQUIRE(row.profile.has_value());
      CHECK(row.profile->customer_id() == row.customer_id);
    }
    CHECK(ids == want);
  }
}

TEST_CASE(
    "A cursor resumes after the store changed, and belongs to its query") {
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  auto order = [&](const std::string& id, std::int64_t pounds) {
    Event e;
    e.id = static_cast<std::uint64_t>(pounds) + id.size() * 1000;
    e.customer = CustomerRef::Id(id);
    e.ts_ms = 1'700'000'000'000 + pounds;
    Purchase p;
    p.currency = "GBP";
    p.lines.push_back({"sku", "", 1, pounds * 1'000'000});
    e.body = p;
    REQUIRE_OK((*store)->Record(e));
  };
  for (int i = 1; i <= 6; ++i) order("c" + std::to_string(i), i * 10);
  SegmentQuery q;
  q.sort = *SortOrder::Parse("net_spend(GBP)");
  q.limit = 2;
  absl::StatusOr<SegmentPage> first = SelectSegment(**store, q);
  REQUIRE_OK(first);
  REQUIRE(first->rows.size() == 2);
  CHECK(first->rows[0].customer_id == "c6");
  CHECK(first->rows[1].customer_id == "c5");
  CHECK(first->rows[0].sort_value.ToString() == "60.00");
  // A new customer above the cursor is not shown; one below it is.
  order("c7", 100);
  order("c8", 15);
  q.cursor = first->next_cursor;
  absl::StatusOr<SegmentPage> second = SelectSegment(**store, q);
  REQUIRE_OK(second);
  std::vector<std::string> ids;
  for (const auto& r : second->rows) ids.push_back(r.customer_id);
  CHECK(ids == std::vector<std::string>{"c4", "c3"});
  q.cursor = second->next_cursor;
  absl::StatusOr<SegmentPage> third = SelectSegment(**store, q);
  REQUIRE_OK(third);
  ids.clear();
  for (const auto& r : third->rows) ids.push_back(r.customer_id);
  CHECK(ids == std::vector<std::string>{"c2", "c8"});
  CHECK_FALSE(third->next_cursor.empty());  // c1 is left

  // Another query's cursor, or damaged text, is refused.
  SegmentQuery other = q;
  other.sort = *SortOrder::Parse("net_spend(GBP) asc");
  absl::StatusOr<SegmentPage> wrong = SelectSegment(**store, other);
  CHECK(wrong.status().message() ==
        "cursor: made by a query with another predicate, sort or now");
  other = q;
  other.cursor = "not a cursor!";
  CHECK(SelectSegment(**store, other).status().code() ==
        absl::StatusCode::kInvalidArgument);
  other.cursor = q.cursor.substr(0, q.cursor.size() - 3);
  CHECK(SelectSegment(**store, other).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("A query that reads now needs now_ms") {
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE_OK(store);
  SegmentQuery q;
  q.where = *Predicate::Parse("orders > 0");
  q.columns = {*Figure::Parse("recency_days")};
  CHECK(SelectSegment(**store, q).status().message() ==
        "now_ms: required, since recency_days is measured against now");
  q.now_ms = 0;
  CHECK_OK(SelectSegment(**store, q));
}

}  // namespace
}  // namespace ckm
