// Scalar resolution after go-yaml v2's resolve(), which is what kubectl and
// sigs.k8s.io/yaml apply to manifests.
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "yaml_loader_scalar.h"

namespace gorch::compiler::internal {

namespace {

using lang::SourcePos;
using lang::Value;

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The words go-yaml v2 resolves by table (its resolveMap), except "<<".
std::optional<Value> LookupWord(std::string_view s, SourcePos pos) {
  static constexpr std::string_view kTrue[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static constexpr std::string_view kFalse[] = {"n",     "N",     "no",    "No",  "NO", "false",
                                                "False", "FALSE", "off", "Off", "OFF"};
  static constexpr std::string_view kNull[] = {"", "~", "null", "Null", "NULL"};
  for (auto w : kTrue)
    if (s == w) return Value::Bool(true, pos);
  for (auto w : kFalse)
    if (s == w) return Value::Bool(false, pos);
  for (auto w : kNull)
    if (s == w) return Value::Null(pos);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return Value::Float(std::numeric_limits<double>::quiet_NaN(), pos);
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF")
    return Value::Float(kInf, pos);
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return Value::Float(-kInf, pos);
  return std::nullopt;
}

// Go's strconv.ParseInt(s, 0, 64) / ParseUint: optional sign, then 0x/0o/0b
// or a leading 0 (octal) or decimal digits. Returns false on any error.
// Magnitude in `mag`, sign in `negative`.
bool ParseGoInteger(std::string_view s, bool& negative, uint64_t& mag) {
  negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char p = s[1];
    if (p == 'x' || p == 'X') base = 16, s.remove_prefix(2);
    else if (p == 'o' || p == 'O') base = 8, s.remove_prefix(2);
    else if (p == 'b' || p == 'B') base = 2, s.remove_prefix(2);
    else base = 8, s.remove_prefix(1);
  }
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), mag, base);
  return ec == std::errc() && end == s.data() + s.size();
}

// go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlStyleFloat(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < n && s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == start) return false;
  } else {
    size_t start = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == start) return false;
    if (i < n && s[i] == '.') {
      ++i;
      while (i < n && IsDigit(s[i])) ++i;
    }
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == start) return false;
  }
  return i == n;
}

// A finite double from a yaml-style float text; nullopt if out of range (Go's
// ParseFloat fails with ErrRange there, and go-yaml keeps the string).
std::optional<double> ParseFloat(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return negative ? -d : d;
}

// A number in the way go-yaml's 'D'/'S' (digit or sign first) branch reads it.
std::optional<Value> ResolveNumber(std::string_view in, SourcePos pos) {
  std::string plain;
  plain.reserve(in.size());
  for (char c : in)
    if (c != '_') plain += c;
  bool negative = false;
  uint64_t mag = 0;
  if (ParseGoInteger(plain, negative, mag)) {
    constexpr uint64_t kMaxPos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (!negative && mag <= kMaxPos) return Value::Int(static_cast<int64_t>(mag), pos);
    if (negative && mag <= kMaxPos + 1) return Value::Int(static_cast<int64_t>(0 - mag), pos);
    if (!negative) return Value::Float(static_cast<double>(mag), pos);  // a uint64 in go-yaml
  }
  if (IsYamlStyleFloat(plain)) {
    if (auto d = ParseFloat(plain)) return Value::Float(*d, pos);
  }
  return std::nullopt;
}

std::string ShortTag(std::string_view tag) {
  if (tag.substr(0, kTagPrefix.size()) == kTagPrefix) return "!!" + std::string(tag.substr(kTagPrefix.size()));
  return std::string(tag);
}

}  // namespace

Value ResolvePlainScalar(std::string_view in, SourcePos pos) {
  if (auto v = LookupWord(in, pos)) return std::move(*v);
  if (in.empty()) return Value::Null(pos);
  char c = in[0];
  if (c == '.') {
    // Only a plain decimal float can start with '.' here (.inf/.nan were looked up).
    if (IsYamlStyleFloat(in)) {
      if (auto d = ParseFloat(in)) return Value::Float(*d, pos);
    }
  } else if (IsDigit(c) || c == '+' || c == '-') {
    if (auto v = ResolveNumber(in, pos)) return std::move(*v);
  }
  return Value::String(std::string(in), pos);
}

Value ResolveScalar(const std::string& tag, const std::string& text, SourcePos pos, std::string& error) {
  if (tag == "?") return ResolvePlainScalar(text, pos);
  if (tag == "!") return Value::String(text, pos);
  std::string_view name(tag);
  if (name.substr(0, kTagPrefix.size()) != kTagPrefix) return Value::String(text, pos);  // a local tag (!foo)
  name.remove_prefix(kTagPrefix.size());
  if (name == "str" || name == "binary" || name == "timestamp") return Value::String(text, pos);
  if (name != "int" && name != "float" && name != "bool" && name != "null") return Value::String(text, pos);
  Value v = ResolvePlainScalar(text, pos);
  if (name == "float" && v.is_int()) return Value::Float(static_cast<double>(v.as_int()), pos);
  bool fits = (name == "int" && v.is_int()) || (name == "float" && v.is_float()) ||
              (name == "bool" && v.is_bool()) || (name == "null" && v.is_null());
  if (fits) return v;
  const char* found = v.is_int() ? "!!int" : v.is_float() ? "!!float" : v.is_bool() ? "!!bool" : v.is_null() ? "!!null" : "!!str";
  error = std::string("cannot read ") + found + " '" + text + "' as " + ShortTag(tag);
  return Value::Null(pos);
}

}  // namespace gorch::compiler::internal
