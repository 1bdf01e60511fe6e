#include <charconv>
#include <cmath>
#include <string>

#include "builtins.h"
#include "gorch/lang/expr.h"

namespace gorch::lang {

namespace internal {

namespace {

constexpr BuiltinInfo kBuiltins[] = {
    {Builtin::kHas, "has", 1, 1, false},
    {Builtin::kLen, "len", 1, 1, false},
    {Builtin::kStartsWith, "startsWith", 2, 2, false},
    {Builtin::kEndsWith, "endsWith", 2, 2, false},
    {Builtin::kContains, "contains", 2, 2, false},
    {Builtin::kMatches, "matches", 2, 2, false},
    {Builtin::kLower, "lower", 1, 1, false},
    {Builtin::kUpper, "upper", 1, 1, false},
    {Builtin::kSplit, "split", 2, 2, false},
    {Builtin::kKeys, "keys", 1, 1, false},
    {Builtin::kValues, "values", 1, 1, false},
    {Builtin::kQuantity, "quantity", 1, 1, false},
    {Builtin::kDuration, "duration", 1, 1, false},
    {Builtin::kString, "string", 1, 1, false},
    {Builtin::kInt, "int", 1, 1, false},
    {Builtin::kFloat, "float", 1, 1, false},
    {Builtin::kAll, "all", 2, 2, true},
    {Builtin::kAny, "any", 2, 2, true},
    {Builtin::kCount, "count", 2, 2, true},
    {Builtin::kFilter, "filter", 2, 2, true},
    {Builtin::kMap, "map", 2, 2, true},
};

}  // namespace

const BuiltinInfo* FindBuiltin(std::string_view name) {
  for (const auto& b : kBuiltins)
    if (b.name == name) return &b;
  return nullptr;
}

const BuiltinInfo& GetBuiltin(Builtin fn) {
  for (const auto& b : kBuiltins)
    if (b.fn == fn) return b;
  return kBuiltins[0];
}

}  // namespace internal

std::string_view BuiltinName(Builtin fn) { return internal::GetBuiltin(fn).name; }

std::string_view BinaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEq: return "==";
    case BinaryOp::kNe: return "!=";
    case BinaryOp::kLt: return "<";
    case BinaryOp::kLe: return "<=";
    case BinaryOp::kGt: return ">";
    case BinaryOp::kGe: return ">=";
    case BinaryOp::kAnd: return "&&";
    case BinaryOp::kOr: return "||";
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kIn: return "in";
  }
  return "?";
}

namespace {

// Binding strength, as in the grammar: higher binds tighter.
int Precedence(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kConditional: return 1;
    case ExprKind::kBinary:
      switch (e.binary_op) {
        case BinaryOp::kOr: return 2;
        case BinaryOp::kAnd: return 3;
        case BinaryOp::kEq:
        case BinaryOp::kNe: return 4;
        case BinaryOp::kLt:
        case BinaryOp::kLe:
        case BinaryOp::kGt:
        case BinaryOp::kGe:
        case BinaryOp::kIn: return 5;
        case BinaryOp::kAdd:
        case BinaryOp::kSub: return 6;
        case BinaryOp::kMul:
        case BinaryOp::kDiv:
        case BinaryOp::kMod: return 7;
      }
      return 7;
    case ExprKind::kUnary: return 8;
    case ExprKind::kLiteral:
      if ((e.value.is_int() && e.value.as_int() < 0) ||
          (e.value.is_float() && std::signbit(e.value.as_float())))
        return 8;
      return 9;
    default: return 9;
  }
}

void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static const char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void AppendLiteral(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString: AppendQuoted(out, v.as_string()); return;
    case Value::Kind::kFloat: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_float());
      std::string_view text(buf, r.ptr - buf);
      out += text;
      // Keep it a float when read back ("2" would be an integer).
      if (text.find_first_of(".eEn") == std::string_view::npos) out += ".0";
      return;
    }
    default: out += v.ToJson(); return;
  }
}

void Print(std::string& out, const Expr& e, int min_prec);

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;  // after '.', keywords are field names too
}

void PrintArgs(std::string& out, const Expr& e, size_t from) {
  out += '(';
  for (size_t i = from; i < e.args.size(); ++i) {
    if (i > from) out += ", ";
    Print(out, *e.args[i], 0);
  }
  out += ')';
}

void PrintInner(std::string& out, const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral: AppendLiteral(out, e.value); return;
    case ExprKind::kList: {
      out += '[';
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i) out += ", ";
        Print(out, *e.args[i], 0);
      }
      out += ']';
      return;
    }
    case ExprKind::kMap: {
      out += '{';
      for (size_t i = 0; i < e.args.size(); ++i) {
        if (i) out += ", ";
        AppendQuoted(out, e.keys[i]);
        out += ": ";
        Print(out, *e.args[i], 0);
      }
      out += '}';
      return;
    }
    case ExprKind::kSelf: out += "self"; return;
    case ExprKind::kIdent: out += e.name; return;
    case ExprKind::kField:
      Print(out, *e.args[0], 9);
      if (IsIdentifier(e.name)) {
        out += '.';
        out += e.name;
      } else {
        out += '[';
        AppendQuoted(out, e.name);
        out += ']';
      }
      return;
    case ExprKind::kIndex:
      Print(out, *e.args[0], 9);
      out += '[';
      Print(out, *e.args[1], 0);
      out += ']';
      return;
    case ExprKind::kUnary: {
      out += e.unary_op == UnaryOp::kNot ? "!" : "-";
      // "-" before a number literal would fold into the literal when parsed again
      // ("-(0)" is not "-0", which is the literal 0): keep the parentheses.
      const Expr& operand = *e.args[0];
      bool number = operand.kind == ExprKind::kLiteral && operand.value.is_number();
      if (number && e.unary_op == UnaryOp::kNeg) {
        out += '(';
        Print(out, operand, 0);
        out += ')';
      } else {
        Print(out, operand, 8);
      }
      return;
    }
    case ExprKind::kBinary: {
      int p = Precedence(e);
      Print(out, *e.args[0], p);
      out += ' ';
      out += BinaryOpName(e.binary_op);
      out += ' ';
      Print(out, *e.args[1], p + 1);
      return;
    }
    case ExprKind::kConditional:
      Print(out, *e.args[0], 2);
      out += " ? ";
      Print(out, *e.args[1], 1);
      out += " : ";
      Print(out, *e.args[2], 1);
      return;
    case ExprKind::kCall:
      if (e.method_syntax && !e.args.empty()) {
        Print(out, *e.args[0], 9);
        out += '.';
        out += BuiltinName(e.fn);
        PrintArgs(out, e, 1);
      } else {
        out += BuiltinName(e.fn);
        PrintArgs(out, e, 0);
      }
      return;
    case ExprKind::kQuantifier:
      out += BuiltinName(e.fn);
      out += '(';
      out += e.name;
      out += " in ";
      Print(out, *e.args[0], 0);
      out += " : ";
      Print(out, *e.args[1], 0);
      out += ')';
      return;
  }
}

void Print(std::string& out, const Expr& e, int min_prec) {
  bool parens = Precedence(e) < min_prec;
  if (parens) out += '(';
  PrintInner(out, e);
  if (parens) out += ')';
}

}  // namespace

std::string ExprToString(const Expr& expr) {
  std::string out;
  Print(out, expr, 0);
  return out;
}

}  // namespace gorch::lang
