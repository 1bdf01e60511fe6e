#include "etcd_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "gorch/store/etcd_store.h"

namespace gorch::store::testing {
namespace {

// Two distinct free loopback ports (both sockets are held until both are known).
Status FreePorts(int* a, int* b) {
  int fds[2] = {-1, -1};
  int ports[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fds[i] < 0 || bind(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fds[i], reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      for (int fd : fds) {
        if (fd >= 0) close(fd);
      }
      return Status::IOError("cannot find a free loopback port");
    }
    ports[i] = ntohs(addr.sin_port);
  }
  close(fds[0]);
  close(fds[1]);
  *a = ports[0];
  *b = ports[1];
  return Status::Ok();
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace

bool EtcdInstalled() { return access(kEtcdBinary, X_OK) == 0; }

bool InCi() {
  const char* ci = getenv("CI");
  return ci != nullptr && *ci != '\0';
}

Result<std::unique_ptr<EtcdProcess>> EtcdProcess::Start(const std::string& binary) {
  std::unique_ptr<EtcdProcess> p(new EtcdProcess());
  p->binary_ = binary;
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/gorch-etcd-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return Status::IOError("mkdtemp for etcd failed");
  p->root_ = tmpl;
  p->data_dir_ = p->root_ + "/data";
  GORCH_RETURN_IF_ERROR(FreePorts(&p->client_port_, &p->peer_port_));
  p->endpoint_ = "127.0.0.1:" + std::to_string(p->client_port_);
  GORCH_RETURN_IF_ERROR(p->Launch());
  GORCH_RETURN_IF_ERROR(p->WaitReady());
  return p;
}

EtcdProcess::~EtcdProcess() {
  Stop();
  std::error_code ec;
  if (!root_.empty()) std::filesystem::remove_all(root_, ec);
}

Status EtcdProcess::Launch() {
  std::string client = "http://127.0.0.1:" + std::to_string(client_port_);
  std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> args = {binary_,
                                   "--name", "default",
                                   "--data-dir", data_dir_,
                                   "--listen-client-urls", client,
                                   "--advertise-client-urls", client,
                                   "--listen-peer-urls", peer,
                                   "--initial-advertise-peer-urls", peer,
                                   "--initial-cluster", "default=" + peer};
  std::string log = root_ + "/etcd.log";
  pid_t pid = fork();
  if (pid < 0) return Status::IOError("fork for etcd failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
  pid_ = pid;
  return Status::Ok();
}

Status EtcdProcess::WaitReady() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Unavailable("etcd exited at start; its log:\n" + Tail(root_ + "/etcd.log"));
    }
    EtcdOptions o;
    o.endpoints = endpoint_;
    o.dial_timeout = std::chrono::milliseconds(500);
    o.request_timeout = std::chrono::milliseconds(1000);
    auto store = OpenEtcdStore(o);
    if (store.ok()) {
      auto r = (*store)->Range(RangeRequest::Key("/gorch-ready-probe"));
      if (r.ok()) return Status::Ok();
      last = r.status();
    } else {
      last = store.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Unavailable("etcd did not become ready in 30 s (" + last.ToString() + "); its log:\n" +
                             Tail(root_ + "/etcd.log"));
}

Status EtcdProcess::Stop() {
  if (pid_ <= 0) return Status::Ok();
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int wstatus = 0;
  while (waitpid(pid_, &wstatus, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &wstatus, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  return Status::Ok();
}

Status EtcdProcess::Restart() {
  GORCH_RETURN_IF_ERROR(Stop());
  GORCH_RETURN_IF_ERROR(Launch());
  return WaitReady();
}

}  // namespace gorch::store::testing
