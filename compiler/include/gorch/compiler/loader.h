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
  uint32_t jsonnet_timeout_ms = 30000;
  unsigned threads = 0;  // 0: all cores. Files are parsed in parallel.
};

// One manifest: a top-level map, with where it starts.
struct Manifest {
  lang::Value doc;
  lang::SourcePos pos;  // file:line:col where the document starts
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
std::vector<Manifest> ParseYaml(std::string_view file_name, std::string_view text,
                                const LoadOptions& options, lang::Diagnostics& diags);

}  // namespace gorch::compiler
