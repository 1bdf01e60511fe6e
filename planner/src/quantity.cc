// Kubernetes resource quantities, converted exactly (integer arithmetic, rounding up)
// to millicores or bytes.
#include <optional>
#include <string>

#include "gorch/planner/scheduler_input.h"

namespace gorch::planner {

namespace {

using u128 = unsigned __int128;

struct Decimal {
  u128 digits = 0;    // the number without its decimal point
  int fraction = 0;   // digits after the decimal point
  int exp10 = 0;      // from a decimal suffix or exponent
  int exp2 = 0;       // from a binary suffix
};

bool ParseSuffix(std::string_view s, Decimal* d) {
  struct Suffix { std::string_view text; int exp10, exp2; };
  static constexpr Suffix kSuffixes[] = {
      {"", 0, 0},    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"k", 3, 0},   {"M", 6, 0},
      {"G", 9, 0},   {"T", 12, 0},  {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
      {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60}};
  for (const Suffix& suffix : kSuffixes) {
    if (s == suffix.text) {
      d->exp10 = suffix.exp10;
      d->exp2 = suffix.exp2;
      return true;
    }
  }
  if (s.size() < 2 || (s[0] != 'e' && s[0] != 'E')) return false;
  size_t i = 1;
  const bool negative = s[i] == '-';
  if (s[i] == '-' || s[i] == '+') ++i;
  if (i == s.size() || s.size() - i > 3) return false;
  int e = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    e = e * 10 + (s[i] - '0');
  }
  d->exp10 = negative ? -e : e;
  return true;
}

// "<digits>[.<digits>]<suffix>"; no sign (quantities here are never negative).
bool ParseDecimal(std::string_view s, Decimal* d) {
  size_t i = 0;
  int significant = 0;
  bool any = false, point = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any = true;
    if (d->digits != 0 || c != '0') ++significant;
    if (significant > 30) return false;
    d->digits = d->digits * 10 + static_cast<unsigned>(c - '0');
    if (point) ++d->fraction;
  }
  return any && ParseSuffix(s.substr(i), d);
}

u128 Pow(u128 base, int n) {
  u128 r = 1;
  while (n-- > 0) r *= base;
  return r;
}

// ceil(d * 10^unit_exp10), or nullopt when above kMaxQuantity.
std::optional<int64_t> Scale(const Decimal& d, int unit_exp10) {
  const int exp10 = d.exp10 + unit_exp10 - d.fraction;
  if (d.digits == 0) return 0;
  if (exp10 > 30 || d.exp2 > 60) return std::nullopt;
  const u128 limit = static_cast<u128>(kMaxQuantity);
  u128 value = d.digits;
  for (int i = 0; i < d.exp2; ++i) {
    value <<= 1;
    if (value > (limit << 40)) return std::nullopt;
  }
  if (exp10 >= 0) {
    for (int i = 0; i < exp10; ++i) {
      value *= 10;
      if (value > (limit << 40)) return std::nullopt;
    }
  } else {
    if (-exp10 > 38) return 1;  // a positive amount too small to matter rounds up to 1
    const u128 divisor = Pow(10, -exp10);
    value = value / divisor + (value % divisor != 0 ? 1 : 0);
  }
  if (value > limit) return std::nullopt;
  return static_cast<int64_t>(value);
}

Result<int64_t> Parse(std::string_view text, int unit_exp10, std::string_view what) {
  Decimal d;
  if (!ParseDecimal(text, &d)) {
    return Status::InvalidArgument("'" + std::string(text) + "' is not a " + std::string(what) + " quantity");
  }
  std::optional<int64_t> v = Scale(d, unit_exp10);
  if (!v) return Status::InvalidArgument(std::string(what) + " quantity '" + std::string(text) + "' is too large");
  return *v;
}

Result<int64_t> FromValue(const lang::Value& v, int unit_exp10, std::string_view what) {
  switch (v.kind()) {
    case lang::Value::Kind::kString: return Parse(v.as_string(), unit_exp10, what);
    case lang::Value::Kind::kInt:
    case lang::Value::Kind::kFloat: return Parse(v.ToJson(), unit_exp10, what);  // shortest exact form
    default:
      return Status::InvalidArgument("a " + std::string(what) + " quantity must be a string or a number, not " +
                                     std::string(v.KindName()));
  }
}

}  // namespace

Result<int64_t> ParseCpuMillis(std::string_view quantity) { return Parse(quantity, 3, "cpu"); }
Result<int64_t> ParseMemoryBytes(std::string_view quantity) { return Parse(quantity, 0, "memory"); }
Result<int64_t> CpuMillis(const lang::Value& quantity) { return FromValue(quantity, 3, "cpu"); }
Result<int64_t> MemoryBytes(const lang::Value& quantity) { return FromValue(quantity, 0, "memory"); }

}  // namespace gorch::planner
