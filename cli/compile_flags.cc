#include "compile_flags.h"

#include <iostream>

#include "commands.h"

namespace gorch::cli {

void AddCompileFlags(CLI::App* cmd, CompileFlags& flags) {
  cmd->add_option("path", flags.path, "Directory of manifests (default: .)");
  cmd->add_option("--git", flags.git_repo, "Read manifests from this git repository (work tree or bare)");
  cmd->add_option("--rev", flags.git_rev, "Git revision to read with --git (sha, branch, tag, HEAD~1)")
      ->capture_default_str();
  cmd->add_option("--path", flags.git_subdir, "Subdirectory inside the git tree (with --git)");
  cmd->add_option("--schema", flags.schema_dirs, "Directory of extra *.gorch schemas (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--ext-str", flags.ext_strs, "Jsonnet external variable k=v (repeatable)")->allow_extra_args(false);
  cmd->add_option("--jpath,-J", flags.jpaths, "Jsonnet library search directory (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--max-file-size", flags.max_file_size, "Largest manifest file read (e.g. 16Mi, 1000000)")
      ->capture_default_str();
  cmd->add_option("--threads", flags.threads, "Parser and checker threads (0: all cores)");
  cmd->add_flag("--allow-external-refs", flags.allow_external_refs,
                "References to resources not in the source are warnings, not errors");
  cmd->add_option("-n,--namespace", flags.default_namespace,
                  "Namespace of the resources that name none (a git source's --namespace)")
      ->capture_default_str();
}

namespace {

bool ParseSize(const std::string& text, size_t& out) {
  size_t idx = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &idx);
  } catch (...) {
    return false;
  }
  std::string unit = text.substr(idx);
  unsigned long long mult = 1;
  if (unit.empty()) mult = 1;
  else if (unit == "Ki") mult = 1ull << 10;
  else if (unit == "Mi") mult = 1ull << 20;
  else if (unit == "Gi") mult = 1ull << 30;
  else return false;
  out = static_cast<size_t>(n * mult);
  return true;
}

}  // namespace

bool ToCompileOptions(const CompileFlags& flags, compiler::CompileOptions& options) {
  options.path = flags.path;
  options.git_repo = flags.git_repo;
  options.git_rev = flags.git_rev;
  options.git_subdir = flags.git_subdir;
  options.schema_dirs = flags.schema_dirs;
  options.default_namespace = flags.default_namespace;
  options.allow_external_refs = flags.allow_external_refs;
  options.load.jpaths = flags.jpaths;
  options.load.threads = flags.threads;
  if (!ParseSize(flags.max_file_size, options.load.max_file_bytes)) {
    std::cerr << "gorch: error: --max-file-size \"" << flags.max_file_size
              << "\" is not a size (a number of bytes, optionally with Ki, Mi or Gi)\n";
    return false;
  }
  for (const std::string& kv : flags.ext_strs) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "gorch: error: --ext-str \"" << kv << "\" must be KEY=VALUE\n";
      return false;
    }
    options.load.ext_strs[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return true;
}

void PrintDiagnostics(const lang::Diagnostics& diags) {
  const bool colour = StderrIsTerminal();
  for (const lang::Diagnostic& d : diags.all()) {
    std::string text = d.ToString();
    if (colour) {
      const char* c = d.severity == lang::Severity::kError     ? "\033[1;31m"
                      : d.severity == lang::Severity::kWarning ? "\033[1;33m"
                                                               : "\033[1;36m";
      std::string sev(lang::SeverityName(d.severity));
      size_t at = text.find(sev);
      if (at != std::string::npos) text.replace(at, sev.size(), c + sev + "\033[0m");
    }
    std::cerr << text << "\n";
  }
}

}  // namespace gorch::cli
