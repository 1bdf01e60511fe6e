// Log lines of the long-running verbs (server, agent) and their stop signals.
#pragma once

#include <atomic>
#include <string>

namespace gorch::cli {

// Writes "2024-05-01T12:00:00.123Z <who>: <line>" to stderr, one line at a time.
void LogLine(const std::string& who, const std::string& line);

// Installs SIGTERM/SIGINT handlers that set the returned flag (once per process).
const std::atomic<bool>& InstallStopSignals();

}  // namespace gorch::cli
