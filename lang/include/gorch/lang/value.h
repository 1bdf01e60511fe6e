// Value: the document model every loader produces and every checker, evaluator and
// policy reads. A JSON-shaped tree (null, bool, int, float, string, list, map) in
// which every node remembers where it came from, so any diagnostic can point at
// file:line:col. Maps keep their source order (deterministic output, and the
// user's order is what they expect to see).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "gorch/lang/diagnostic.h"

namespace gorch::lang {

class Value {
 public:
  enum class Kind : unsigned char { kNull, kBool, kInt, kFloat, kString, kList, kMap };
  using List = std::vector<Value>;
  using Map = std::vector<std::pair<std::string, Value>>;  // source order, unique keys

  Value() = default;  // null
  static Value Null(SourcePos pos = {}) { return Value(std::monostate{}, pos); }
  static Value Bool(bool b, SourcePos pos = {}) { return Value(b, pos); }
  static Value Int(int64_t i, SourcePos pos = {}) { return Value(i, pos); }
  static Value Float(double d, SourcePos pos = {}) { return Value(d, pos); }
  static Value String(std::string s, SourcePos pos = {}) { return Value(std::move(s), pos); }
  static Value MakeList(List l = {}, SourcePos pos = {}) { return Value(std::move(l), pos); }
  static Value MakeMap(Map m = {}, SourcePos pos = {}) { return Value(std::move(m), pos); }

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_map() const { return kind() == Kind::kMap; }

  // REQUIRES: the matching kind.
  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_float() const { return std::get<double>(data_); }
  double as_number() const { return is_int() ? static_cast<double>(as_int()) : as_float(); }
  const std::string& as_string() const { return std::get<std::string>(data_); }
  std::string& as_string() { return std::get<std::string>(data_); }
  const List& as_list() const { return std::get<List>(data_); }
  List& as_list() { return std::get<List>(data_); }
  const Map& as_map() const { return std::get<Map>(data_); }
  Map& as_map() { return std::get<Map>(data_); }

  // Map access: null when not a map or the key is absent.
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  // Follows a dotted path of map keys ("metadata.name"); null if any step is missing.
  const Value* FindPath(std::string_view dotted) const;
  // Inserts or replaces key (keeps the position of an existing key). REQUIRES: is_map().
  Value& Set(std::string key, Value v);
  bool Erase(std::string_view key);

  // Where this value was written; for defaulted values, where its parent was.
  const SourcePos& pos() const { return pos_; }
  void set_pos(SourcePos p) { pos_ = p; }

  // True when defaulting filled this value in (the user did not write it); a plan
  // uses this to tell a user's value from a default.
  bool defaulted() const { return defaulted_; }
  void set_defaulted(bool d) { defaulted_ = d; }

  // Deep structural equality (ignores pos and defaulted; map order-insensitive).
  friend bool operator==(const Value& a, const Value& b);

  // Canonical JSON: map keys in source order, no whitespace, integers exact,
  // floats in shortest round-trip form. Deterministic for equal inputs.
  std::string ToJson() const;
  // Same, but with map keys sorted: for content hashes that ignore key order.
  std::string ToCanonicalJson() const;
  std::string_view KindName() const;  // "null", "bool", "integer", "number", "string", "list", "map"

 private:
  using Data = std::variant<std::monostate, bool, int64_t, double, std::string, List, Map>;
  template <typename T>
  Value(T&& v, SourcePos pos) : data_(std::forward<T>(v)), pos_(pos) {}

  Data data_;
  SourcePos pos_;
  bool defaulted_ = false;
};

}  // namespace gorch::lang
