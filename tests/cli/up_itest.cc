// `gorch up` end to end: it starts a private containerd, a pod of a Deployment
// reaches Running with a real container that answers on its pod IP, and SIGTERM
// stops everything, leaving no containerd, shim or container behind.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace {

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command; returns its exit code and output (stdout and stderr).
int Sh(const std::string& cmd, std::string* out) {
  fs::path tmp = fs::temp_directory_path() / ("gorch-up-sh-" + std::to_string(::getpid()));
  int status = std::system((cmd + " > '" + tmp.string() + "' 2>&1").c_str());
  *out = Slurp(tmp);
  fs::remove(tmp);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Processes (other than this one) whose command line mentions `text`.
int CountProcesses(const std::string& text) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    int pid = std::atoi(e.path().filename().c_str());
    if (pid <= 0 || pid == ::getpid()) continue;
    std::string cmd = Slurp(e.path() / "cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(text) != std::string::npos) ++n;
  }
  return n;
}

// The body of GET / from ip:port over HTTP/1.0 ("" when it cannot connect).
std::string HttpGet(const std::string& ip, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET / HTTP/1.0\r\nHost: " + ip + "\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) response.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

constexpr char kManifest[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
        - name: hello
          image: localhost/busybox:1
          command: ["sh", "-c", "mkdir -p /www && echo hello from gorch up > /www/index.html && exec httpd -f -p 8089 -h /www"]
          ports:
            - {name: http, containerPort: 8089}
)";

class UpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/containerd", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/containerd";
    if (geteuid() != 0) GTEST_SKIP() << "containers need root";
    char tmpl[] = "/tmp/gorch-up-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "app");
    std::ofstream(dir_ / "app" / "hello.yaml") << kManifest;
  }
  void TearDown() override {
    if (pid_ > 0) {  // a test that failed half-way: stop it as a user would, then for sure
      kill(pid_, SIGTERM);
      for (int i = 0; i < 300 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      EXPECT_FALSE(ec) << "data dir not removable: " << ec.message();
    }
  }

  // Starts `gorch up` on a free port; returns its API address from the banner.
  std::string StartUp() {
    pid_ = fork();
    if (pid_ == 0) {
      FILE* out = std::freopen((dir_ / "up.out").c_str(), "w", stdout);
      FILE* err = std::freopen((dir_ / "up.err").c_str(), "w", stderr);
      (void)out;
      (void)err;
      execl(GORCH_BIN, GORCH_BIN, "up", "--data", (dir_ / "data").c_str(), "--listen", "127.0.0.1:0", "--node",
            "upnode", "--pod-subnet", "198.18.251.0/24", "--bridge", "gorchupt0", static_cast<char*>(nullptr));
      _exit(127);
    }
    std::regex api(R"(API\s+(127\.0\.0\.1:\d+))");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      std::string banner = Slurp(dir_ / "up.out");
      if (std::regex_search(banner, m, api)) return m[1];
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        ADD_FAILURE() << "gorch up exited:\n" << Slurp(dir_ / "up.err");
        return "";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "gorch up did not print its banner:\n" << Slurp(dir_ / "up.err");
    return "";
  }

  fs::path dir_;
  pid_t pid_ = 0;
};

TEST_F(UpTest, RunsARealPodAndStopsClean) {
  const std::string address = StartUp();
  ASSERT_FALSE(address.empty());
  const std::string gorch = std::string("'") + GORCH_BIN + "'";
  const std::string socket = (dir_ / "data" / "containerd" / "containerd.sock").string();
  EXPECT_EQ(CountProcesses("containerd --config " + (dir_ / "data" / "containerd").string()), 1);

  std::string out;
  ASSERT_EQ(Sh(gorch + " apply '" + (dir_ / "app").string() + "' --server " + address + " --wait", &out), 0) << out
      << Slurp(dir_ / "up.err");

  // The pod is Running, with an IP of the pod subnet.
  ASSERT_EQ(Sh(gorch + " get pods -n default -o json --server " + address, &out), 0) << out;
  EXPECT_NE(out.find("\"Running\""), std::string::npos) << out;
  std::smatch ip;
  ASSERT_TRUE(std::regex_search(out, ip, std::regex(R"(198\.18\.251\.\d+)"))) << out;

  // A real container: containerd runs its task, and it answers on its pod IP.
  ASSERT_EQ(Sh("ctr --address '" + socket + "' -n k8s.io tasks ls", &out), 0) << out;
  EXPECT_NE(out.find("RUNNING"), std::string::npos) << out;
  const std::string page = HttpGet(ip.str(), 8089);
  EXPECT_NE(page.find("hello from gorch up"), std::string::npos) << page;

  // SIGTERM: gorch up exits 0 and leaves no containerd, shim or container.
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid_, &status, 0), pid_);
  pid_ = 0;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Slurp(dir_ / "up.err");
  EXPECT_EQ(CountProcesses(socket), 0) << "a containerd or shim of this data dir is left";
  EXPECT_EQ(CountProcesses("httpd -f -p 8089"), 0) << "the container is left running";
  EXPECT_EQ(Slurp("/proc/self/mountinfo").find(dir_.string()), std::string::npos) << "mounts are left";
}

}  // namespace
