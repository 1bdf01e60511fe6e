#include "gorch/lang/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace gorch::lang {

const Value* Value::Find(std::string_view key) const {
  if (!is_map()) return nullptr;
  for (const auto& [k, v] : as_map())
    if (k == key) return &v;
  return nullptr;
}

Value* Value::Find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->Find(key));
}

const Value* Value::FindPath(std::string_view dotted) const {
  const Value* cur = this;
  while (cur && !dotted.empty()) {
    size_t dot = dotted.find('.');
    cur = cur->Find(dotted.substr(0, dot));
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  return cur;
}

Value& Value::Set(std::string key, Value v) {
  auto& m = as_map();
  for (auto& [k, existing] : m) {
    if (k == key) {
      existing = std::move(v);
      return existing;
    }
  }
  m.emplace_back(std::move(key), std::move(v));
  return m.back().second;
}

bool Value::Erase(std::string_view key) {
  if (!is_map()) return false;
  auto& m = as_map();
  auto it = std::find_if(m.begin(), m.end(), [&](const auto& kv) { return kv.first == key; });
  if (it == m.end()) return false;
  m.erase(it);
  return true;
}

bool operator==(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number() && a.kind() != b.kind()) return a.as_number() == b.as_number();
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kNull: return true;
    case Value::Kind::kBool: return a.as_bool() == b.as_bool();
    case Value::Kind::kInt: return a.as_int() == b.as_int();
    case Value::Kind::kFloat: return a.as_float() == b.as_float();
    case Value::Kind::kString: return a.as_string() == b.as_string();
    case Value::Kind::kList: return a.as_list() == b.as_list();
    case Value::Kind::kMap: {
      const auto& am = a.as_map();
      const auto& bm = b.as_map();
      if (am.size() != bm.size()) return false;
      for (const auto& [k, v] : am) {
        const Value* other = b.Find(k);
        if (!other || !(v == *other)) return false;
      }
      return true;
    }
  }
  return false;
}

namespace {

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void AppendJson(std::string& out, const Value& v, bool sorted) {
  switch (v.kind()) {
    case Value::Kind::kNull: out += "null"; return;
    case Value::Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: out += std::to_string(v.as_int()); return;
    case Value::Kind::kFloat: {
      double d = v.as_float();
      if (!std::isfinite(d)) { out += "null"; return; }
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, r.ptr);
      return;
    }
    case Value::Kind::kString: AppendJsonString(out, v.as_string()); return;
    case Value::Kind::kList: {
      out += '[';
      bool first = true;
      for (const auto& e : v.as_list()) {
        if (!first) out += ',';
        first = false;
        AppendJson(out, e, sorted);
      }
      out += ']';
      return;
    }
    case Value::Kind::kMap: {
      std::vector<const std::pair<std::string, Value>*> entries;
      entries.reserve(v.as_map().size());
      for (const auto& kv : v.as_map()) entries.push_back(&kv);
      if (sorted)
        std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
      out += '{';
      bool first = true;
      for (const auto* kv : entries) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, kv->first);
        out += ':';
        AppendJson(out, kv->second, sorted);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string Value::ToJson() const {
  std::string out;
  AppendJson(out, *this, false);
  return out;
}

std::string Value::ToCanonicalJson() const {
  std::string out;
  AppendJson(out, *this, true);
  return out;
}

std::string_view Value::KindName() const {
  switch (kind()) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "integer";
    case Kind::kFloat: return "number";
    case Kind::kString: return "string";
    case Kind::kList: return "list";
    case Kind::kMap: return "map";
  }
  return "unknown";
}

}  // namespace gorch::lang
