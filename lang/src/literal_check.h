// Checks, at schema load time, that constant defaults fit their field's type
// (`protocol?: Protocol = "TCPP"` is a schema bug). Expressions that read the
// document (`= port`) are left to the type checker.
#pragma once

#include <optional>
#include <string>

#include "gorch/lang/expr.h"
#include "gorch/lang/types.h"

namespace gorch::lang::internal {

// The value of a constant expression (literals, and lists and maps of them), or
// nullopt when it reads anything.
std::optional<Value> ConstantValue(const Expr& expr);

// Empty when `value` fits `type`, else why not ("\"TCPP\" is not one of \"TCP\",
// \"UDP\", \"SCTP\""). Only structure and refinements are checked.
std::string LiteralMismatch(const Type* type, const Value& value);

}  // namespace gorch::lang::internal
