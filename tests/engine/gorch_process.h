// Running the real gorch binary from tests and benchmarks: a free loopback port,
// a child process with its output in a log file, stopping it, running a verb to
// completion. REQUIRES: GORCH_BINARY defined (the build passes $<TARGET_FILE:gorch>).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace gorch::testing {

inline std::string GorchBinary() { return GORCH_BINARY; }

// A loopback TCP port nobody listens on right now.
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Starts `gorch args...` with stdout and stderr appended to log; returns its pid.
inline pid_t Spawn(const std::vector<std::string>& args, const std::filesystem::path& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    std::string bin = GorchBinary();
    argv.push_back(bin.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// Sends sig and reaps the process.
inline void Stop(pid_t pid, int sig = SIGTERM) {
  ::kill(pid, sig);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

// Runs `gorch args...` to completion; returns its exit code and its output.
inline int RunCli(const std::vector<std::string>& args, std::string* output) {
  namespace fs = std::filesystem;
  fs::path log = fs::temp_directory_path() / ("gorch-cli-" + std::to_string(::getpid()) + ".log");
  fs::remove(log);
  pid_t pid = Spawn(args, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::ifstream in(log);
  output->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  fs::remove(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace gorch::testing
