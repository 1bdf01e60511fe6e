#include "probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gorch::agent {

namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// A connected non-blocking socket, or -1 with *why set.
int Connect(const std::string& host, int port, Clock::time_point deadline, std::string* why) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string ip = host.empty() || host == "localhost" ? "127.0.0.1" : host;
  if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    *why = "probe host \"" + host + "\" is not an IPv4 address";
    return -1;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *why = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const std::string target = ip + ":" + std::to_string(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    *why = "dial " + target + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, RemainingMs(deadline)) != 1) {
    *why = "dial " + target + ": timed out";
    ::close(fd);
    return -1;
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    *why = "dial " + target + ": " + std::strerror(err);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

ProbeOutcome TcpProbe(const std::string& host, int port, std::chrono::milliseconds timeout) {
  std::string why;
  int fd = Connect(host, port, Clock::now() + timeout, &why);
  if (fd < 0) return {false, why};
  ::close(fd);
  return {true, ""};
}

ProbeOutcome HttpProbe(const std::string& host, int port, const std::string& path,
                       std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string why;
  int fd = Connect(host, port, deadline, &why);
  if (fd < 0) return {false, why};
  std::string request = "GET " + (path.empty() ? std::string("/") : path) + " HTTP/1.1\r\nHost: " +
                        (host.empty() ? "localhost" : host) + ":" + std::to_string(port) +
                        "\r\nUser-Agent: gorch-probe/1.0\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) != 1) break;
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string response;
  while (response.find("\r\n") == std::string::npos && response.size() < 4096) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) != 1) break;
    char buf[1024];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  // "HTTP/1.x NNN reason"
  if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0)
    return {false, sent < request.size() ? "request not sent within timeout" : "no HTTP response within timeout"};
  int code = std::atoi(response.c_str() + response.find(' ') + 1);
  if (code >= 200 && code < 400) return {true, ""};
  return {false, "HTTP probe failed with statuscode: " + std::to_string(code)};
}

}  // namespace gorch::agent
