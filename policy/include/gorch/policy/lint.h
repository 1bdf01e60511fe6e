// Linting: every enabled policy over every resource it matches in a compiled
// DesiredState, with waivers, producing findings; and the whole `gorch lint`
// run (compile, load policies and config, lint) behind one call.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gorch/compiler/compile.h"
#include "gorch/compiler/desired_state.h"
#include "gorch/lang/diagnostic.h"
#include "gorch/policy/policy_set.h"

namespace gorch::policy {

// Waivers: annotation `ignore-check.gorch.dev/<check>: "<reason>"` on a
// resource. A waiver without a reason, or naming no known check, is a finding
// of this check (at the annotation).
inline constexpr std::string_view kWaiverPrefix = "ignore-check.gorch.dev/";
inline constexpr std::string_view kInvalidWaiverCheck = "invalid-waiver";

struct Finding {
  std::string check;
  lang::Severity severity = lang::Severity::kWarning;
  lang::SourcePos pos;  // the offending value (else the resource)
  std::string message;
  compiler::ResourceId resource;
};

struct LintOptions {
  unsigned threads = 0;  // 0: all cores
  // Evaluation errors of one policy reported per distinct expression position;
  // later ones are counted only.
};

struct LintResult {
  std::vector<Finding> findings;  // sorted by file, line, col, check
  lang::Diagnostics diags;        // evaluation errors (code "policy-eval")
  size_t resources = 0;           // resources linted
  size_t evaluations = 0;         // (resource, policy) pairs evaluated
};

// Lints state (and extra documents the compiler could not type-check, e.g. an
// apiVersion no longer served; only policies reading `apiVersion` and the
// resource's own fields see them). Pure: no I/O. Thread-safe.
LintResult Lint(const compiler::DesiredState& state, const std::vector<compiler::Resource>& unchecked,
                const PolicySet& policies, const LintOptions& options);

// One `gorch lint` run.
struct LintRequest {
  compiler::CompileOptions compile;   // the source (PATH or --git) and compile flags
  std::vector<std::string> policy_dirs;  // --policy DIR (repeatable)
  std::string config_file;            // --config FILE; else <source>/.gorch/lint.yaml if present
  std::vector<std::string> enable, disable;  // --enable / --disable CHECK
  bool builtin = true;                // --no-builtin turns the pack off
};

struct LintRun {
  PolicySet policies;
  lang::Diagnostics diags;   // compile problems, policy and config errors, evaluation errors
  LintResult result;
  std::string source;        // how the source was named
  size_t compile_errors = 0;
  bool policies_ok = true;   // false: policies or config had errors; nothing was linted
};

// Compiles the source (with references to resources outside it allowed, as
// warnings: the policies judge them), loads policies (the pack, the source's
// .gorch/policies/, --policy dirs) and the config, and lints. Linting goes on
// over what compiled even when some documents did not.
std::unique_ptr<LintRun> RunLint(const LintRequest& request);

// "error" > "warning" > "info": whether s is at or above threshold.
bool AtLeast(lang::Severity s, lang::Severity threshold);

}  // namespace gorch::policy
