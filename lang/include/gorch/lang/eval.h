// The expression evaluator: pure functions over lang::Value documents.
//
// Semantics (docs/language.md, "Expressions"):
//   - an identifier is a quantifier variable, else a binding of the scope, else a
//     field of `self`; a missing field (or a field of null) reads as null;
//   - `&&`, `||`, `?:` short-circuit; `==`/`!=` compare any two values
//     structurally (1 == 1.0); `<`... compare two numbers or two strings;
//   - arithmetic on integers stays integral (overflow and division by zero are
//     errors); with a float operand it is floating point;
//   - a type error (e.g. `"a" < 1`, `len(3)`, `!"x"`) is an error Status, never a
//     crash or exception;
//   - one evaluation is bounded (a million steps), so nested quantifiers over
//     big lists end with an error instead of running away.
// Thread-safe: Evaluate keeps no shared mutable state (regex caches are per thread).
#pragma once

#include <span>
#include <string_view>

#include "gorch/base/status.h"
#include "gorch/lang/diagnostic.h"
#include "gorch/lang/expr.h"
#include "gorch/lang/value.h"

namespace gorch::lang {

// A name bound for an evaluation (policies: `resource`, `namespace`...).
struct Binding {
  std::string_view name;
  const Value* value = nullptr;  // REQUIRES: non-null, outlives the evaluation
};

struct EvalScope {
  // The record the expression is evaluated over (`self`); its fields are in scope
  // as bare identifiers. Null reads as an empty record (every field is null).
  const Value* self = nullptr;
  // Extra names, looked up before the fields of self. Usually empty.
  std::span<const Binding> bindings;
};

// Evaluates expr. On a type error returns an InvalidArgument status whose message
// says what went wrong ("operator '<' needs two numbers or two strings, got string
// and integer"); if error_pos is not null it is set to the position of the
// sub-expression that failed. The result's positions are those of the values
// read from the document (or of the literal in the expression).
Result<Value> Evaluate(const Expr& expr, const EvalScope& scope, SourcePos* error_pos = nullptr);

// Evaluates a condition (constraint, `when`, `optionalIf`, quantifier predicate):
// the result must be a bool, otherwise an InvalidArgument error ("condition must
// be a bool, got string").
Result<bool> EvaluateBool(const Expr& expr, const EvalScope& scope, SourcePos* error_pos = nullptr);

}  // namespace gorch::lang
