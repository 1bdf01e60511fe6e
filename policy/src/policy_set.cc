#include "gorch/policy/policy_set.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "embedded_policies.h"
#include "gorch/policy/lint.h"
#include "suggest_name.h"

namespace gorch::policy {

namespace fs = std::filesystem;

namespace {

struct BindingInfo {
  std::string_view name;
  uint32_t need;
};

constexpr BindingInfo kBindings[] = {
    {"resource", kNeedResource},   {"name", kNeedName},
    {"namespace", kNeedName},      {"labels", kNeedLabels},
    {"annotations", kNeedLabels},  {"podSpec", kNeedPodSpec},
    {"podTemplate", kNeedPodSpec}, {"podLabels", kNeedPodSpec},
    {"containers", kNeedContainers}, {"selects", kNeedSelects},
    {"selectedBy", kNeedSelectedBy}, {"uses", kNeedUses},
    {"usedBy", kNeedUsedBy},
};

uint32_t NeedOf(std::string_view name) {
  for (const auto& b : kBindings)
    if (b.name == name) return b.need;
  return 0;
}

}  // namespace

const std::vector<std::string_view>& BindingNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& b : kBindings) v.push_back(b.name);
    return v;
  }();
  return names;
}

struct PolicySet::Impl {
  std::vector<Check> checks;
  bool had_errors = false;
};

PolicySet::PolicySet() : impl_(std::make_unique<Impl>()) {}
PolicySet::~PolicySet() = default;
PolicySet::PolicySet(PolicySet&&) noexcept = default;
PolicySet& PolicySet::operator=(PolicySet&&) noexcept = default;

const std::vector<Check>& PolicySet::checks() const { return impl_->checks; }

const Check* PolicySet::Find(std::string_view name) const {
  for (const Check& c : impl_->checks)
    if (c.policy.name == name) return &c;
  return nullptr;
}

std::string PolicySet::Suggest(std::string_view name) const {
  std::vector<std::string_view> names;
  for (const Check& c : impl_->checks) names.push_back(c.policy.name);
  return internal::DidYouMean(name, names);
}

void PolicySet::AddFile(std::string_view file_name, std::string_view text, lang::Diagnostics& diags) {
  size_t errors = diags.error_count();
  std::vector<lang::Policy> parsed = lang::ParsePolicyFile(file_name, text, diags);
  if (diags.error_count() != errors) impl_->had_errors = true;
  for (lang::Policy& p : parsed) {
    Check c;
    c.severity = p.severity;
    c.enabled = p.enabled;
    c.policy = std::move(p);
    impl_->checks.push_back(std::move(c));
  }
}

bool PolicySet::AddBuiltin(lang::Diagnostics& diags) {
  size_t errors = diags.error_count();
  size_t first = impl_->checks.size();
  for (int i = 0; i < internal::kEmbeddedPolicyCount; ++i)
    AddFile(internal::kEmbeddedPolicies[i].name, internal::kEmbeddedPolicies[i].text, diags);
  for (size_t i = first; i < impl_->checks.size(); ++i) impl_->checks[i].builtin = true;
  return diags.error_count() == errors;
}

bool PolicySet::AddDir(const std::string& dir, bool required, lang::Diagnostics& diags) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (!required) return true;
    diags.Error({lang::InternFileName(dir), 0, 0}, "policy", "policy directory " + dir + " does not exist");
    impl_->had_errors = true;
    return false;
  }
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".gorch") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  size_t errors = diags.error_count();
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) {
      diags.Error({lang::InternFileName(f.string()), 0, 0}, "policy", "cannot read " + f.string());
      continue;
    }
    AddFile(f.string(), ss.str(), diags);
  }
  return diags.error_count() == errors;
}

namespace {

// The names a kind's documents have at the top level.
void TopLevelFields(const lang::SchemaSet& schemas, const std::vector<std::string>& kinds,
                    std::set<std::string, std::less<>>& out) {
  out.insert({"apiVersion", "kind", "metadata"});
  for (const lang::KindSchema* k : schemas.kinds()) {
    if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), k->kind) == kinds.end()) continue;
    if (!k->body) continue;
    for (const lang::Field& f : k->body->fields) out.insert(f.name);
  }
}

class NameChecker {
 public:
  NameChecker(const lang::SchemaSet& schemas, Check& check, lang::Diagnostics& diags)
      : check_(check), diags_(diags) {
    TopLevelFields(schemas, check.policy.kinds, fields_);
  }

  void Run() {
    for (const lang::PolicyStep& step : check_.policy.steps) {
      if (const auto* let = std::get_if<lang::PolicyLet>(&step)) {
        CheckExpr(*let->value, {});
        Declare(let->name, let->pos, {});
        lets_.push_back(let->name);
        continue;
      }
      const auto& rule = std::get<lang::PolicyRule>(step);
      std::vector<std::string> vars;
      for (const lang::PolicyLoop& loop : rule.loops) {
        CheckExpr(*loop.list, vars);
        Declare(loop.var, loop.pos, vars);
        vars.push_back(loop.var);
      }
      CheckExpr(*rule.condition, vars);
      if (rule.at) CheckExpr(*rule.at, vars);
      for (const auto& part : rule.message.parts)
        if (part.expr) CheckExpr(*part.expr, vars);
    }
  }

