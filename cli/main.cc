// gorch: a declarative GitOps orchestrator with a config compiler.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <vector>

#include "commands.h"

namespace gorch::cli {
namespace {

struct Registration {
  const char* name;
  CommandRegistrar registrar;
};

std::vector<Registration>& Registry() {
  static std::vector<Registration> registry;
  return registry;
}

}  // namespace

bool RegisterCommand(const char* name, CommandRegistrar registrar) {
  Registry().push_back({name, registrar});
  return true;
}

bool StdoutIsTerminal() { return isatty(STDOUT_FILENO) == 1; }
bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace gorch::cli

int main(int argc, char** argv) {
  using namespace gorch::cli;
  CLI::App app{"gorch: a declarative GitOps orchestrator with a config compiler", "gorch"};
  app.set_version_flag("--version", "gorch 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    std::string where = failed && failed->get_parent() ? "gorch " + failed->get_name() : "gorch";
    return "gorch: error: " + std::string(e.what()) + "\nRun '" + where + " --help' for more information.\n";
  });

  RunState state;
  // Verbs in a stable order, whatever the link order of their files.
  auto registry = Registry();
  std::sort(registry.begin(), registry.end(),
            [](const Registration& a, const Registration& b) { return std::strcmp(a.name, b.name) < 0; });
  for (const auto& r : registry) r.registrar(app, state);

  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto& r : registry) known |= std::strcmp(r.name, argv[1]) == 0;
    if (!known) {
      std::cerr << "gorch: error: unknown command \"" << argv[1] << "\"\nRun 'gorch --help' for the commands.\n";
      return kExitError;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);  // prints help or "error: ..." as appropriate
    return rc == 0 ? kExitOk : kExitError;
  } catch (const std::exception& e) {
    std::cerr << "gorch: error: " << e.what() << "\n";
    return kExitError;
  }
  return state.exit_code;
}
