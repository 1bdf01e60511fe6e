// The table of built-in functions: names and arities, shared by the AST builder
// (which resolves calls at parse time) and the printer.
#pragma once

#include <string_view>

#include "gorch/lang/expr.h"

namespace gorch::lang::internal {

struct BuiltinInfo {
  Builtin fn;
  std::string_view name;
  int min_args;  // including the receiver of a method call
  int max_args;
  bool quantifier;  // called as fn(x in LIST : EXPR)
};

// The function named `name`, or null.
const BuiltinInfo* FindBuiltin(std::string_view name);
const BuiltinInfo& GetBuiltin(Builtin fn);

}  // namespace gorch::lang::internal
