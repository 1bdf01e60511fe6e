// The lint config file (.gorch/lint.yaml, --config FILE), read with the
// compiler's YAML loader so every problem has its file:line:col.
#include "gorch/compiler/loader.h"
#include "gorch/policy/policy_set.h"

namespace gorch::policy {

namespace {

void Names(const lang::Value& v, std::string_view key, lang::Diagnostics& diags,
           std::vector<std::pair<std::string, lang::SourcePos>>& out) {
  if (!v.is_list()) {
    diags.Error(v.pos(), "lint-config", "checks." + std::string(key) + " must be a list of check names");
    return;
  }
  for (const lang::Value& item : v.as_list()) {
    if (item.is_string()) out.emplace_back(item.as_string(), item.pos());
    else diags.Error(item.pos(), "lint-config", "checks." + std::string(key) + " must list check names (strings)");
  }
}

}  // namespace

LintConfig ParseLintConfig(std::string_view file_name, std::string_view text, lang::Diagnostics& diags) {
  LintConfig config;
  std::vector<compiler::Manifest> docs = compiler::ParseYaml(file_name, text, compiler::LoadOptions{}, diags);
  if (docs.size() > 1) diags.Error(docs[1].pos, "lint-config", "a lint config is one YAML document");
  if (docs.empty()) return config;
  const lang::Value& root = docs[0].doc;
  for (const auto& [key, value] : root.as_map()) {
    if (key != "checks") {
      diags.Error(value.pos(), "lint-config", "unknown key \"" + key + "\" (a lint config has `checks:`)");
      continue;
    }
    if (!value.is_map()) {
      diags.Error(value.pos(), "lint-config", "checks must be a map with include, exclude, severity");
      continue;
    }
    for (const auto& [k, v] : value.as_map()) {
      if (k == "include") {
        Names(v, k, diags, config.include);
      } else if (k == "exclude") {
        Names(v, k, diags, config.exclude);
      } else if (k == "severity") {
        if (!v.is_map()) {
          diags.Error(v.pos(), "lint-config", "checks.severity must map check names to error, warning or info");
          continue;
        }
        for (const auto& [name, sev] : v.as_map()) {
          std::string s = sev.is_string() ? sev.as_string() : "";
          lang::Severity level;
          if (s == "error") level = lang::Severity::kError;
          else if (s == "warning") level = lang::Severity::kWarning;
          else if (s == "info") level = lang::Severity::kInfo;
          else {
            diags.Error(sev.pos(), "lint-config", "severity of \"" + name + "\" must be error, warning or info");
            continue;
          }
          config.severity.emplace_back(name, level, sev.pos());
        }
      } else {
        diags.Error(v.pos(), "lint-config", "unknown key \"checks." + k + "\" (include, exclude or severity)");
      }
    }
  }
  return config;
}

}  // namespace gorch::policy
