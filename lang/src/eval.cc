// The expression evaluator. Values read from the document or from literals are
// borrowed, not copied (Ref), so a default like `= port` or a comparison such as
// `type == "RollingUpdate"` allocates nothing until the final result.
#include "gorch/lang/eval.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "gorch/lang/formats.h"

namespace gorch::lang {

namespace {

constexpr size_t kMaxSlots = 16;  // ExprBuilder limits quantifier nesting to this
// Nested quantifiers multiply: all(a in l : all(b in l : ...)). A bound on the
// work of one evaluation keeps a hostile expression from running for hours.
constexpr uint64_t kMaxEvalSteps = 1'000'000;

const Value& NullValue() {
  static const Value kNull;
  return kNull;
}

// A value that is either borrowed (from the document, the scope or the
// expression) or owned.
class Ref {
 public:
  void Borrow(const Value* v) { ptr_ = v ? v : &NullValue(); }
  void Own(Value v) {
    owned_ = std::move(v);
    ptr_ = nullptr;
  }
  const Value& get() const { return ptr_ ? *ptr_ : owned_; }
  // True when get() points outside this Ref (so it outlives it).
  bool borrowed() const { return ptr_ != nullptr; }
  Value Take() { return ptr_ ? *ptr_ : std::move(owned_); }
  // Points at `inner` (a part of get()), keeping ownership valid.
  void Narrow(Ref& from, const Value* inner) {
    if (!inner) return Borrow(nullptr);
    if (from.borrowed()) return Borrow(inner);
    Own(Value(*inner));
  }

