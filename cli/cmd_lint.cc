// gorch lint: policies (the built-in pack, the repo's .gorch/policies/, --policy
// DIRs) over the compiled desired state; and `gorch lint --test DIR`.
#include <iostream>

#include "commands.h"
#include "compile_flags.h"
#include "gorch/policy/fixtures.h"
#include "gorch/policy/lint.h"
#include "gorch/policy/report.h"

namespace gorch::cli {
namespace {

struct LintArgs {
  CompileFlags flags;
  std::vector<std::string> policy_dirs;
  std::string output = "text";
  std::string fail_on = "error";
  std::string config;
  std::vector<std::string> enable, disable;
  std::string test_dir;
  bool no_builtin = false;
  bool list = false;
};

lang::Severity ParseSeverity(const std::string& s) {
  return s == "warning" ? lang::Severity::kWarning : s == "info" ? lang::Severity::kInfo : lang::Severity::kError;
}

int RunTests(const LintArgs& args) {
  policy::FixtureOptions options;
  options.dir = args.test_dir;
  options.policy_dirs = args.policy_dirs;
  options.schema_dirs = args.flags.schema_dirs;
  options.builtin = !args.no_builtin;
  auto run = policy::RunFixtures(options);
  PrintDiagnostics(run->diags);
  size_t failed = 0;
  for (const auto& r : run->results) {
    std::cout << (r.passed ? "ok    " : "FAIL  ") << r.file << " (" << r.expected << " expected)\n";
    for (const std::string& p : r.problems) std::cout << "        " << p << "\n";
    failed += !r.passed;
  }
  std::cout << run->results.size() << " fixtures, " << (run->results.size() - failed) << " passed, " << failed
            << " failed\n";
  if (run->results.empty() && !run->diags.HasErrors())
    std::cerr << "gorch: error: no fixtures (*.yaml, *.yml, *.json) under " << args.test_dir << "\n";
  return run->ok() ? kExitOk : kExitError;
}

void PrintChecks(const policy::PolicySet& set) {
  for (const policy::Check& c : set.checks()) {
    std::cout << c.policy.name << "  " << lang::SeverityName(c.severity) << (c.enabled ? "" : " (disabled)")
              << (c.builtin ? "" : "  " + c.policy.pos.ToString()) << "\n    " << c.policy.description << "\n";
  }
}

int RunLintCommand(const LintArgs& args) {
  policy::LintRequest request;
  if (!ToCompileOptions(args.flags, request.compile)) return kExitError;
  request.policy_dirs = args.policy_dirs;
  request.config_file = args.config;
  request.enable = args.enable;
  request.disable = args.disable;
  request.builtin = !args.no_builtin;
  auto run = policy::RunLint(request);
  PrintDiagnostics(run->diags);
  if (!run->policies_ok) {
    std::cerr << "gorch: " << run->diags.error_count() << " error(s) in policies, config or source; nothing linted\n";
    return kExitError;
  }
  if (args.list) {
    PrintChecks(run->policies);
    return kExitOk;
  }
  policy::Report report{&run->result.findings, &run->policies, run->source, run->result.resources};
  if (args.output == "json") std::cout << policy::RenderJson(report);
  else if (args.output == "sarif") std::cout << policy::RenderSarif(report);
  else if (args.output == "junit") std::cout << policy::RenderJUnit(report);
  else std::cout << policy::RenderText(report, StdoutIsTerminal());
  if (args.output == "text") std::cerr << policy::Summary(report) << "\n";
  lang::Severity threshold = ParseSeverity(args.fail_on);
  bool failing = std::any_of(run->result.findings.begin(), run->result.findings.end(),
                             [&](const policy::Finding& f) { return policy::AtLeast(f.severity, threshold); });
  if (run->compile_errors > 0)
    std::cerr << "gorch: " << run->compile_errors << " compile error(s)\n";
  return failing || run->diags.HasErrors() ? kExitError : kExitOk;
}

void AddLintCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<LintArgs>();
  CLI::App* cmd = app.add_subcommand("lint", "Check manifests against policies (built-in pack and your own)");
  cmd->footer(
      "Examples:\n"
      "  gorch lint examples/shop\n"
      "  gorch lint --git . --rev HEAD --policy policies/ -o sarif > lint.sarif\n"
      "  gorch lint --test policies/tests\n"
      "Findings print as file:line:col: severity[check]: message, then the remediation.\n"
      "A resource waives a check with the annotation ignore-check.gorch.dev/<check>: \"<reason>\".\n"
      "Exit 1 when a finding at or above --fail-on exists, or on any error.");
  AddCompileFlags(cmd, args->flags);
  // One value per flag, so `--disable x PATH` leaves PATH positional.
  cmd->add_option("--policy", args->policy_dirs, "Directory of *.gorch policies (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("-o,--output", args->output, "Output format")
      ->check(CLI::IsMember({"text", "json", "sarif", "junit"}))
      ->capture_default_str();
  cmd->add_option("--fail-on", args->fail_on, "Exit 1 on a finding at or above this severity")
      ->check(CLI::IsMember({"error", "warning", "info"}))
      ->capture_default_str();
  cmd->add_option("--config", args->config, "Lint config (default: .gorch/lint.yaml of the source, if present)");
  cmd->add_option("--enable", args->enable, "Turn a check on (repeatable)")->allow_extra_args(false);
  cmd->add_option("--disable", args->disable, "Turn a check off (repeatable)")->allow_extra_args(false);
  cmd->add_flag("--no-builtin", args->no_builtin, "Do not load the built-in policy pack");
  cmd->add_flag("--list", args->list, "List the checks (after config) and exit");
  cmd->add_option("--test", args->test_dir, "Run the policies against the fixtures under DIR and exit");
  cmd->callback([args, &state] {
    state.exit_code = args->test_dir.empty() ? RunLintCommand(*args) : RunTests(*args);
  });
}

const bool registered = RegisterCommand("lint", &AddLintCommand);

}  // namespace
}  // namespace gorch::cli
