// The policies a lint run evaluates: the built-in pack, a repo's
// .gorch/policies/, --policy DIRs, then a lint config that turns checks on or
// off and overrides severities (docs/policy.md).
//
// Usage: Add* every source, then Finalize(schemas) once (names are checked
// against the schemas there), then ApplyConfig. A finalized set is immutable
// and safe to read from many threads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/lang/diagnostic.h"
#include "gorch/lang/policy.h"
#include "gorch/lang/types.h"

namespace gorch::policy {

// Names a policy may read besides the resource's own fields (docs/policy.md).
enum Need : uint32_t {
  kNeedResource = 1u << 0,     // resource: the whole object
  kNeedName = 1u << 1,         // name, namespace
  kNeedLabels = 1u << 2,       // labels, annotations
  kNeedPodSpec = 1u << 3,      // podSpec, podTemplate, podLabels
  kNeedContainers = 1u << 4,   // containers: init + regular + ephemeral
  kNeedSelects = 1u << 5,      // selects: objects this one selects (Service, PDB)
  kNeedSelectedBy = 1u << 6,   // selectedBy: objects that select this one
  kNeedUses = 1u << 7,         // uses: what this one references (ConfigMap, SA...)
  kNeedUsedBy = 1u << 8,       // usedBy: what references this one
};

// The names of the bindings, for messages and docs.
const std::vector<std::string_view>& BindingNames();

struct Check {
  lang::Policy policy;
  bool builtin = false;
  bool enabled = true;        // after the config
  lang::Severity severity;    // after the config
  uint32_t needs = 0;         // Need bits the policy's expressions read
};

// A lint config (.gorch/lint.yaml or --config FILE):
//   checks:
//     exclude: [no-anti-affinity]       # turn off
//     include: [my-disabled-check]      # turn on checks declared `enabled: false`
//     severity: {latest-tag: error}     # override
struct LintConfig {
  std::vector<std::pair<std::string, lang::SourcePos>> include, exclude;
  std::vector<std::tuple<std::string, lang::Severity, lang::SourcePos>> severity;
};

// Parses a lint config (YAML). Problems (unknown keys, bad values) go to diags
// at file:line:col with code "lint-config".
LintConfig ParseLintConfig(std::string_view file_name, std::string_view text, lang::Diagnostics& diags);

class PolicySet {
 public:
  PolicySet();
  ~PolicySet();
  PolicySet(PolicySet&&) noexcept;
  PolicySet& operator=(PolicySet&&) noexcept;

  // The built-in pack (embedded in the binary). False only if it is broken.
  bool AddBuiltin(lang::Diagnostics& diags);
  // Every *.gorch file under dir, recursively, in path order. A missing dir is
  // an error when required, else nothing.
  bool AddDir(const std::string& dir, bool required, lang::Diagnostics& diags);
  // One policy file's text.
  void AddFile(std::string_view file_name, std::string_view text, lang::Diagnostics& diags);

  // Checks what needs the schemas: kinds exist, every name an expression reads
  // is a binding, a `let`, a loop variable or a top-level field of a matched
  // kind; a policy named twice across files. Errors at file:line:col, code
  // "policy". Returns false if any source or this had errors.
  bool Finalize(const lang::SchemaSet& schemas, lang::Diagnostics& diags);

  // Applies a config (and --enable/--disable, given as a config too). Unknown
  // check names are errors at where they were written.
  bool ApplyConfig(const LintConfig& config, lang::Diagnostics& diags);
  // Only these checks stay enabled (fixtures' `# checks:` lines).
  void RestrictTo(const std::vector<std::string>& names);
  // Which checks are enabled, in checks() order; and setting it back.
  std::vector<bool> Enabled() const;
  void SetEnabled(const std::vector<bool>& enabled);

  const std::vector<Check>& checks() const;
  const Check* Find(std::string_view name) const;
  // " (did you mean 'latest-tag'?)" or "".
  std::string Suggest(std::string_view name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gorch::policy
