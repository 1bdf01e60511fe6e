#include "gorch/policy/fixtures.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gorch/compiler/compile.h"
#include "gorch/policy/lint.h"
#include "unserved.h"

namespace gorch::policy {

namespace fs = std::filesystem;

bool FixtureRun::ok() const {
  if (diags.HasErrors() || results.empty()) return false;
  return std::all_of(results.begin(), results.end(), [](const FixtureResult& r) { return r.passed; });
}

namespace {

struct Expectation {
  std::string check;
  uint32_t line = 0, col = 0;  // col 0: any
  bool matched = false;
};

struct Spec {
  std::vector<std::string> checks;
  std::vector<Expectation> expect;
};

std::string Trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r"));
  s.erase(s.find_last_not_of(" \t\r") + 1);
  return s;
}

// Reads the `# checks:` and `# expect:` comment lines.
Spec ReadSpec(const std::string& file, const std::string& text, lang::Diagnostics& diags) {
  Spec spec;
  std::istringstream in(text);
  std::string line;
  uint32_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string t = Trim(line);
    if (t.rfind('#', 0) != 0) continue;
    t = Trim(t.substr(1));
    if (t.rfind("checks:", 0) == 0) {
      std::stringstream list(t.substr(7));
      std::string item;
      while (std::getline(list, item, ',')) {
        item = Trim(item);
        if (!item.empty()) spec.checks.push_back(item);
      }
    } else if (t.rfind("expect:", 0) == 0) {
      std::istringstream fields(t.substr(7));
      Expectation e;
      std::string where;
      fields >> e.check >> where;
      unsigned line_no = 0, col = 0;
      int got = std::sscanf(where.c_str(), "%u:%u", &line_no, &col);
      if (e.check.empty() || got < 1 || line_no == 0) {
        diags.Error({lang::InternFileName(file), n, 1}, "lint-test",
                    "expectation must be `# expect: CHECK LINE[:COL]`, got \"" + t + "\"");
        continue;
      }
      e.line = line_no;
      e.col = got == 2 ? col : 0;
      spec.expect.push_back(std::move(e));
    }
  }
  return spec;
}

// What happened in one fixture: findings and compile errors, as one list.
struct Got {
  std::string check;
  lang::SourcePos pos;
  std::string text;
};

FixtureResult Judge(const std::string& file, Spec& spec, const std::vector<Got>& got) {
  FixtureResult r;
  r.file = file;
  r.expected = spec.expect.size();
  for (const Got& g : got) {
    auto it = std::find_if(spec.expect.begin(), spec.expect.end(), [&](const Expectation& e) {
      return !e.matched && e.check == g.check && e.line == g.pos.line && (e.col == 0 || e.col == g.pos.col);
    });
    if (it != spec.expect.end()) it->matched = true;
    else r.problems.push_back("unexpected: " + g.text);
  }
  for (const Expectation& e : spec.expect) {
    if (e.matched) continue;
    r.problems.push_back("missing: " + e.check + " at line " + std::to_string(e.line) +
                         (e.col ? ":" + std::to_string(e.col) : ""));
  }
  r.passed = r.problems.empty();
  return r;
}

}  // namespace

std::unique_ptr<FixtureRun> RunFixtures(const FixtureOptions& options) {
  auto run = std::make_unique<FixtureRun>();
  lang::Diagnostics& diags = run->diags;
  std::error_code ec;
  if (!fs::is_directory(options.dir, ec)) {
    diags.Error({lang::InternFileName(options.dir), 0, 0}, "lint-test", "test directory " + options.dir + " does not exist");
    return run;
  }
  auto schemas = lang::LoadSchemas(options.schema_dirs, diags);
  if (!schemas) return run;
  PolicySet set;
  if (options.builtin) set.AddBuiltin(diags);
  for (const std::string& dir : options.policy_dirs) set.AddDir(dir, true, diags);
  set.AddDir(options.dir, true, diags);
  if (!set.Finalize(*schemas, diags)) return run;

  std::vector<fs::path> fixtures;
  for (auto it = fs::recursive_directory_iterator(options.dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string ext = it->path().extension().string();
    if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) fixtures.push_back(it->path());
  }
  std::sort(fixtures.begin(), fixtures.end());
  const std::vector<bool> enabled = set.Enabled();
  for (const fs::path& path : fixtures) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    std::string shown = path.string();
    Spec spec = ReadSpec(shown, text, diags);
    set.SetEnabled(enabled);
    if (!spec.checks.empty()) {
      for (const std::string& c : spec.checks)
        if (!set.Find(c))
          diags.Error({lang::InternFileName(shown), 0, 0}, "lint-test", "`# checks:` names no check \"" + c + "\"" + set.Suggest(c));
      set.RestrictTo(spec.checks);
    }
    std::string dir = path.parent_path().string();
    auto source = compiler::MakeMemorySource({{path.filename().string(), text}}, dir.empty() ? "" : dir + "/");
    compiler::CompileOptions copts;
    copts.allow_external_refs = true;
    copts.load.threads = 1;
    compiler::CompileResult compiled = compiler::CompileSource(*source, *schemas, copts);
    std::vector<compiler::Resource> unserved =
        internal::UnservedDocuments(*source, *schemas, copts, compiled.diags);
    LintResult linted = Lint(compiled.state, unserved, set, LintOptions{1});
    std::vector<Got> got;
    for (const lang::Diagnostic& d : compiled.diags.all())
      if (d.severity == lang::Severity::kError) got.push_back({d.code, d.pos, d.ToString()});
    for (const Finding& f : linted.findings)
      got.push_back({f.check, f.pos,
                     f.pos.ToString() + ": " + std::string(lang::SeverityName(f.severity)) + "[" + f.check + "]: " +
                         f.message});
    for (const lang::Diagnostic& d : linted.diags.all()) got.push_back({d.code, d.pos, d.ToString()});
    run->results.push_back(Judge(shown, spec, got));
  }
  set.SetEnabled(enabled);
  return run;
}

}  // namespace gorch::policy
