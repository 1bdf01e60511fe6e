// Flags shared by every verb that compiles a source (compile, lint, plan, apply),
// and the printing of diagnostics.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "gorch/compiler/compile.h"
#include "gorch/lang/diagnostic.h"

namespace gorch::cli {

struct CompileFlags {
  std::string path = ".";
  std::string git_repo;
  std::string git_rev = "HEAD";
  std::string git_subdir;
  std::vector<std::string> schema_dirs;
  std::vector<std::string> ext_strs;  // k=v
  std::vector<std::string> jpaths;
  std::string max_file_size = "16Mi";
  unsigned threads = 0;
  bool allow_external_refs = false;
  std::string default_namespace = "default";
};

// Adds PATH, --git/--rev/--path, --schema, --ext-str, --jpath, --max-file-size,
// --threads, --allow-external-refs and -n/--namespace to cmd.
void AddCompileFlags(CLI::App* cmd, CompileFlags& flags);

// Turns the flags into CompileOptions; a malformed flag value is reported to
// stderr and returns false.
bool ToCompileOptions(const CompileFlags& flags, compiler::CompileOptions& options);

// Prints every diagnostic to stderr, "file:line:col: error[CODE]: message",
// coloured only on a terminal.
void PrintDiagnostics(const lang::Diagnostics& diags);

}  // namespace gorch::cli
