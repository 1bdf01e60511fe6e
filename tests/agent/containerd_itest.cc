// A private containerd in a temp dir (containerd.h): starts, answers, imports the
// local images, restarts, stops leaving nothing behind, and runs beside another.
#include "gorch/agent/containerd.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gorch/agent/images.h"
#include "import_assertion.h"

namespace gorch::agent {
namespace {
namespace fs = std::filesystem;

// Pids of live processes whose command line mentions `text`.
std::vector<int> ProcessesMentioning(const std::string& text) {
  std::vector<int> pids;
  for (const auto& e : fs::directory_iterator("/proc")) {
    int pid = std::atoi(e.path().filename().c_str());
    if (pid <= 0 || pid == getpid()) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string cmd = buffer.str();
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(text) != std::string::npos) pids.push_back(pid);
  }
  return pids;
}

class ContainerdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/containerd", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/containerd";
    if (geteuid() != 0) GTEST_SKIP() << "containerd needs root";
    char tmpl[] = "/tmp/gorch-ctrd-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      EXPECT_FALSE(ec) << "temp dir not removable after Stop: " << ec.message();
    }
  }
  fs::path dir_;
};

TEST_F(ContainerdTest, StartsImportsRestartsAndStopsClean) {
  ContainerdOptions options;
  options.dir = dir_ / "a";
  auto c = PrivateContainerd::Start(options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::string socket = (*c)->SocketPath();
  EXPECT_EQ((*c)->Endpoint(), "unix://" + socket);
  EXPECT_TRUE(fs::exists(socket));
  EXPECT_GT((*c)->Pid(), 0);

  std::string config = [&] {
    std::ifstream in(dir_ / "a" / "config.toml");
    std::stringstream b;
    b << in.rdbuf();
    return b.str();
  }();
  EXPECT_NE(config.find("restrict_oom_score_adj = true"), std::string::npos);
  EXPECT_NE(config.find("sandbox_image = \"localhost/pause:1\""), std::string::npos);

  ASSERT_TRUE(Imported((*c)->Endpoint()));
  auto images = RunCtr(socket, {"-n", "k8s.io", "images", "ls", "-q"});
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  EXPECT_NE(images->find("localhost/busybox:1"), std::string::npos) << *images;
  EXPECT_NE(images->find("localhost/pause:1"), std::string::npos) << *images;
  // Importing again is harmless.
  ASSERT_TRUE(Imported((*c)->Endpoint()));

  const pid_t first = (*c)->Pid();
  ASSERT_TRUE((*c)->Restart().ok());
  EXPECT_NE((*c)->Pid(), first);
  auto after = RunCtr(socket, {"-n", "k8s.io", "images", "ls", "-q"});
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->find("localhost/busybox:1"), std::string::npos) << "images survive a restart";

  // A container run through containerd (not CRI): Stop must kill it and its shim.
  const std::string id = "gorch-itest-" + std::to_string(getpid());
  auto run = RunCtr(socket, {"-n", "k8s.io", "run", "-d", "--null-io", "localhost/busybox:1", id, "sleep", "3000"});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_FALSE(ProcessesMentioning("-address " + socket).empty()) << "a shim runs for the container";

  ASSERT_TRUE((*c)->Stop().ok());
  EXPECT_EQ((*c)->Pid(), 0);
  EXPECT_TRUE(ProcessesMentioning(socket).empty()) << "no containerd or shim of this dir is left";
  EXPECT_TRUE(ProcessesMentioning(dir_.string() + "/a/").empty());
  EXPECT_TRUE(ProcessesMentioning("sleep 3000").empty()) << "the container was killed";
  for (const char* hierarchy : {"memory", "pids", "cpu"}) {
    EXPECT_FALSE(fs::exists(fs::path("/sys/fs/cgroup") / hierarchy / "k8s.io" / id))
        << "the container's " << hierarchy << " cgroup is removed";
  }
  EXPECT_TRUE((*c)->Stop().ok()) << "Stop is idempotent";
}

TEST_F(ContainerdTest, TwoInstancesRunSideBySide) {
  ContainerdOptions a_options, b_options;
  a_options.dir = dir_ / "a";
  b_options.dir = dir_ / "b";
  b_options.pod_subnet = "198.18.250.0/24";
  b_options.bridge = "gorchtest0";
  auto a = PrivateContainerd::Start(a_options);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = PrivateContainerd::Start(b_options);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE((*a)->SocketPath(), (*b)->SocketPath());
  EXPECT_TRUE(fs::exists(dir_ / "b" / "cni" / "net.d" / "10-gorch.conflist"));
  EXPECT_FALSE(fs::exists(dir_ / "a" / "cni" / "net.d" / "10-gorch.conflist"));
  ASSERT_TRUE(Imported((*a)->Endpoint()));
  // Each has its own content store: b did not get a's images.
  auto b_images = RunCtr((*b)->SocketPath(), {"-n", "k8s.io", "images", "ls", "-q"});
  ASSERT_TRUE(b_images.ok());
  EXPECT_EQ(b_images->find("localhost/busybox:1"), std::string::npos);
  (*a)->Stop();
  auto b_version = RunCtr((*b)->SocketPath(), {"version"});
  EXPECT_TRUE(b_version.ok()) << "b keeps running when a stops: " << b_version.status().ToString();
}

TEST_F(ContainerdTest, BadOptionsAreClearErrors) {
  ContainerdOptions options;
  options.dir = dir_ / "c";
  options.pod_subnet = "10.0.0.0";
  auto c = PrivateContainerd::Start(options);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalidArgument());
  EXPECT_NE(c.status().message().find("10.0.0.0"), std::string::npos);

  options.pod_subnet = "";
  options.containerd_binary = "/bin/false";  // exits at once
  c = PrivateContainerd::Start(options);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("containerd.log"), std::string::npos) << c.status().message();
}

TEST_F(ContainerdTest, LongDirectoryGetsAShortSocket) {
  ContainerdOptions options;
  options.dir = dir_ / std::string(90, 'd');
  auto c = PrivateContainerd::Start(options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_LE((*c)->SocketPath().size(), 100u);
  EXPECT_TRUE(RunCtr((*c)->SocketPath(), {"version"}).ok());
}

}  // namespace
}  // namespace gorch::agent
