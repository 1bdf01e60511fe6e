// Loaders: turn a Source's files into manifests (lang::Value trees with
// file:line:col on every node). YAML (multi-document, flow style, anchors and
// aliases), JSON, and Jsonnet (*.jsonnet; *.libsonnet are only imported).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gorch/compiler/source.h"
#include "gorch/lang/diagnostic.h"
#include "gorch/lang/value.h"

namespace gorch::compiler {

struct LoadOptions {
  size_t max_file_bytes = 16u << 20;     // a larger file is an error, not read
  uint32_t max_depth = 128;              // nesting of maps/lists
  uint64_t max_alias_nodes = 1u << 20;   // nodes produced by alias expansion per file
  // Jsonnet
  std::map<std::string, std::string> ext_strs;  // --ext-str k=v
  std::vector<std::string> jpaths;              // --jpath DIR (library search dirs)
  uint32_t jsonnet_max_stack = 500;
  uint32_t jsonnet_timeout_ms = 30000;  // per .jsonnet file; 0: no limit
  uint32_t jsonnet_max_memory_mb = 4096;  // heap of the evaluating process; 0: no limit
  unsigned threads = 0;  // 0: all cores. Files are parsed in parallel.
};

// One manifest: a top-level map, with where it starts.
struct Manifest {
  lang::Value doc;
  // Where the manifest starts: for YAML the position of its top-level map (its
  // first key, or the '{'); for an item of a `kind: List`, that item's map; for
  // Jsonnet the .jsonnet file with line 0 (its output has no positions).
  lang::SourcePos pos;
};

// Loads every manifest file of the source (*.yaml, *.yml, *.json, *.jsonnet),
// in parallel, and returns the manifests in a deterministic order (by file path,
// then position in the file). Each problem (malformed YAML, non-UTF-8 bytes,
// size/depth/alias limits, Jsonnet errors with their location, a document that
// is not a map) goes to diags; loading goes on with the other files.
// Empty documents (`---` alone, comments only) are skipped; a YAML `List` kind
// (kind: List, items: [...]) is flattened into its items.
std::vector<Manifest> LoadManifests(const Source& source, const LoadOptions& options,
                                    lang::Diagnostics& diags);

// Parses one YAML or JSON text (possibly multi-document) as file_name.
// Positions are 1-based; columns count bytes (as yaml-cpp does). Scalars resolve
// as Kubernetes' YAML does (go-yaml v2, YAML 1.1): plain yes/no/on/off/y/n/true/
// false in their accepted spellings are bools, ~/null/empty are null, 0x/0o/0
// prefixed ints, .inf/.nan floats; quoted scalars are strings; !!str, !!int,
// !!float, !!bool, !!null tags are honoured. Map keys keep their text. Merge
// keys (<<) are supported; explicit keys win over merged ones.
// Thread-safe (no shared state).
std::vector<Manifest> ParseYaml(std::string_view file_name, std::string_view text,
                                const LoadOptions& options, lang::Diagnostics& diags);

// Evaluates the Jsonnet file `path` of source in a child process (killed after
// options.jsonnet_timeout_ms), with options.ext_strs as std.extVar()s. Imports
// resolve inside the source, relative to the importing file, then in
// options.jpaths (relative to the source root; an absolute jpath is a local
// directory). The output may be a manifest, an array of them, or an object
// whose fields are (recursively) manifests or arrays of them; nulls are
// skipped. Errors are reported at the location Jsonnet gives (file:line:col).
std::vector<Manifest> LoadJsonnet(const Source& source, const std::string& path,
                                  const LoadOptions& options, lang::Diagnostics& diags);

}  // namespace gorch::compiler