 private:
  const Value* ptr_ = &NullValue();
  Value owned_;
};

std::string KindOf(const Value& v) { return std::string(v.KindName()); }

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string NumberToString(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

class Evaluator {
 public:
  explicit Evaluator(const EvalScope& scope) : scope_(scope) {}

  bool Eval(const Expr& e, Ref& out);

  Status error;
  SourcePos error_pos;

 private:
  bool Fail(const Expr& at, std::string message) {
    if (error.ok()) {
      error = Status::InvalidArgument(message);
      error_pos = at.pos;
    }
    return false;
  }
  // Evaluates a bool; the message on failure is what1+what2+what3 " must be a bool".
  bool EvalBool(const Expr& e, bool* out, std::string_view what1, std::string_view what2 = {},
                std::string_view what3 = {});
  bool Lookup(const Expr& e, Ref& out);
  bool Index(const Expr& e, Ref& out);
  bool Unary(const Expr& e, Ref& out);
  bool Binary(const Expr& e, Ref& out);
  bool Arithmetic(const Expr& e, const Value& a, const Value& b, Ref& out);
  bool Compare(const Expr& e, const Value& a, const Value& b, Ref& out);
  bool In(const Expr& e, const Value& a, const Value& b, Ref& out);
  bool Call(const Expr& e, Ref& out);
  bool StringCall(const Expr& e, const Value& s, const std::array<Ref, 2>& args, Ref& out);
  bool Convert(const Expr& e, const Value& v, Ref& out);
  bool Has(const Expr& path, Ref& out);
  bool Quantifier(const Expr& e, Ref& out);

  const EvalScope& scope_;
  const Value* slots_[kMaxSlots] = {};
  uint64_t steps_ = 0;
};

bool Evaluator::Eval(const Expr& e, Ref& out) {
  if (++steps_ > kMaxEvalSteps) {
    return Fail(e, "expression too expensive to evaluate (more than " +
                       std::to_string(kMaxEvalSteps) + " steps)");
  }
  switch (e.kind) {
    case ExprKind::kLiteral: out.Borrow(&e.value); return true;
    case ExprKind::kSelf: out.Borrow(scope_.self); return true;
    case ExprKind::kIdent:
    case ExprKind::kField: return Lookup(e, out);
    case ExprKind::kIndex: return Index(e, out);
    case ExprKind::kUnary: return Unary(e, out);
    case ExprKind::kBinary: return Binary(e, out);
    case ExprKind::kConditional: {
      bool cond = false;
      if (!EvalBool(*e.args[0], &cond, "the condition of '?:'")) return false;
      return Eval(*e.args[cond ? 1 : 2], out);
    }
    case ExprKind::kList: {
      Value::List items;
      items.reserve(e.args.size());
      for (const auto& arg : e.args) {
        Ref item;
        if (!Eval(*arg, item)) return false;
        items.push_back(item.Take());
      }
      out.Own(Value::MakeList(std::move(items), e.pos));
      return true;
    }
    case ExprKind::kMap: {
      Value::Map entries;
      entries.reserve(e.args.size());
      for (size_t i = 0; i < e.args.size(); ++i) {
        Ref item;
        if (!Eval(*e.args[i], item)) return false;
        entries.emplace_back(e.keys[i], item.Take());
      }
      out.Own(Value::MakeMap(std::move(entries), e.pos));
      return true;
    }
    case ExprKind::kCall: return Call(e, out);
    case ExprKind::kQuantifier: return Quantifier(e, out);
  }
  return Fail(e, "unknown expression");
}

bool Evaluator::EvalBool(const Expr& e, bool* out, std::string_view what1,
                         std::string_view what2, std::string_view what3) {
  Ref v;
  if (!Eval(e, v)) return false;
  if (!v.get().is_bool()) {
    return Fail(e, std::string(what1) + std::string(what2) + std::string(what3) +
                       " must be a bool, got " + KindOf(v.get()));
  }
  *out = v.get().as_bool();
  return true;
}

bool Evaluator::Lookup(const Expr& e, Ref& out) {
  if (e.kind == ExprKind::kIdent) {
    if (e.slot >= 0) {
      out.Borrow(static_cast<size_t>(e.slot) < kMaxSlots ? slots_[e.slot] : nullptr);
      return true;
    }
    for (const Binding& b : scope_.bindings) {
      if (b.name == e.name) {
        out.Borrow(b.value);
        return true;
      }
    }
    out.Borrow(scope_.self ? scope_.self->Find(e.name) : nullptr);
    return true;
  }
  // kField
  Ref base;
  if (!Eval(*e.args[0], base)) return false;
  const Value& b = base.get();
  if (b.is_null()) {
    out.Borrow(nullptr);
    return true;
  }
  if (!b.is_map()) return Fail(e, "cannot read field '" + e.name + "' of " + KindOf(b));
  out.Narrow(base, b.Find(e.name));
  return true;
}


bool Evaluator::Index(const Expr& e, Ref& out) {
  Ref base, index;
  if (!Eval(*e.args[0], base) || !Eval(*e.args[1], index)) return false;
  const Value& b = base.get();
  const Value& i = index.get();
  if (b.is_null()) {
    out.Borrow(nullptr);
    return true;
  }
  if (b.is_list()) {
    if (!i.is_int()) return Fail(e, "a list index must be an integer, got " + KindOf(i));
    int64_t n = i.as_int();
    const auto& list = b.as_list();
    out.Narrow(base, n >= 0 && static_cast<uint64_t>(n) < list.size() ? &list[n] : nullptr);
    return true;
  }
  if (b.is_map()) {
    if (!i.is_string()) return Fail(e, "a map key must be a string, got " + KindOf(i));
    out.Narrow(base, b.Find(i.as_string()));
    return true;
  }
  return Fail(e, "cannot index " + KindOf(b));
}

bool Evaluator::Unary(const Expr& e, Ref& out) {
  Ref v;
  if (!Eval(*e.args[0], v)) return false;
  const Value& x = v.get();
  if (e.unary_op == UnaryOp::kNot) {
    if (!x.is_bool()) return Fail(e, "operator '!' needs a bool, got " + KindOf(x));
    out.Own(Value::Bool(!x.as_bool(), e.pos));
    return true;
  }
  if (x.is_int()) {
    if (x.as_int() == std::numeric_limits<int64_t>::min())
      return Fail(e, "integer overflow in negation");
    out.Own(Value::Int(-x.as_int(), e.pos));
    return true;
  }
  if (x.is_float()) {
    out.Own(Value::Float(-x.as_float(), e.pos));
    return true;
  }
  return Fail(e, "operator '-' needs a number, got " + KindOf(x));
}

bool Evaluator::Binary(const Expr& e, Ref& out) {
  if (e.binary_op == BinaryOp::kAnd || e.binary_op == BinaryOp::kOr) {
    std::string_view op = BinaryOpName(e.binary_op);
    bool lhs = false;
    if (!EvalBool(*e.args[0], &lhs, "the operands of '", op, "'")) return false;
    bool result = lhs;
    if (lhs == (e.binary_op == BinaryOp::kAnd) &&
        !EvalBool(*e.args[1], &result, "the operands of '", op, "'"))
      return false;
    out.Own(Value::Bool(result, e.pos));
    return true;
  }
  Ref a, b;
  if (!Eval(*e.args[0], a) || !Eval(*e.args[1], b)) return false;
  switch (e.binary_op) {
    case BinaryOp::kEq:
    case BinaryOp::kNe:
      out.Own(Value::Bool((a.get() == b.get()) == (e.binary_op == BinaryOp::kEq), e.pos));
      return true;
    case BinaryOp::kLt:
    case BinaryOp::kLe:
    case BinaryOp::kGt:
    case BinaryOp::kGe: return Compare(e, a.get(), b.get(), out);
    case BinaryOp::kIn: return In(e, a.get(), b.get(), out);
    default: return Arithmetic(e, a.get(), b.get(), out);
  }
}

bool Evaluator::Compare(const Expr& e, const Value& a, const Value& b, Ref& out) {
  int c = 0;
  if (a.is_int() && b.is_int()) {
    c = a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
  } else if (a.is_number() && b.is_number()) {
    double x = a.as_number(), y = b.as_number();
    if (std::isnan(x) || std::isnan(y)) return Fail(e, "cannot compare NaN");
    c = x < y ? -1 : x > y ? 1 : 0;
  } else if (a.is_string() && b.is_string()) {
    c = a.as_string().compare(b.as_string());
  } else {
    return Fail(e, "operator '" + std::string(BinaryOpName(e.binary_op)) +
                       "' needs two numbers or two strings, got " + KindOf(a) + " and " +
                       KindOf(b));
  }
  bool r = false;
  switch (e.binary_op) {
    case BinaryOp::kLt: r = c < 0; break;
    case BinaryOp::kLe: r = c <= 0; break;
    case BinaryOp::kGt: r = c > 0; break;
    default: r = c >= 0; break;
  }
  out.Own(Value::Bool(r, e.pos));
  return true;
}

bool Evaluator::In(const Expr& e, const Value& a, const Value& b, Ref& out) {
  bool r = false;
  if (b.is_null()) {
    r = false;  // an absent list or map is empty
  } else if (b.is_list()) {
    for (const Value& item : b.as_list()) {
      if (item == a) {
        r = true;
        break;
      }
    }
  } else if (b.is_map()) {
    if (!a.is_string()) return Fail(e, "'in' a map needs a string key, got " + KindOf(a));
    r = b.Find(a.as_string()) != nullptr;
  } else if (b.is_string()) {
    if (!a.is_string()) return Fail(e, "'in' a string needs a string, got " + KindOf(a));
    r = b.as_string().find(a.as_string()) != std::string::npos;
  } else {
    return Fail(e, "'in' needs a list, map or string on the right, got " + KindOf(b));
  }
  out.Own(Value::Bool(r, e.pos));
  return true;
}

bool Evaluator::Arithmetic(const Expr& e, const Value& a, const Value& b, Ref& out) {
  BinaryOp op = e.binary_op;
  if (op == BinaryOp::kAdd && a.is_string() && b.is_string()) {
    out.Own(Value::String(a.as_string() + b.as_string(), e.pos));
    return true;
  }
  if (op == BinaryOp::kAdd && a.is_list() && b.is_list()) {
    Value::List joined = a.as_list();
    joined.insert(joined.end(), b.as_list().begin(), b.as_list().end());
    out.Own(Value::MakeList(std::move(joined), e.pos));
    return true;
  }
  std::string op_name(BinaryOpName(op));
  if (!a.is_number() || !b.is_number()) {
    return Fail(e, "operator '" + op_name + "' needs two numbers" +
                       (op == BinaryOp::kAdd ? ", strings or lists" : "") + ", got " + KindOf(a) +
                       " and " + KindOf(b));
  }
  if (a.is_int() && b.is_int()) {
    int64_t x = a.as_int(), y = b.as_int(), r = 0;
    bool overflow = false;
    switch (op) {
      case BinaryOp::kAdd: overflow = __builtin_add_overflow(x, y, &r); break;
      case BinaryOp::kSub: overflow = __builtin_sub_overflow(x, y, &r); break;
      case BinaryOp::kMul: overflow = __builtin_mul_overflow(x, y, &r); break;
      case BinaryOp::kDiv:
      case BinaryOp::kMod:
        if (y == 0) return Fail(e, op == BinaryOp::kDiv ? "division by zero" : "modulo by zero");
        if (x == std::numeric_limits<int64_t>::min() && y == -1) {
          overflow = true;
          break;
        }
        r = op == BinaryOp::kDiv ? x / y : x % y;
        break;
      default: break;
    }
    if (overflow) return Fail(e, "integer overflow in '" + op_name + "'");
    out.Own(Value::Int(r, e.pos));
    return true;
  }
  double x = a.as_number(), y = b.as_number(), r = 0;
  switch (op) {
    case BinaryOp::kAdd: r = x + y; break;
    case BinaryOp::kSub: r = x - y; break;
    case BinaryOp::kMul: r = x * y; break;
    case BinaryOp::kDiv:
      if (y == 0) return Fail(e, "division by zero");
      r = x / y;
      break;
    case BinaryOp::kMod: return Fail(e, "operator '%' needs two integers");
    default: break;
  }
  if (!std::isfinite(r)) return Fail(e, "number overflow in '" + op_name + "'");
  out.Own(Value::Float(r, e.pos));
  return true;
}

bool Evaluator::Has(const Expr& path, Ref& out) {
  bool present = false;
  if (path.kind == ExprKind::kIdent) {
    if (path.slot >= 0) {
      present = true;
    } else {
      for (const Binding& b : scope_.bindings) present = present || b.name == path.name;
      present = present || (scope_.self && scope_.self->Find(path.name));
    }
  } else if (path.kind == ExprKind::kField) {
    Ref base;
    if (!Eval(*path.args[0], base)) return false;
    present = base.get().is_map() && base.get().Find(path.name);
  } else {  // kIndex
    Ref base, index;
    if (!Eval(*path.args[0], base) || !Eval(*path.args[1], index)) return false;
    const Value& b = base.get();
    const Value& i = index.get();
    if (b.is_map() && i.is_string()) present = b.Find(i.as_string()) != nullptr;
    if (b.is_list() && i.is_int())
      present = i.as_int() >= 0 && static_cast<uint64_t>(i.as_int()) < b.as_list().size();
  }
  out.Own(Value::Bool(present, path.pos));
  return true;
}

bool Evaluator::Call(const Expr& e, Ref& out) {
  if (e.fn == Builtin::kHas) return Has(*e.args[0], out);
  // Every builtin but has() takes one or two arguments (ExprBuilder checks arity).
  std::array<Ref, 2> args;
  if (e.args.empty() || e.args.size() > args.size()) return Fail(e, "bad argument count");
  for (size_t i = 0; i < e.args.size(); ++i)
    if (!Eval(*e.args[i], args[i])) return false;
  const Value& x = args[0].get();
  std::string_view name = BuiltinName(e.fn);
  switch (e.fn) {
    case Builtin::kLen:
      if (x.is_null()) out.Own(Value::Int(0, e.pos));
      else if (x.is_string()) out.Own(Value::Int(static_cast<int64_t>(Utf8Length(x.as_string())), e.pos));
      else if (x.is_list()) out.Own(Value::Int(static_cast<int64_t>(x.as_list().size()), e.pos));
      else if (x.is_map()) out.Own(Value::Int(static_cast<int64_t>(x.as_map().size()), e.pos));
      else return Fail(e, "len() needs a string, list or map, got " + KindOf(x));
      return true;
    case Builtin::kContains:
      if (x.is_list()) {
        bool found = false;
        for (const Value& item : x.as_list()) found = found || item == args[1].get();
        out.Own(Value::Bool(found, e.pos));
        return true;
      }
      return StringCall(e, x, args, out);
    case Builtin::kStartsWith:
    case Builtin::kEndsWith:
    case Builtin::kMatches:
    case Builtin::kLower:
    case Builtin::kUpper:
    case Builtin::kSplit: return StringCall(e, x, args, out);
    case Builtin::kKeys:
    case Builtin::kValues: {
      if (!x.is_null() && !x.is_map())
        return Fail(e, std::string(name) + "() needs a map, got " + KindOf(x));
      Value::List items;
      if (x.is_map()) {
        items.reserve(x.as_map().size());
        for (const auto& [k, v] : x.as_map())
          items.push_back(e.fn == Builtin::kKeys ? Value::String(k, v.pos()) : v);
      }
      out.Own(Value::MakeList(std::move(items), e.pos));
      return true;
    }
    default: return Convert(e, x, out);
  }
}

bool Evaluator::StringCall(const Expr& e, const Value& s, const std::array<Ref, 2>& args,
                           Ref& out) {
  std::string name(BuiltinName(e.fn));  // error messages only; short names stay in SSO
  if (!s.is_string()) return Fail(e, name + "() needs a string, got " + KindOf(s));
  const std::string& str = s.as_string();
  if (e.fn == Builtin::kLower || e.fn == Builtin::kUpper) {
    std::string r = str;
    for (char& c : r) {
      if (e.fn == Builtin::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (e.fn == Builtin::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    out.Own(Value::String(std::move(r), e.pos));
    return true;
  }
  const Value& arg = args[1].get();
  if (!arg.is_string()) return Fail(e, name + "() needs a string argument, got " + KindOf(arg));
  const std::string& p = arg.as_string();
  bool r = false;
  switch (e.fn) {
    case Builtin::kStartsWith: r = str.compare(0, p.size(), p) == 0 && str.size() >= p.size(); break;
    case Builtin::kEndsWith:
      r = str.size() >= p.size() && str.compare(str.size() - p.size(), p.size(), p) == 0;
      break;
    case Builtin::kContains: r = str.find(p) != std::string::npos; break;
    case Builtin::kMatches: {
      std::string why;
      r = MatchesPattern(p, str, &why);
      if (!why.empty()) return Fail(e, why);
      break;
    }
    case Builtin::kSplit: {
      if (p.empty()) return Fail(e, "split() needs a non-empty separator");
      Value::List parts;
      size_t start = 0;
      while (true) {
        size_t at = str.find(p, start);
        parts.push_back(Value::String(str.substr(start, at == std::string::npos ? at : at - start), e.pos));
        if (at == std::string::npos) break;
        start = at + p.size();
      }
      out.Own(Value::MakeList(std::move(parts), e.pos));
      return true;
    }
    default: break;
  }
  out.Own(Value::Bool(r, e.pos));
  return true;
}

// quantity(), duration(), string(), int(), float().
bool Evaluator::Convert(const Expr& e, const Value& x, Ref& out) {
  std::string_view name = BuiltinName(e.fn);
  switch (e.fn) {
    case Builtin::kQuantity: {
      if (x.is_number()) return out.Own(Value::Float(x.as_number(), e.pos)), true;
      if (!x.is_string()) return Fail(e, "quantity() needs a string or number, got " + KindOf(x));
      auto q = ParseQuantity(x.as_string());
      if (!q) return Fail(e, "invalid quantity \"" + x.as_string() + "\"");
      out.Own(Value::Float(*q, e.pos));
      return true;
    }
    case Builtin::kDuration: {
      if (x.is_int()) return out.Own(Value::Int(x.as_int(), e.pos)), true;
      if (!x.is_string()) return Fail(e, "duration() needs a string, got " + KindOf(x));
      auto d = ParseDurationMillis(x.as_string());
      if (!d) return Fail(e, "invalid duration \"" + x.as_string() + "\"");
      out.Own(Value::Int(*d, e.pos));
      return true;
    }
    case Builtin::kString:
      if (x.is_string()) out.Own(Value::String(x.as_string(), e.pos));
      else if (x.is_float()) out.Own(Value::String(NumberToString(x.as_float()), e.pos));
      else out.Own(Value::String(x.ToJson(), e.pos));  // ints, bools, null, lists, maps
      return true;
    case Builtin::kInt: {
      if (x.is_int()) return out.Own(Value::Int(x.as_int(), e.pos)), true;
      if (x.is_bool()) return out.Own(Value::Int(x.as_bool() ? 1 : 0, e.pos)), true;
      if (x.is_float()) {
        double d = std::trunc(x.as_float());
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
          return Fail(e, "int(): " + NumberToString(x.as_float()) + " is out of range");
        return out.Own(Value::Int(static_cast<int64_t>(d), e.pos)), true;
      }
      if (x.is_string()) {
        const std::string& s = x.as_string();
        int64_t v = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty())
          return Fail(e, "int(): \"" + s + "\" is not an integer");
        return out.Own(Value::Int(v, e.pos)), true;
      }
      return Fail(e, "int() needs a number, string or bool, got " + KindOf(x));
    }
    case Builtin::kFloat: {
      if (x.is_number()) return out.Own(Value::Float(x.as_number(), e.pos)), true;
      if (x.is_string()) {
        const std::string& s = x.as_string();
        double v = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty() || !std::isfinite(v))
          return Fail(e, "float(): \"" + s + "\" is not a number");
        return out.Own(Value::Float(v, e.pos)), true;
      }
      return Fail(e, "float() needs a number or string, got " + KindOf(x));
    }
    default: return Fail(e, "unknown function " + std::string(name));
  }
}

bool Evaluator::Quantifier(const Expr& e, Ref& out) {
  Ref source;
  if (!Eval(*e.args[0], source)) return false;
  const Value& src = source.get();
  std::string_view name = BuiltinName(e.fn);
  if (!src.is_null() && !src.is_list() && !src.is_map())
    return Fail(*e.args[0], std::string(name) + "() ranges over a list or map, got " + KindOf(src));
  if (e.slot < 0 || static_cast<size_t>(e.slot) >= kMaxSlots) return Fail(e, "bad variable slot");
  const Value*& slot = slots_[e.slot];
  const Value* saved = slot;
  bool want_bool = e.fn != Builtin::kMap;
  int64_t count = 0;
  bool decided = false;  // all(): found a false; any(): found a true
  Value::List results;
  // Visits one element; returns false on error.
  auto visit = [&](const Value& item) -> bool {
    slot = &item;
    Ref r;
    if (!Eval(*e.args[1], r)) return false;
    if (want_bool && !r.get().is_bool()) {
      return Fail(*e.args[1], "the condition of " + std::string(name) + "() must be a bool, got " +
                                  KindOf(r.get()));
    }
    bool b = want_bool && r.get().as_bool();
    switch (e.fn) {
      case Builtin::kAll: decided = !b; break;
      case Builtin::kAny: decided = b; break;
      case Builtin::kCount: count += b; break;
      case Builtin::kFilter: if (b) results.push_back(item); break;
      default: results.push_back(r.Take()); break;
    }
    return true;
  };
  bool ok = true;
  if (src.is_list()) {
    for (const Value& item : src.as_list())
      if (!(ok = visit(item)) || decided) break;
  } else if (src.is_map()) {
    for (const auto& [k, v] : src.as_map()) {
      Value key = Value::String(k, v.pos());
      if (!(ok = visit(key)) || decided) break;
    }
  }
  slot = saved;
  if (!ok) return false;
  switch (e.fn) {
    case Builtin::kAll: out.Own(Value::Bool(!decided, e.pos)); break;
    case Builtin::kAny: out.Own(Value::Bool(decided, e.pos)); break;
    case Builtin::kCount: out.Own(Value::Int(count, e.pos)); break;
    default: out.Own(Value::MakeList(std::move(results), e.pos)); break;
  }
  return true;
}

}  // namespace

Result<Value> Evaluate(const Expr& expr, const EvalScope& scope, SourcePos* error_pos) {
  Evaluator ev(scope);
  Ref out;
  if (!ev.Eval(expr, out)) {
    if (error_pos) *error_pos = ev.error_pos;
    return ev.error;
  }
  return out.Take();
}

Result<bool> EvaluateBool(const Expr& expr, const EvalScope& scope, SourcePos* error_pos) {
  Evaluator ev(scope);
  Ref out;
  if (!ev.Eval(expr, out)) {
    if (error_pos) *error_pos = ev.error_pos;
    return ev.error;
  }
  if (!out.get().is_bool()) {
    if (error_pos) *error_pos = expr.pos;
    return Status::InvalidArgument("condition must be a bool, got " + KindOf(out.get()));
  }
  return out.get().as_bool();
}

}  // namespace gorch::lang
