// Where schema texts come from: the embedded builtins and users' directories.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "embedded_schemas.h"
#include "gorch/lang/types.h"

namespace gorch::lang {

namespace fs = std::filesystem;

bool LoadBuiltinSchemas(SchemaSet& set, Diagnostics& diags) {
  size_t errors_before = diags.error_count();
  for (const internal::EmbeddedSchema* s = internal::kEmbeddedSchemas; s->name; ++s)
    set.AddFile(s->name, s->text, diags);
  return diags.error_count() == errors_before;
}

bool LoadSchemaDir(SchemaSet& set, const std::string& dir, Diagnostics& diags) {
  const char* where = InternFileName(dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    diags.Error({where, 0, 0}, "schema", "schema directory does not exist: " + dir);
    return false;
  }
  std::vector<fs::path> files;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".gorch" && it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) {
    diags.Error({where, 0, 0}, "schema", "cannot list schema directory " + dir + ": " + ec.message());
    return false;
  }
  std::sort(files.begin(), files.end());  // deterministic order, hence diagnostics
  size_t errors_before = diags.error_count();
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) {
      diags.Error({InternFileName(path.string()), 0, 0}, "schema", "cannot read schema file");
      continue;
    }
    set.AddFile(path.string(), text.str(), diags);
  }
  return diags.error_count() == errors_before;
}

std::unique_ptr<SchemaSet> LoadSchemas(const std::vector<std::string>& extra_dirs,
                                       Diagnostics& diags) {
  size_t errors_before = diags.error_count();
  auto set = std::make_unique<SchemaSet>();
  LoadBuiltinSchemas(*set, diags);
  for (const auto& dir : extra_dirs) LoadSchemaDir(*set, dir, diags);
  set->Finalize(diags);
  if (diags.error_count() != errors_before) return nullptr;
  return set;
}

}  // namespace gorch::lang
