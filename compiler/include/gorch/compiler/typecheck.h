// Type checking and defaulting of one manifest against the lang schemas.
#pragma once

#include <string>
#include <vector>

#include "gorch/lang/diagnostic.h"
#include "gorch/lang/types.h"
#include "gorch/lang/value.h"

namespace gorch::compiler {

// A `ref<Kind>` found in a document: the name it holds, resolved later into a
// graph edge by the compiler (same namespace as the referring resource).
struct Reference {
  std::string kind;        // "ConfigMap"
  std::string name;        // "api-config"
  std::string field_path;  // "spec.template.spec.volumes[config].configMap.name"
  bool optional = false;   // the ref's optionalIf held
  lang::SourcePos pos;     // where the name was written
};

struct CheckedManifest {
  const lang::KindSchema* schema = nullptr;  // null when the kind/apiVersion is unknown
  lang::Value object;                        // the defaulted document
  std::vector<Reference> refs;               // in document order
  // sha256 (hex) of object's canonical JSON, filled by the compile driver in its
  // parallel phase; BuildGraph computes it when empty.
  std::string content_hash;
};

// Checks `doc` (one manifest) against the schema its apiVersion and kind name,
// fills in defaults (marking each filled value defaulted()), evaluates `where`
// constraints, and collects every problem into diags:
//   unknown fields (with a did-you-mean), wrong types, missing required fields,
//   refinement and constraint violations, unknown kinds or apiVersions (a
//   deprecated apiVersion names its replacement).
// Never throws. Thread-safe for distinct docs over one SchemaSet.
CheckedManifest TypeCheck(const lang::SchemaSet& schemas, lang::Value doc,
                          lang::Diagnostics& diags);

}  // namespace gorch::compiler
