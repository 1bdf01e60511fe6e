#include "gorch/lang/formats.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <regex>
#include <string>
#include <unordered_map>

namespace gorch::lang {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// Parses "digits[.digits]" or ".digits" at s[*i]; returns its text.
std::optional<std::string_view> ScanDecimal(std::string_view s, size_t* i) {
  size_t start = *i;
  size_t digits = 0;
  while (*i < s.size() && IsDigit(s[*i])) ++*i, ++digits;
  if (*i < s.size() && s[*i] == '.') {
    ++*i;
    while (*i < s.size() && IsDigit(s[*i])) ++*i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  return s.substr(start, *i - start);
}

std::optional<double> ToDouble(std::string_view text) {
  double v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// The multiplier of a quantity suffix ("Mi", "k", "e3"), or nullopt.
std::optional<double> QuantityMultiplier(std::string_view suffix) {
  if (suffix.empty()) return 1.0;
  if (suffix.size() == 2 && suffix[1] == 'i') {
    switch (suffix[0]) {
      case 'K': return std::ldexp(1.0, 10);
      case 'M': return std::ldexp(1.0, 20);
      case 'G': return std::ldexp(1.0, 30);
      case 'T': return std::ldexp(1.0, 40);
      case 'P': return std::ldexp(1.0, 50);
      case 'E': return std::ldexp(1.0, 60);
      default: return std::nullopt;
    }
  }
  if (suffix.size() == 1) {
    switch (suffix[0]) {
      case 'n': return 1e-9;
      case 'u': return 1e-6;
      case 'm': return 1e-3;
      case 'k': return 1e3;
      case 'M': return 1e6;
      case 'G': return 1e9;
      case 'T': return 1e12;
      case 'P': return 1e15;
      case 'E': return 1e18;
      default: return std::nullopt;
    }
  }
  // Decimal exponent: e|E [+-]? digits.
  if (suffix[0] != 'e' && suffix[0] != 'E') return std::nullopt;
  std::string_view exp = suffix.substr(1);
  if (!exp.empty() && exp[0] == '+') exp.remove_prefix(1);
  if (exp.empty() || exp.size() > 5) return std::nullopt;
  int e = 0;
  auto r = std::from_chars(exp.data(), exp.data() + exp.size(), e);
  if (r.ec != std::errc() || r.ptr != exp.data() + exp.size()) return std::nullopt;
  return std::pow(10.0, e);
}

}  // namespace

std::optional<double> ParseQuantity(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  auto number = ScanDecimal(text, &i);
  if (!number) return std::nullopt;
  auto value = ToDouble(*number);
  auto multiplier = QuantityMultiplier(text.substr(i));
  if (!value || !multiplier) return std::nullopt;
  double result = *value * *multiplier;
  if (!std::isfinite(result)) return std::nullopt;
  return negative ? -result : result;
}

namespace {

// Nanoseconds per duration unit, or 0 when unknown.
int64_t DurationUnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1000;  // us, µs, μs
  if (unit == "ms") return 1000 * 1000;
  if (unit == "s") return 1000LL * 1000 * 1000;
  if (unit == "m") return 60LL * 1000 * 1000 * 1000;
  if (unit == "h") return 3600LL * 1000 * 1000 * 1000;
  return 0;
}

}  // namespace

std::optional<int64_t> ParseDurationMillis(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  if (text.substr(i) == "0") return 0;
  if (i == text.size()) return std::nullopt;
  int64_t total_nanos = 0;
  while (i < text.size()) {
    auto number = ScanDecimal(text, &i);
    if (!number) return std::nullopt;
    size_t unit_start = i;
    while (i < text.size() && !IsDigit(text[i]) && text[i] != '.') ++i;
    int64_t unit = DurationUnitNanos(text.substr(unit_start, i - unit_start));
    if (unit == 0) return std::nullopt;
    // Whole part exactly, fraction through a double (as Go does, to 1ns).
    std::string_view whole = *number;
    std::string_view frac;
    if (size_t dot = whole.find('.'); dot != std::string_view::npos) {
      frac = whole.substr(dot);  // ".5"
      whole = whole.substr(0, dot);
    }
    int64_t w = 0;
    if (!whole.empty()) {
      auto r = std::from_chars(whole.data(), whole.data() + whole.size(), w);
      if (r.ec != std::errc()) return std::nullopt;
    }
    int64_t part = 0;
    if (__builtin_mul_overflow(w, unit, &part)) return std::nullopt;
    if (frac.size() > 1) {
      auto f = ToDouble(frac);
      if (!f) return std::nullopt;
      part += static_cast<int64_t>(*f * static_cast<double>(unit));
    }
    if (__builtin_add_overflow(total_nanos, part, &total_nanos)) return std::nullopt;
  }
  int64_t millis = total_nanos / (1000 * 1000);
  return negative ? -millis : millis;
}

namespace {

void SetWhy(std::string* why, std::string_view text) {
  if (why) *why = std::string(text);
}

constexpr std::string_view kLabelChars =
    "must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name' or '123-abc')";
constexpr std::string_view kQualifiedNameChars =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')";

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool IsDnsLabelShape(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s)
    if (!IsLowerAlnum(c) && c != '-') return false;
  return true;
}

bool CheckDnsLabel(std::string_view s, std::string* why) {
  if (s.size() > 63) return SetWhy(why, "must be no more than 63 characters"), false;
  if (!IsDnsLabelShape(s)) return SetWhy(why, kLabelChars), false;
  return true;
}

bool CheckDnsSubdomain(std::string_view s, std::string* why) {
  if (s.size() > 253) return SetWhy(why, "must be no more than 253 characters"), false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!IsDnsLabelShape(label)) {
      SetWhy(why,
             "must consist of lower case alphanumeric characters, '-' or '.', and must start "
             "and end with an alphanumeric character (e.g. 'example.com')");
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most 63; empty allowed if allow_empty.
bool CheckQualifiedNamePart(std::string_view s, bool allow_empty, std::string* why) {
  if (s.empty()) {
    if (allow_empty) return true;
    return SetWhy(why, "name part must be non-empty"), false;
  }
  if (s.size() > 63) return SetWhy(why, "must be no more than 63 characters"), false;
  bool ok = IsAlnum(s.front()) && IsAlnum(s.back());
  for (char c : s) ok = ok && (IsAlnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok) return SetWhy(why, kQualifiedNameChars), false;
  return true;
}

bool CheckLabelKey(std::string_view s, std::string* why) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return CheckQualifiedNamePart(s, false, why);
  if (s.find('/', slash + 1) != std::string_view::npos) {
    SetWhy(why, "a qualified name must have at most one '/' (e.g. 'example.com/MyName')");
    return false;
  }
  std::string_view prefix = s.substr(0, slash);
  if (prefix.empty()) return SetWhy(why, "prefix part must be non-empty"), false;
  std::string prefix_why;
  if (!CheckDnsSubdomain(prefix, &prefix_why)) {
    SetWhy(why, "prefix part " + prefix_why);
    return false;
  }
  return CheckQualifiedNamePart(s.substr(slash + 1), false, why);
}

bool CheckIanaSvcName(std::string_view s, std::string* why) {
  if (s.empty()) return SetWhy(why, "must be non-empty"), false;
  if (s.size() > 15) return SetWhy(why, "must be no more than 15 characters"), false;
  bool letter = false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-')
      return SetWhy(why, "must contain only lower case alphanumeric characters or '-'"), false;
    letter = letter || (c >= 'a' && c <= 'z');
  }
  if (s.front() == '-' || s.back() == '-')
    return SetWhy(why, "must not begin or end with a hyphen"), false;
  if (s.find("--") != std::string_view::npos)
    return SetWhy(why, "must not contain consecutive hyphens"), false;
  if (!letter) return SetWhy(why, "must contain at least one letter (a-z)"), false;
  return true;
}

