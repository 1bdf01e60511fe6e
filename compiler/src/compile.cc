// The compile driver: source → manifests → checked manifests → graph.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "gorch/compiler/compile.h"
#include "graph_internal.h"

namespace gorch::compiler {

namespace {

// Type check, then the content hash while the object is hot in this thread's cache.
CheckedManifest CheckAndHash(const lang::SchemaSet& schemas, lang::Value doc, lang::Diagnostics& diags) {
  CheckedManifest m = TypeCheck(schemas, std::move(doc), diags);
  if (m.schema && m.object.is_map()) m.content_hash = Sha256Hex(m.object.ToCanonicalJson());
  return m;
}

// Type-checks every manifest, in parallel over contiguous chunks; diagnostics
// are merged in manifest order so the output does not depend on scheduling.
std::vector<CheckedManifest> CheckAll(std::vector<Manifest> manifests, const lang::SchemaSet& schemas,
                                      unsigned threads, lang::Diagnostics& diags) {
  const size_t n = manifests.size();
  std::vector<CheckedManifest> checked(n);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, n / 64)));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) checked[i] = CheckAndHash(schemas, std::move(manifests[i].doc), diags);
    return checked;
  }
  std::vector<lang::Diagnostics> per_thread(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      size_t begin = n * t / threads, end = n * (t + 1) / threads;
      for (size_t i = begin; i < end; ++i)
        checked[i] = CheckAndHash(schemas, std::move(manifests[i].doc), per_thread[t]);
    });
  }
  for (auto& th : pool) th.join();
  for (auto& d : per_thread) diags.Merge(std::move(d));
  return checked;
}

// One file of a directory: `gorch compile web.yaml`. The file's directory is the
// source, so a Jsonnet file's imports still resolve next to it; only the file
// itself is loaded.
class SingleFileSource : public Source {
 public:
  SingleFileSource(std::unique_ptr<Source> dir, std::string file) : dir_(std::move(dir)), file_(std::move(file)) {}
  Result<std::vector<std::string>> ListFiles() const override { return std::vector<std::string>{file_}; }
  Result<std::string> ReadFile(const std::string& path, size_t max_bytes) const override {
    return dir_->ReadFile(path, max_bytes);
  }
  std::string commit() const override { return ""; }
  std::string DisplayName() const override { return dir_->DisplayName(); }
  std::string DisplayPath(const std::string& path) const override { return dir_->DisplayPath(path); }

 private:
  std::unique_ptr<Source> dir_;
  std::string file_;
};

Result<std::unique_ptr<Source>> OpenPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return OpenDirectorySource(path);
  fs::path p(path);
  std::string parent = p.parent_path().empty() ? "." : p.parent_path().string();
  auto dir = OpenDirectorySource(parent);
  if (!dir.ok()) return dir.status();
  return std::unique_ptr<Source>(new SingleFileSource(std::move(*dir), p.filename().string()));
}

}  // namespace

CompileResult CompileSource(const Source& source, const lang::SchemaSet& schemas,
                            const CompileOptions& options) {
  CompileResult result;
  std::vector<Manifest> manifests = LoadManifests(source, options.load, result.diags);
  std::vector<CheckedManifest> checked =
      CheckAll(std::move(manifests), schemas, options.load.threads, result.diags);
  result.state = BuildGraph(std::move(checked), options, result.diags);
  result.state.commit = source.commit();
  result.state.source = source.DisplayName();
  result.diags.SortByPosition();
  return result;
}

CompileResult Compile(const CompileOptions& options) {
  CompileResult result;
  Result<std::unique_ptr<Source>> source =
      options.git_repo.empty() ? OpenPath(options.path)
                               : OpenGitSource(options.git_repo, options.git_rev, options.git_subdir);
  if (!source.ok()) {
    std::string where = options.git_repo.empty() ? options.path : options.git_repo;
    result.diags.Error({lang::InternFileName(where), 0, 0}, "source", source.status().message());
    return result;
  }
  auto schemas = lang::LoadSchemas(options.schema_dirs, result.diags);
  if (!schemas) return result;
  CompileResult compiled = CompileSource(**source, *schemas, options);
  compiled.diags.Merge(std::move(result.diags));
  compiled.diags.SortByPosition();
  return compiled;
}

}  // namespace gorch::compiler
