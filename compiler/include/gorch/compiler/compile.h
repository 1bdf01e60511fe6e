// The compiler's front door: a source (directory or git commit) in, a
// type-checked, defaulted, reference-resolved DesiredState graph out, with every
// problem of the run collected.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gorch/compiler/desired_state.h"
#include "gorch/compiler/loader.h"
#include "gorch/compiler/source.h"
#include "gorch/compiler/typecheck.h"
#include "gorch/lang/diagnostic.h"
#include "gorch/lang/types.h"

namespace gorch::compiler {

struct CompileOptions {
  // Either a directory, or a git repository with a revision (and optional subdir).
  std::string path;
  std::string git_repo;
  std::string git_rev = "HEAD";
  std::string git_subdir;

  std::vector<std::string> schema_dirs;  // --schema DIR: a user's own kinds
  LoadOptions load;
  // References to resources not defined in the source (a Service that already
  // runs in the cluster) are warnings instead of errors.
  bool allow_external_refs = false;
  // The namespace of namespaced resources that name none (a GitOps source's
  // namespace; `gorch compile --namespace`).
  std::string default_namespace = "default";
};

struct CompileResult {
  DesiredState state;      // complete only when !diags.HasErrors()
  lang::Diagnostics diags; // every problem, sorted by position
  bool ok() const { return !diags.HasErrors(); }
};

// Opens the source the options name, loads, checks and builds the graph.
CompileResult Compile(const CompileOptions& options);

// The same from an already opened source and loaded schemas (tests, the engine).
CompileResult CompileSource(const Source& source, const lang::SchemaSet& schemas,
                            const CompileOptions& options);

// Builds the graph from checked manifests: identities (namespace defaulting,
// duplicates), content hashes, edges from references and label selectors,
// dangling-reference and selector checks, cycle detection and the order.
// Reports problems into diags. Exposed for tests.
DesiredState BuildGraph(std::vector<CheckedManifest> manifests, const CompileOptions& options,
                        lang::Diagnostics& diags);

}  // namespace gorch::compiler