 private:
  // Names do not shadow each other: every name means one thing in a policy.
  void Declare(const std::string& name, lang::SourcePos pos, const std::vector<std::string>& vars) {
    bool taken = NeedOf(name) != 0 || std::find(lets_.begin(), lets_.end(), name) != lets_.end() ||
                 std::find(vars.begin(), vars.end(), name) != vars.end();
    if (taken)
      diags_.Error(pos, "policy", "'" + name + "' is already defined in policy \"" + check_.policy.name +
                                      "\"; choose another name");
  }

  void CheckExpr(const lang::Expr& e, const std::vector<std::string>& vars) {
    lang::ForEachFreeName(e, [&](const std::string& name, lang::SourcePos pos) {
      if (std::find(vars.begin(), vars.end(), name) != vars.end()) return;
      if (std::find(lets_.begin(), lets_.end(), name) != lets_.end()) return;
      if (uint32_t need = NeedOf(name)) {
        check_.needs |= need;
        return;
      }
      if (fields_.count(name)) {
        check_.needs |= kNeedResource;  // read from self
        return;
      }
      std::vector<std::string_view> candidates(vars.begin(), vars.end());
      candidates.insert(candidates.end(), lets_.begin(), lets_.end());
      for (auto b : BindingNames()) candidates.push_back(b);
      for (const auto& f : fields_) candidates.push_back(f);
      diags_.Error(pos, "policy",
                   "unknown name '" + name + "' in policy \"" + check_.policy.name + "\"" +
                       internal::DidYouMean(name, candidates) +
                       ": not a binding, a let, a loop variable or a top-level field of the kinds it matches");
    });
  }

  Check& check_;
  lang::Diagnostics& diags_;
  std::set<std::string, std::less<>> fields_;
  std::vector<std::string> lets_;
};

}  // namespace

bool PolicySet::Finalize(const lang::SchemaSet& schemas, lang::Diagnostics& diags) {
  size_t errors = diags.error_count();
  std::map<std::string, const Check*> seen;
  std::vector<Check> kept;
  for (Check& c : impl_->checks) {
    size_t before = diags.error_count();
    if (auto [it, fresh] = seen.emplace(c.policy.name, &c); !fresh) {
      diags.Error(c.policy.pos, "policy",
                  "duplicate policy \"" + c.policy.name + "\" (first declared at " +
                      it->second->policy.pos.ToString() + ")");
      continue;
    }
    if (c.policy.name == kInvalidWaiverCheck) {
      diags.Error(c.policy.pos, "policy", "\"" + c.policy.name + "\" is reserved for gorch's own waiver check");
      continue;
    }
    std::vector<std::string_view> all_kinds;
    for (const lang::KindSchema* k : schemas.kinds()) all_kinds.push_back(k->kind);
    for (const std::string& kind : c.policy.kinds) {
      if (schemas.FindAllVersions(kind).empty())
        diags.Error(c.policy.kinds_pos, "policy",
                    "policy \"" + c.policy.name + "\" matches unknown kind \"" + kind + "\"" +
                        internal::DidYouMean(kind, all_kinds));
    }
    NameChecker(schemas, c, diags).Run();
    if (diags.error_count() == before) kept.push_back(std::move(c));
  }
  impl_->checks = std::move(kept);
  return !impl_->had_errors && diags.error_count() == errors;
}

bool PolicySet::ApplyConfig(const LintConfig& config, lang::Diagnostics& diags) {
  size_t errors = diags.error_count();
  auto find = [&](const std::string& name, const lang::SourcePos& pos) -> Check* {
    for (Check& c : impl_->checks)
      if (c.policy.name == name) return &c;
    diags.Error(pos, "lint-config", "no check named \"" + name + "\"" + Suggest(name));
    return nullptr;
  };
  for (const auto& [name, pos] : config.include)
    if (Check* c = find(name, pos)) c->enabled = true;
  for (const auto& [name, pos] : config.exclude)
    if (Check* c = find(name, pos)) c->enabled = false;
  for (const auto& [name, sev, pos] : config.severity)
    if (Check* c = find(name, pos)) c->severity = sev;
  return diags.error_count() == errors;
}

void PolicySet::RestrictTo(const std::vector<std::string>& names) {
  for (Check& c : impl_->checks)
    c.enabled = std::find(names.begin(), names.end(), c.policy.name) != names.end();
}

std::vector<bool> PolicySet::Enabled() const {
  std::vector<bool> out;
  for (const Check& c : impl_->checks) out.push_back(c.enabled);
  return out;
}

void PolicySet::SetEnabled(const std::vector<bool>& enabled) {
  for (size_t i = 0; i < impl_->checks.size() && i < enabled.size(); ++i) impl_->checks[i].enabled = enabled[i];
}

}  // namespace gorch::policy
