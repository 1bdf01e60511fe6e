// The expression AST of the Gorch language: defaults (`= EXPR`), conditions
// (`when EXPR`), constraints (`where EXPR : "msg"`), `optionalIf:` and, later,
// policies all share it. Build one with ParseExpression (or get it from a parsed
// schema); evaluate it with gorch/lang/eval.h.
//
// An Expr tree is immutable after parsing and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/lang/diagnostic.h"
#include "gorch/lang/value.h"

namespace gorch::lang {

enum class ExprKind : unsigned char {
  kLiteral,      // value (null, bool, int, float, string)
  kList,         // [args...]
  kMap,          // { keys[i]: args[i] }
  kSelf,         // self: the record the expression is evaluated over
  kIdent,        // name: a quantifier variable (slot >= 0), else a binding of the
                 // scope or a field of self (null when absent)
  kField,        // args[0].name (null when args[0] is null or lacks the field)
  kIndex,        // args[0][args[1]]: a list by integer, a map by string
  kUnary,        // unary_op args[0]
  kBinary,       // args[0] binary_op args[1]
  kConditional,  // args[0] ? args[1] : args[2]
  kCall,         // fn(args...); a method call x.f(a) is stored as f(x, a)
  kQuantifier,   // fn(name in args[0] : args[1]), fn is kAll/kAny/kCount/kFilter/kMap
};

enum class UnaryOp : unsigned char { kNot, kNeg };

enum class BinaryOp : unsigned char {
  kEq, kNe, kLt, kLe, kGt, kGe,  // comparison (numbers, strings; == on anything)
  kAnd, kOr,                     // short-circuit
  kAdd, kSub, kMul, kDiv, kMod,  // + also joins strings and lists
  kIn,                           // x in list, key in map, sub in string
};

// Every function the language knows, resolved at parse time.
enum class Builtin : unsigned char {
  kHas,         // has(a.b): the last step is present (even if null)
  kLen,         // len(string|list|map)
  kStartsWith,  // s.startsWith(p)
  kEndsWith,    // s.endsWith(p)
  kContains,    // s.contains(p)   (also list.contains(x))
  kMatches,     // s.matches(re): ECMAScript regex, whole match
  kLower,       // s.lower()
  kUpper,       // s.upper()
  kSplit,       // s.split(sep) -> list<string>
  kKeys,        // keys(m) -> list<string>, in map order
  kValues,      // values(m) -> list
  kQuantity,    // quantity(s) -> number ("100m" -> 0.1); numbers pass through
  kDuration,    // duration(s) -> integer milliseconds ("1m" -> 60000)
  kString,      // string(x)
  kInt,         // int(x): from number (truncates), numeric string, bool
  kFloat,       // float(x)
  kAll,         // all(x in L : P)    quantifiers
  kAny,         // any(x in L : P)
  kCount,       // count(x in L : P) -> int
  kFilter,      // filter(x in L : P) -> list
  kMap,         // map(x in L : E) -> list
};

// "startsWith", "all", ...: the name as written in source.
std::string_view BuiltinName(Builtin fn);
std::string_view BinaryOpName(BinaryOp op);  // "==", "&&", "in", ...

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  UnaryOp unary_op = UnaryOp::kNot;     // kUnary
  BinaryOp binary_op = BinaryOp::kEq;   // kBinary
  Builtin fn = Builtin::kLen;           // kCall, kQuantifier
  bool method_syntax = false;           // kCall written as x.f(...) (for printing)
  // kIdent: the quantifier variable's slot (0 = outermost enclosing quantifier),
  // or -1 for a name looked up in the scope's bindings, then in self.
  // kQuantifier: the slot its variable occupies.
  int32_t slot = -1;
  std::string name;               // kIdent, kField; kQuantifier: the variable
  Value value;                    // kLiteral
  std::vector<std::string> keys;  // kMap, parallel to args
  std::vector<std::unique_ptr<const Expr>> args;
  SourcePos pos;                  // where the expression (or its operator) starts
};

// Source-like rendering with minimal parentheses, for messages:
// `!(maxUnavailable == 0 && maxSurge == 0)`, `s.startsWith("a")`.
std::string ExprToString(const Expr& expr);

// Parses one standalone expression (the text of a default, constraint or policy
// rule). Positions are reported relative to `file` starting at line 1, col 1.
// Every syntax error goes to diags as file:line:col; on any error the result is
// an InvalidArgument status (whose message is the first error). Never throws.
Result<std::shared_ptr<const Expr>> ParseExpression(std::string_view text, std::string_view file,
                                                    Diagnostics& diags);
// Same, for an expression embedded in another file (a YAML policy's string):
// `start` is where the expression's first character is; later lines start at col 1.
Result<std::shared_ptr<const Expr>> ParseExpression(std::string_view text, SourcePos start,
                                                    Diagnostics& diags);

}  // namespace gorch::lang
