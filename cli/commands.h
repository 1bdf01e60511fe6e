// Each verb of the gorch CLI lives in its own cmd_<verb>.cc and registers itself
// here. A verb's callback does argument handling and output only; the work is a
// call into the libraries. Exit codes (DESIGN.md): 0 ok, 1 error, 2 changes
// present (with --detailed-exitcode).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace gorch::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitChanges = 2;

// Set by a verb's callback; main() returns it.
struct RunState {
  int exit_code = kExitOk;
};

using CommandRegistrar = void (*)(CLI::App& app, RunState& state);

// Registers a verb at static-initialisation time. Usage, in cmd_x.cc:
//   static const bool registered = RegisterCommand("x", &AddXCommand);
bool RegisterCommand(const char* name, CommandRegistrar registrar);

// True when stdout is a terminal (colours and progress only then).
bool StdoutIsTerminal();
bool StderrIsTerminal();

}  // namespace gorch::cli
