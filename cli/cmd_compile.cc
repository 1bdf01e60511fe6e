// gorch compile: compile and type-check manifests into the desired-state graph.
#include <iomanip>
#include <iostream>
#include <map>

#include "commands.h"
#include "compile_flags.h"

namespace gorch::cli {
namespace {

struct CompileArgs {
  CompileFlags flags;
  std::string output = "text";
};

void PrintSummary(const compiler::DesiredState& state, const lang::Diagnostics& diags) {
  std::map<std::string, std::pair<int, bool>> kinds;  // kind -> (count, runs)
  for (const auto& r : state.resources) {
    auto& k = kinds[r.id.kind];
    ++k.first;
    k.second = r.runs;
  }
  std::cout << "Compiled " << state.source;
  if (!state.commit.empty()) std::cout << " at commit " << state.commit.substr(0, 12);
  std::cout << ": " << state.resources.size() << " resources, " << state.edges.size() << " edges\n\n";
  std::cout << "  " << std::left << std::setw(28) << "KIND" << std::setw(7) << "COUNT" << "\n";
  for (const auto& [kind, k] : kinds) {
    std::cout << "  " << std::left << std::setw(28) << kind << std::setw(7) << k.first
              << (k.second ? "" : "kept, not run by gorch") << "\n";
  }
  std::cout << "\nOrder (dependencies first):\n";
  size_t i = 0;
  for (size_t idx : state.order) {
    const auto& r = state.resources[idx];
    std::string ident = r.id.kind + " " + (r.id.namespace_.empty() ? "" : r.id.namespace_ + "/") + r.id.name;
    std::cout << "  " << std::right << std::setw(3) << ++i << ". " << std::left << std::setw(48) << ident
              << r.pos.ToString() << "\n";
  }
  std::cout << "\nDesired state " << state.hash.substr(0, 16) << ": " << diags.error_count() << " errors, "
            << diags.warning_count() << " warnings\n";
}

void AddCompileCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<CompileArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compile", "Compile and type-check manifests into the desired-state graph");
  cmd->footer(
      "Examples:\n"
      "  gorch compile examples/shop\n"
      "  gorch compile --git . --rev HEAD~1 --path deploy -o json\n"
      "Problems go to stderr as file:line:col: error[CODE]: message; exit 1 on any error.");
  AddCompileFlags(cmd, args->flags);
  cmd->add_option("-o,--output", args->output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([args, &state] {
    compiler::CompileOptions options;
    if (!ToCompileOptions(args->flags, options)) {
      state.exit_code = kExitError;
      return;
    }
    compiler::CompileResult result = compiler::Compile(options);
    PrintDiagnostics(result.diags);
    if (!result.ok()) {
      std::cerr << "gorch: " << result.diags.error_count() << " error(s); nothing compiled\n";
      state.exit_code = kExitError;
      return;
    }
    if (args->output == "json")
      std::cout << result.state.ToJson() << "\n";
    else
      PrintSummary(result.state, result.diags);
  });
}

const bool registered = RegisterCommand("compile", &AddCompileCommand);

}  // namespace
}  // namespace gorch::cli
