// RunLint: one `gorch lint` run, from flags to findings.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gorch/compiler/loader.h"
#include "gorch/policy/lint.h"
#include "unserved.h"

namespace gorch::policy {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxPolicyBytes = 8u << 20;

// One file of a directory, as `gorch compile FILE` reads it: the directory is
// the source, only the file is listed.
class SingleFileSource : public compiler::Source {
 public:
  SingleFileSource(std::unique_ptr<compiler::Source> dir, std::string file)
      : dir_(std::move(dir)), file_(std::move(file)) {}
  Result<std::vector<std::string>> ListFiles() const override { return std::vector<std::string>{file_}; }
  Result<std::string> ReadFile(const std::string& path, size_t max_bytes) const override {
    return dir_->ReadFile(path, max_bytes);
  }
  std::string commit() const override { return ""; }
  std::string DisplayName() const override { return dir_->DisplayName(); }
  std::string DisplayPath(const std::string& path) const override { return dir_->DisplayPath(path); }

 private:
  std::unique_ptr<compiler::Source> dir_;
  std::string file_;
};

struct Opened {
  std::unique_ptr<compiler::Source> manifests;  // what to compile
  std::unique_ptr<compiler::Source> repo;       // where .gorch/ lives (root of dir or repo)
};

Result<Opened> OpenSources(const compiler::CompileOptions& o) {
  Opened out;
  if (!o.git_repo.empty()) {
    auto src = compiler::OpenGitSource(o.git_repo, o.git_rev, o.git_subdir);
    if (!src.ok()) return src.status();
    out.manifests = std::move(*src);
    auto root = compiler::OpenGitSource(o.git_repo, o.git_rev, "");
    if (root.ok()) out.repo = std::move(*root);
    return out;
  }
  std::error_code ec;
  if (fs::is_regular_file(o.path, ec)) {
    fs::path p(o.path);
    std::string parent = p.parent_path().empty() ? "." : p.parent_path().string();
    auto dir = compiler::OpenDirectorySource(parent);
    if (!dir.ok()) return dir.status();
    out.manifests = std::make_unique<SingleFileSource>(std::move(*dir), p.filename().string());
    auto root = compiler::OpenDirectorySource(parent);
    if (root.ok()) out.repo = std::move(*root);
    return out;
  }
  auto dir = compiler::OpenDirectorySource(o.path);
  if (!dir.ok()) return dir.status();
  out.manifests = std::move(*dir);
  auto root = compiler::OpenDirectorySource(o.path);
  if (root.ok()) out.repo = std::move(*root);
  return out;
}

// The repo's own policies: .gorch/policies/**/*.gorch of the source's root.
void AddRepoPolicies(const LintRequest& req, const compiler::Source& repo, PolicySet& set,
                     lang::Diagnostics& diags) {
  std::unique_ptr<compiler::Source> dir;
  if (!req.compile.git_repo.empty()) {
    auto src = compiler::OpenGitSource(req.compile.git_repo, req.compile.git_rev, ".gorch/policies");
    if (!src.ok()) return;  // none
    dir = std::move(*src);
  } else {
    std::error_code ec;
    fs::path p = fs::path(req.compile.path);
    fs::path base = fs::is_regular_file(p, ec) ? p.parent_path() : p;
    if (base.empty()) base = ".";
    if (!fs::is_directory(base / ".gorch" / "policies", ec)) return;
    set.AddDir((base / ".gorch" / "policies").string(), false, diags);
    return;
  }
  auto files = dir->ListFiles();
  if (!files.ok()) return;
  for (const std::string& f : *files) {
    if (f.size() < 6 || f.substr(f.size() - 6) != ".gorch") continue;
    auto text = dir->ReadFile(f, kMaxPolicyBytes);
    std::string shown = ".gorch/policies/" + f;
    if (!text.ok()) {
      diags.Error({lang::InternFileName(shown), 0, 0}, "policy", text.status().message());
      continue;
    }
    set.AddFile(shown, *text, diags);
  }
}

// The config: --config FILE, else the source's .gorch/lint.yaml if present; then
// --enable/--disable.
LintConfig LoadConfig(const LintRequest& req, const compiler::Source* repo, lang::Diagnostics& diags) {
  LintConfig config;
  if (!req.config_file.empty()) {
    std::ifstream in(req.config_file, std::ios::binary);
    if (!in) {
      diags.Error({lang::InternFileName(req.config_file), 0, 0}, "lint-config",
                  "cannot read lint config " + req.config_file);
    } else {
      std::stringstream ss;
      ss << in.rdbuf();
      config = ParseLintConfig(req.config_file, ss.str(), diags);
    }
  } else if (repo) {
    auto text = repo->ReadFile(".gorch/lint.yaml", 1u << 20);
    if (text.ok()) config = ParseLintConfig(repo->DisplayPath(".gorch/lint.yaml"), *text, diags);
  }
  lang::SourcePos flag{lang::InternFileName("<command line>"), 0, 0};
  for (const std::string& name : req.enable) config.include.emplace_back(name, flag);
  for (const std::string& name : req.disable) config.exclude.emplace_back(name, flag);
  return config;
}

}  // namespace