bool CheckPercent(std::string_view s, std::string* why) {
  bool ok = s.size() >= 2 && s.back() == '%';
  for (size_t i = 0; ok && i + 1 < s.size(); ++i) ok = IsDigit(s[i]);
  if (!ok) return SetWhy(why, "must be a whole percentage like '25%'"), false;
  return true;
}

}  // namespace

bool MatchesFormat(StringFormat format, std::string_view text, std::string* why) {
  switch (format) {
    case StringFormat::kNone: return true;
    case StringFormat::kDns1123Label: return CheckDnsLabel(text, why);
    case StringFormat::kDns1123Subdomain: return CheckDnsSubdomain(text, why);
    case StringFormat::kLabelKey: return CheckLabelKey(text, why);
    case StringFormat::kLabelValue: return CheckQualifiedNamePart(text, true, why);
    case StringFormat::kIanaSvcName: return CheckIanaSvcName(text, why);
    case StringFormat::kPercent: return CheckPercent(text, why);
  }
  return true;
}

std::string_view FormatName(StringFormat format) {
  switch (format) {
    case StringFormat::kNone: return "none";
    case StringFormat::kDns1123Label: return "dns1123label";
    case StringFormat::kDns1123Subdomain: return "dns1123subdomain";
    case StringFormat::kLabelKey: return "labelKey";
    case StringFormat::kLabelValue: return "labelValue";
    case StringFormat::kIanaSvcName: return "ianaSvcName";
    case StringFormat::kPercent: return "percent";
  }
  return "none";
}

