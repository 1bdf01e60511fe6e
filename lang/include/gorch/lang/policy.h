// Policy declarations of the Gorch language (docs/policy.md): what `gorch lint`
// checks. This header is the syntax tree after parsing and the checks that need
// no schema (settings, names, message templates); binding names to resources,
// the graph and evaluation live in the policy module (gorch_policy).
//
//   /// Containers should not run with a floating image tag.
//   policy "latest-tag" {
//     severity: warning
//     description: "..."
//     remediation: "..."
//     kinds: ["Deployment", "StatefulSet"]
//     for c in containers
//       deny c.image.endsWith(":latest") at c.image : "container \"{c.name}\" uses {c.image}"
//   }
//
// A parsed Policy is immutable and safe to share between threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "gorch/lang/diagnostic.h"
#include "gorch/lang/expr.h"

namespace gorch::lang {

// A message with `{EXPR}` placeholders; `{{` and `}}` are literal braces.
struct MessageTemplate {
  struct Part {
    std::string text;                  // literal text (when expr is null)
    std::shared_ptr<const Expr> expr;  // a placeholder
  };
  std::vector<Part> parts;
  SourcePos pos;  // the string's opening quote
};

// `let NAME = EXPR`: evaluated once per resource, visible to later steps.
struct PolicyLet {
  std::string name;
  std::shared_ptr<const Expr> value;
  SourcePos pos;
};

// `for X in LIST` (items of a list, keys of a map, nothing for null).
struct PolicyLoop {
  std::string var;
  std::shared_ptr<const Expr> list;
  SourcePos pos;
};

// `[for ...]* deny COND [at EXPR] : "message"`: one finding per combination of
// loop values for which COND is true, located at EXPR's value (else at the
// innermost loop value, else at the resource).
struct PolicyRule {
  std::vector<PolicyLoop> loops;
  std::shared_ptr<const Expr> condition;
  std::shared_ptr<const Expr> at;  // may be null
  MessageTemplate message;
  SourcePos pos;  // the `deny` (or first `for`) keyword
};

using PolicyStep = std::variant<PolicyLet, PolicyRule>;

struct Policy {
  std::string name;  // the check's name: lower-case letters, digits and '-'
  SourcePos pos;     // the `policy` keyword
  std::string doc;   // `///` lines right above the declaration
  Severity severity = Severity::kWarning;
  std::string description;  // required: what the check finds
  std::string remediation;  // how to fix a finding
  std::string url;          // optional: more help
  // What the policy matches; empty lists match everything. A resource must
  // carry every label of `labels` with that value.
  std::vector<std::string> kinds;
  std::vector<std::string> namespaces;
  std::vector<std::pair<std::string, std::string>> labels;
  // false: off unless a lint config (or --enable) turns it on.
  bool enabled = true;
  std::vector<PolicyStep> steps;  // in source order
  SourcePos kinds_pos;            // where `kinds:` was written (unknown kinds are reported there)
};

// Parses a file of `policy` declarations. Every syntax error and every bad
// setting (unknown or duplicate setting, a severity other than error, warning
// or info, a non-constant value, a bad name, a placeholder that does not
// parse, a duplicate policy in the file) is reported to diags as
// file:line:col with code "syntax" or "policy"; the policies without errors
// are returned. Never throws.
std::vector<Policy> ParsePolicyFile(std::string_view file_name, std::string_view text,
                                    Diagnostics& diags);

// Calls fn(name, pos) for every identifier of expr that is not a quantifier
// variable: names a policy must bind (or that read fields of the resource).
void ForEachFreeName(const Expr& expr, const std::function<void(const std::string&, SourcePos)>& fn);

}  // namespace gorch::lang
