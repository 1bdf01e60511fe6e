#include "literal_check.h"

#include "gorch/lang/formats.h"

namespace gorch::lang::internal {

std::optional<Value> ConstantValue(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kLiteral: return expr.value;
    case ExprKind::kList: {
      Value::List items;
      for (const auto& arg : expr.args) {
        auto v = ConstantValue(*arg);
        if (!v) return std::nullopt;
        items.push_back(std::move(*v));
      }
      return Value::MakeList(std::move(items), expr.pos);
    }
    case ExprKind::kMap: {
      Value::Map entries;
      for (size_t i = 0; i < expr.args.size(); ++i) {
        auto v = ConstantValue(*expr.args[i]);
        if (!v) return std::nullopt;
        entries.emplace_back(expr.keys[i], std::move(*v));
      }
      return Value::MakeMap(std::move(entries), expr.pos);
    }
    default: return std::nullopt;
  }
}

namespace {

constexpr int kMaxDepth = 64;  // a union that contains itself is reported elsewhere

std::string Got(const Value& v) {
  std::string json = v.ToJson();
  if (json.size() > 40) json = json.substr(0, 37) + "...";
  return json;
}

std::string Mismatch(const Type* t, const Value& v, int depth);

std::string StringMismatch(const Type* t, const Value& v) {
  if (!v.is_string()) return "expected " + t->Describe() + ", got " + Got(v);
  const std::string& s = v.as_string();
  const Refinement& r = t->refine;
  std::string why;
  if (!MatchesFormat(r.format, s, &why)) return Got(v) + " " + why;
  if (r.pattern && !MatchesPattern(*r.pattern, s, nullptr))
    return Got(v) + " does not match the pattern \"" + *r.pattern + "\"";
  if (r.min_len && s.size() < *r.min_len) return Got(v) + " is too short";
  if (r.max_len && s.size() > *r.max_len) return Got(v) + " is too long";
  return "";
}

std::string RecordMismatch(const Type* t, const Value& v, int depth) {
  if (!v.is_map()) return "expected " + t->Describe() + ", got " + Got(v);
  for (const auto& [key, item] : v.as_map()) {
    const Field* f = t->FindField(key);
    if (!f) {
      if (t->open) continue;
      return "'" + key + "' is not a field of " + t->Describe();
    }
    std::string why = Mismatch(f->type, item, depth + 1);
    if (!why.empty()) return key + ": " + why;
  }
  for (const Field& f : t->fields) {
    if (f.required && !v.Find(f.name)) return "required field '" + f.name + "' is missing";
  }
  return "";
}

std::string Mismatch(const Type* t, const Value& v, int depth) {
  if (!t || depth > kMaxDepth) return "";
  const Refinement& r = t->refine;
  switch (t->kind) {
    case TypeKind::kAny: return "";
    case TypeKind::kBool: return v.is_bool() ? "" : "expected bool, got " + Got(v);
    case TypeKind::kInt:
      if (!v.is_int()) return "expected " + t->Describe() + ", got " + Got(v);
      if ((r.min && v.as_int() < *r.min) || (r.max && v.as_int() > *r.max))
        return Got(v) + " is out of range " + t->Describe();
      return "";
    case TypeKind::kFloat: return v.is_number() ? "" : "expected a number, got " + Got(v);
    case TypeKind::kString: return StringMismatch(t, v);
    case TypeKind::kQuantity:
      if (v.is_number() || (v.is_string() && ParseQuantity(v.as_string()))) return "";
      return Got(v) + " is not a quantity";
    case TypeKind::kDuration:
      if (v.is_string() && ParseDurationMillis(v.as_string())) return "";
      return Got(v) + " is not a duration";
    case TypeKind::kEnum:
      if (v.is_string()) {
        for (const auto& e : t->enum_values)
          if (e == v.as_string()) return "";
      }
      return Got(v) + " is not one of " + t->Describe();
    case TypeKind::kUnion:
      for (const Type* alt : t->alternatives)
        if (Mismatch(alt, v, depth + 1).empty()) return "";
      return Got(v) + " is not a " + t->Describe();
    case TypeKind::kRef: return v.is_string() ? "" : "expected a name, got " + Got(v);
    case TypeKind::kList: {
      if (!v.is_list()) return "expected " + t->Describe() + ", got " + Got(v);
      size_t n = v.as_list().size();
      if ((r.min_items && n < *r.min_items) || (r.max_items && n > *r.max_items))
        return "wrong number of items for " + t->Describe();
      for (const Value& item : v.as_list()) {
        std::string why = Mismatch(t->element, item, depth + 1);
        if (!why.empty()) return why;
      }
      return "";
    }
    case TypeKind::kMap: {
      if (!v.is_map()) return "expected " + t->Describe() + ", got " + Got(v);
      for (const auto& [key, item] : v.as_map()) {
        std::string why = Mismatch(t->key, Value::String(key), depth + 1);
        if (why.empty()) why = Mismatch(t->element, item, depth + 1);
        if (!why.empty()) return why;
      }
      return "";
    }
    case TypeKind::kRecord: return RecordMismatch(t, v, depth);
  }
  return "";
}

}  // namespace

std::string LiteralMismatch(const Type* type, const Value& value) {
  return Mismatch(type, value, 0);
}

}  // namespace gorch::lang::internal