std::optional<StringFormat> ParseFormatName(std::string_view name) {
  for (auto f : {StringFormat::kDns1123Label, StringFormat::kDns1123Subdomain,
                 StringFormat::kLabelKey, StringFormat::kLabelValue, StringFormat::kIanaSvcName,
                 StringFormat::kPercent}) {
    if (FormatName(f) == name) return f;
  }
  return std::nullopt;
}

namespace {

// libstdc++'s default (backtracking) matcher recurses once per input character
// and can take exponential time; its polynomial mode (a GNU extension: a
// Thompson-style simulation, no back-references) needs neither. The input bound
// is a second line of defence.
constexpr size_t kMaxPatternInput = 64 * 1024;
#ifdef __GLIBCXX__
constexpr auto kRegexFlags = std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
constexpr auto kRegexFlags = std::regex::ECMAScript;
#endif
constexpr size_t kMaxCachedPatterns = 256;

struct CachedRegex {
  std::shared_ptr<const std::regex> re;  // null when the pattern does not compile
  std::string error;
};

// Per-thread cache: no locking on the hot path; bounded by clearing when full.
const CachedRegex& CompilePattern(std::string_view pattern) {
  thread_local std::unordered_map<std::string, CachedRegex> cache;
  auto it = cache.find(std::string(pattern));
  if (it != cache.end()) return it->second;
  if (cache.size() >= kMaxCachedPatterns) cache.clear();
  CachedRegex entry;
  try {
    entry.re = std::make_shared<const std::regex>(pattern.begin(), pattern.end(), kRegexFlags);
  } catch (const std::regex_error& e) {
    entry.error = std::string("invalid regular expression \"") + std::string(pattern) +
                  "\": " + e.what();
  }
  return cache.emplace(std::string(pattern), std::move(entry)).first->second;
}

}  // namespace

bool MatchesPattern(std::string_view pattern, std::string_view text, std::string* error) {
  if (error) error->clear();
  const CachedRegex& c = CompilePattern(pattern);
  if (!c.re) {
    if (error) *error = c.error;
    return false;
  }
  if (text.size() > kMaxPatternInput) {
    if (error) *error = "string too long to match a pattern (over 64 KiB)";
    return false;
  }
  try {
    return std::regex_match(text.begin(), text.end(), *c.re);
  } catch (const std::regex_error& e) {
    if (error) *error = std::string("regular expression failed: ") + e.what();
    return false;
  }
}

bool ValidPattern(std::string_view pattern, std::string* error) {
  const CachedRegex& c = CompilePattern(pattern);
  if (!c.re && error) *error = c.error;
  return c.re != nullptr;
}

}  // namespace gorch::lang