std::unique_ptr<LintRun> RunLint(const LintRequest& request) {
  auto run = std::make_unique<LintRun>();
  lang::Diagnostics& diags = run->diags;
  auto schemas = lang::LoadSchemas(request.compile.schema_dirs, diags);
  if (!schemas) {
    run->policies_ok = false;
    return run;
  }
  auto opened = OpenSources(request.compile);
  if (!opened.ok()) {
    std::string where = request.compile.git_repo.empty() ? request.compile.path : request.compile.git_repo;
    diags.Error({lang::InternFileName(where), 0, 0}, "source", opened.status().message());
    run->policies_ok = false;
    return run;
  }
  PolicySet& set = run->policies;
  if (request.builtin) set.AddBuiltin(diags);
  if (opened->repo) AddRepoPolicies(request, *opened->repo, set, diags);
  for (const std::string& dir : request.policy_dirs) set.AddDir(dir, true, diags);
  bool ok = set.Finalize(*schemas, diags);
  ok = set.ApplyConfig(LoadConfig(request, opened->repo.get(), diags), diags) && ok;
  if (!ok || diags.HasErrors()) {
    run->policies_ok = false;
    return run;
  }
  compiler::CompileOptions options = request.compile;
  options.allow_external_refs = true;  // the policies judge references
  compiler::CompileResult compiled = compiler::CompileSource(*opened->manifests, *schemas, options);
  run->source = compiled.state.source;
  run->compile_errors = compiled.diags.error_count();
  std::vector<compiler::Resource> unserved =
      internal::UnservedDocuments(*opened->manifests, *schemas, options, compiled.diags);
  run->result = Lint(compiled.state, unserved, set, LintOptions{options.load.threads});
  diags.Merge(std::move(compiled.diags));
  diags.Merge(std::move(run->result.diags));
  run->result.diags = lang::Diagnostics();
  return run;
}

namespace internal {

// Documents whose apiVersion is no longer served: the compiler rejects them
// (deprecated-api-version), but policies such as no-extensions-v1beta should
// still name them. Only read again when the compiler reported one.
std::vector<compiler::Resource> UnservedDocuments(const compiler::Source& source, const lang::SchemaSet& schemas,
                                                  const compiler::CompileOptions& options,
                                                  const lang::Diagnostics& compile_diags) {
  std::vector<compiler::Resource> out;
  bool any = false;
  for (const auto& d : compile_diags.all())
    any |= d.severity == lang::Severity::kError && d.code == "deprecated-api-version";
  if (!any) return out;
  lang::Diagnostics ignored;  // reported by the compile already
  for (compiler::Manifest& m : compiler::LoadManifests(source, options.load, ignored)) {
    const lang::Value* api = m.doc.Find("apiVersion");
    const lang::Value* kind = m.doc.Find("kind");
    if (!api || !kind || !api->is_string() || !kind->is_string()) continue;
    if (schemas.Find(api->as_string(), kind->as_string()) ||
        !schemas.Replacement(api->as_string(), kind->as_string()))
      continue;
    compiler::Resource r;
    r.id.kind = kind->as_string();
    const lang::Value* name = m.doc.FindPath("metadata.name");
    const lang::Value* ns = m.doc.FindPath("metadata.namespace");
    r.id.name = name && name->is_string() ? name->as_string() : "";
    r.id.namespace_ = ns && ns->is_string() ? ns->as_string() : "default";
    r.api_version = api->as_string();
    r.pos = m.pos;
    r.object = std::move(m.doc);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace internal

}  // namespace gorch::policy
