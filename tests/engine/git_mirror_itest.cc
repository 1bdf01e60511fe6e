// The git mirror against real repositories made with the git CLI in a temp dir,
// and a real smart-http server (git http-backend behind basic auth) for credentials.
#include "gorch/engine/git_mirror.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gorch/compiler/source.h"

namespace fs = std::filesystem;
using gorch::engine::CommitInfo;
using gorch::engine::GitCredentials;
using gorch::engine::GitMirror;

namespace {

// Runs a shell command; returns its stdout, failing the test when it fails.
std::string Sh(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) {
    ADD_FAILURE() << "popen failed: " << command;
    return out;
  }
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int rc = pclose(pipe);
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A work-tree repository on branch main, committed to by the git CLI with a fixed identity.
class Upstream {
 public:
  explicit Upstream(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    Git("init -q -b main");
  }
  std::string Git(const std::string& args) const {
    return Sh("git -C '" + dir_.string() + "' -c user.name='Ada Lovelace' -c user.email=ada@example.com " + args);
  }
  // Writes files, commits them at time `when` (unix seconds), returns the new sha.
  std::string Commit(const std::map<std::string, std::string>& files, const std::string& message, int64_t when) {
    for (const auto& [path, text] : files) WriteFile(dir_ / path, text);
    const std::string date = "@" + std::to_string(when) + " +0000";
    const fs::path message_file = dir_.parent_path() / (dir_.filename().string() + ".msg");
    WriteFile(message_file, message + "\n");
    Sh("cd '" + dir_.string() + "' && git add -A && GIT_AUTHOR_DATE='" + date + "' GIT_COMMITTER_DATE='" + date +
       "' git -c user.name='Ada Lovelace' -c user.email=ada@example.com commit -q -F '" + message_file.string() + "'");
    return Head();
  }
  std::string Head() const { return Trim(Git("rev-parse HEAD")); }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

class GitMirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gorch-git-mirror-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string MirrorDir() const { return (root_ / "mirror.git").string(); }

  fs::path root_;
};

TEST_F(GitMirrorTest, FirstFetchCreatesTheMirrorAndReturnsTheCommit) {
  Upstream up(root_ / "up");
  const std::string sha = up.Commit({{"deploy/web.yaml", "kind: Pod\n"}}, "Add web\n\nThe first pod.", 1700000000);

  auto mirror = GitMirror::Open(MirrorDir(), up.dir().string());
  ASSERT_TRUE(mirror.ok()) << mirror.status().ToString();
  EXPECT_TRUE(fs::exists(fs::path(MirrorDir()) / "HEAD"));
  EXPECT_FALSE(fs::exists(fs::path(MirrorDir()) / ".git"));
  EXPECT_EQ(Trim(Sh("git -C '" + MirrorDir() + "' rev-parse --is-bare-repository")), "true");
  EXPECT_TRUE((*mirror)->Resolve("main").status().IsNotFound());  // Open fetches nothing

  auto info = (*mirror)->Fetch("main");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->sha, sha);
  EXPECT_EQ(info->author_name, "Ada Lovelace");
  EXPECT_EQ(info->author_email, "ada@example.com");
  EXPECT_EQ(info->summary, "Add web");
  EXPECT_EQ(info->message, "Add web\n\nThe first pod.\n");
  EXPECT_EQ(info->time_unix, 1700000000);

  auto resolved = (*mirror)->Resolve("main");
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->sha, sha);
  auto head = (*mirror)->Resolve("HEAD");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->sha, sha);
  EXPECT_EQ(Trim(Sh("git -C '" + MirrorDir() + "' rev-parse refs/heads/main")), sha);
}

TEST_F(GitMirrorTest, ANewCommitIsFetchedAndAnUnchangedBranchIsStable) {
  Upstream up(root_ / "up");
  const std::string first = up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  auto mirror = GitMirror::Open(MirrorDir(), up.dir().string());
  ASSERT_TRUE(mirror.ok()) << mirror.status().ToString();
  ASSERT_TRUE((*mirror)->Fetch("main").ok());

  auto again = (*mirror)->Fetch("main");  // nothing new: the fast path
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->sha, first);

  const std::string second = up.Commit({{"a.yaml", "a: 2\n"}}, "second", 1700000100);
  auto info = (*mirror)->Fetch("main");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->sha, second);
  EXPECT_EQ(info->summary, "second");
  EXPECT_EQ(info->time_unix, 1700000100);
  auto parent = (*mirror)->Resolve("main~1");
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  EXPECT_EQ(parent->sha, first);
  auto by_sha = (*mirror)->Resolve(first);
  ASSERT_TRUE(by_sha.ok());
  EXPECT_EQ(by_sha->summary, "first");
}

TEST_F(GitMirrorTest, AForcePushIsFollowed) {
  Upstream up(root_ / "up");
  const std::string base = up.Commit({{"a.yaml", "a: 1\n"}}, "base", 1700000000);
  const std::string doomed = up.Commit({{"a.yaml", "a: 2\n"}}, "doomed", 1700000100);
  auto mirror = GitMirror::Open(MirrorDir(), up.dir().string());
  ASSERT_TRUE(mirror.ok()) << mirror.status().ToString();
  auto before = (*mirror)->Fetch("main");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_EQ(before->sha, doomed);

  up.Git("reset -q --hard " + base);
  const std::string rewritten = up.Commit({{"a.yaml", "a: 3\n"}}, "rewritten", 1700000200);
  auto after = (*mirror)->Fetch("main");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->sha, rewritten);
  EXPECT_EQ((*mirror)->Resolve("main~1")->sha, base);

  // Back to a commit the mirror already holds (a reset without a new commit).
  up.Git("reset -q --hard " + base);
  auto reset = (*mirror)->Fetch("main");
  ASSERT_TRUE(reset.ok()) << reset.status().ToString();
  EXPECT_EQ(reset->sha, base);
  EXPECT_EQ((*mirror)->Resolve("main")->sha, base);
}

TEST_F(GitMirrorTest, OnlyTheRequestedBranchIsFetched) {
  Upstream up(root_ / "up");
  const std::string main_sha = up.Commit({{"a.yaml", "a: 1\n"}}, "on main", 1700000000);
  up.Git("checkout -q -b staging");
  const std::string staging_sha = up.Commit({{"a.yaml", "a: 2\n"}}, "on staging", 1700000100);
  auto mirror = GitMirror::Open(MirrorDir(), up.dir().string());
  ASSERT_TRUE(mirror.ok());

  auto staging = (*mirror)->Fetch("staging");
  ASSERT_TRUE(staging.ok()) << staging.status().ToString();
  EXPECT_EQ(staging->sha, staging_sha);
  EXPECT_TRUE((*mirror)->Resolve("refs/heads/main").status().IsNotFound());
  EXPECT_EQ((*mirror)->Resolve("HEAD")->sha, staging_sha);

  auto main = (*mirror)->Fetch("main");
  ASSERT_TRUE(main.ok());
  EXPECT_EQ(main->sha, main_sha);
  EXPECT_EQ((*mirror)->Resolve("HEAD")->sha, main_sha);  // HEAD follows the last fetched branch
  EXPECT_EQ((*mirror)->Resolve("staging")->sha, staging_sha);
}

TEST_F(GitMirrorTest, AnUnknownBranchIsNotFound) {
  Upstream up(root_ / "up");
  up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  auto mirror = GitMirror::Open(MirrorDir(), up.dir().string());
  ASSERT_TRUE(mirror.ok());
  auto info = (*mirror)->Fetch("release");
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(info.status().IsNotFound()) << info.status().ToString();
  EXPECT_NE(info.status().message().find("'release'"), std::string::npos) << info.status().message();
  EXPECT_NE(info.status().message().find(up.dir().string()), std::string::npos) << info.status().message();

  EXPECT_TRUE((*mirror)->Fetch("bad..name").status().IsInvalidArgument());
  EXPECT_TRUE((*mirror)->Fetch("").status().IsInvalidArgument());
  EXPECT_TRUE((*mirror)->Resolve("no-such-rev").status().IsNotFound());
}

TEST_F(GitMirrorTest, AnEmptyRemoteHasNoBranch) {
  Upstream up(root_ / "up");  // initialised, never committed to
  auto mirror = GitMirror::Open(MirrorDir(), up.dir().string());
  ASSERT_TRUE(mirror.ok());
  EXPECT_TRUE((*mirror)->Fetch("main").status().IsNotFound());
}

TEST_F(GitMirrorTest, AnUnreachableRemoteIsUnavailable) {
  const std::string missing = (root_ / "no-such-repo").string();
  auto mirror = GitMirror::Open(MirrorDir(), missing);
  ASSERT_TRUE(mirror.ok()) << mirror.status().ToString();
  auto info = (*mirror)->Fetch("main");
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(info.status().IsUnavailable()) << info.status().ToString();
  EXPECT_NE(info.status().message().find(missing), std::string::npos) << info.status().message();
  EXPECT_NE(info.status().message().find("unreachable: no such repository"), std::string::npos)
      << info.status().message();

  // A network url nobody listens on (port 1 of loopback) is Unavailable too.
  auto http = GitMirror::Open((root_ / "mirror2.git").string(), "http://127.0.0.1:1/repo.git");
  ASSERT_TRUE(http.ok()) << http.status().ToString();
  auto refused = (*http)->Fetch("main");
  EXPECT_TRUE(refused.status().IsUnavailable()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("http://127.0.0.1:1/repo.git"), std::string::npos);
}

TEST_F(GitMirrorTest, ReopeningKeepsTheMirrorAndFollowsAUrlChange) {
  Upstream one(root_ / "one");
  const std::string one_sha = one.Commit({{"a.yaml", "from: one\n"}}, "one", 1700000000);
  Upstream two(root_ / "two");
  const std::string two_sha = two.Commit({{"a.yaml", "from: two\n"}}, "two", 1700000100);
  {
    auto mirror = GitMirror::Open(MirrorDir(), one.dir().string());
    ASSERT_TRUE(mirror.ok());
    ASSERT_TRUE((*mirror)->Fetch("main").ok());
  }
  {
    auto same = GitMirror::Open(MirrorDir(), one.dir().string());
    ASSERT_TRUE(same.ok()) << same.status().ToString();
    EXPECT_EQ((*same)->Resolve("main")->sha, one_sha);  // kept, without fetching
    EXPECT_EQ((*same)->url(), one.dir().string());
  }
  auto moved = GitMirror::Open(MirrorDir(), two.dir().string());
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ((*moved)->url(), two.dir().string());
  EXPECT_EQ(Trim(Sh("git -C '" + MirrorDir() + "' config remote.origin.url")), two.dir().string());
  auto info = (*moved)->Fetch("main");  // unrelated history: forced onto the new remote's branch
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->sha, two_sha);
  EXPECT_EQ((*moved)->Resolve("main")->sha, two_sha);
}

TEST_F(GitMirrorTest, ARelativeLocalPathIsMadeAbsolute) {
  Upstream up(root_ / "up");
  const std::string sha = up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  const fs::path cwd = fs::current_path();
  fs::current_path(root_);
  auto mirror = GitMirror::Open(MirrorDir(), "up");
  fs::current_path(cwd);
  ASSERT_TRUE(mirror.ok()) << mirror.status().ToString();
  EXPECT_EQ((*mirror)->url(), up.dir().string());
  auto info = (*mirror)->Fetch("main");  // from another working directory
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->sha, sha);
}

TEST_F(GitMirrorTest, FileUrlsWork) {
  Upstream up(root_ / "up");
  const std::string sha = up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  auto mirror = GitMirror::Open(MirrorDir(), "file://" + up.dir().string());
  ASSERT_TRUE(mirror.ok()) << mirror.status().ToString();
  auto info = (*mirror)->Fetch("main");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->sha, sha);
  const std::string next = up.Commit({{"b.yaml", "b: 1\n"}}, "next", 1700000100);
  EXPECT_EQ((*mirror)->Fetch("main")->sha, next);
}

TEST_F(GitMirrorTest, TheCompilerReadsAFetchedCommitFromTheMirror) {
  Upstream up(root_ / "up");
  const std::string old_sha = up.Commit({{"deploy/web.yaml", "replicas: 1\n"}, {"README", "x\n"}}, "v1", 1700000000);
  const std::string new_sha = up.Commit({{"deploy/web.yaml", "replicas: 3\n"}}, "v2", 1700000100);
  auto mirror = GitMirror::Open(MirrorDir(), up.dir().string());
  ASSERT_TRUE(mirror.ok());
  auto info = (*mirror)->Fetch("main");
  ASSERT_TRUE(info.ok()) << info.status().ToString();

  auto source = gorch::compiler::OpenGitSource((*mirror)->path(), info->sha, "deploy");
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto files = (*source)->ListFiles();
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, std::vector<std::string>{"web.yaml"});
  auto text = (*source)->ReadFile("web.yaml", 1 << 20);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "replicas: 3\n");
  auto old_source = gorch::compiler::OpenGitSource((*mirror)->path(), old_sha, "deploy");
  ASSERT_TRUE(old_source.ok()) << old_source.status().ToString();
  EXPECT_EQ(*(*old_source)->ReadFile("web.yaml", 1 << 20), "replicas: 1\n");
}

TEST_F(GitMirrorTest, OpenRefusesADirectoryThatIsNotABareRepository) {
  WriteFile(root_ / "occupied" / "file.txt", "mine\n");
  auto occupied = GitMirror::Open((root_ / "occupied").string(), "/somewhere");
  EXPECT_EQ(occupied.status().code(), gorch::Status::Code::kFailedPrecondition) << occupied.status().ToString();
  EXPECT_TRUE(fs::exists(root_ / "occupied" / "file.txt"));

  Upstream work(root_ / "work");
  auto worktree = GitMirror::Open(work.dir().string(), "/somewhere");
  EXPECT_EQ(worktree.status().code(), gorch::Status::Code::kFailedPrecondition) << worktree.status().ToString();

  EXPECT_TRUE(GitMirror::Open(MirrorDir(), "").status().IsInvalidArgument());
  fs::create_directories(root_ / "empty");
  EXPECT_TRUE(GitMirror::Open((root_ / "empty").string(), "/somewhere").ok());
}

size_t PackFiles(const std::string& mirror) {
  size_t packs = 0;
  for (const auto& e : fs::directory_iterator(fs::path(mirror) / "objects" / "pack"))
    if (e.path().extension() == ".pack") ++packs;
  return packs;
}

TEST_F(GitMirrorTest, ManyFetchesAreRepackedIntoOnePackKeepingEveryCommit) {
  Upstream up(root_ / "up");
  auto mirror = GitMirror::Open(MirrorDir(), up.dir().string());
  ASSERT_TRUE(mirror.ok());
  std::vector<std::string> shas;
  shas.push_back(up.Commit({{"deploy/a.yaml", "n: 0\n"}}, "c0", 1700000000));
  ASSERT_TRUE((*mirror)->Fetch("main").ok());
  up.Git("reset -q --hard HEAD");  // keep the tree clean
  const std::string lost = up.Commit({{"deploy/a.yaml", "lost\n"}}, "force-pushed away", 1700000001);
  ASSERT_EQ((*mirror)->Fetch("main")->sha, lost);
  up.Git("reset -q --hard " + shas[0]);
  for (int i = 1; PackFiles(MirrorDir()) <= gorch::engine::kGitMirrorMaxPacks; ++i) {
    shas.push_back(up.Commit({{"deploy/a.yaml", "n: " + std::to_string(i) + "\n"}}, "c" + std::to_string(i),
                             1700000000 + 10 * i));
    auto info = (*mirror)->Fetch("main");  // each fetch adds one pack
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    ASSERT_EQ(info->sha, shas.back());
    ASSERT_LT(i, 100) << "fetches do not add packs";
  }

  auto idle = (*mirror)->Fetch("main");  // nothing new: the mirror is repacked
  ASSERT_TRUE(idle.ok()) << idle.status().ToString();
  EXPECT_EQ(idle->sha, shas.back());
  EXPECT_EQ(PackFiles(MirrorDir()), 1u);
  for (const std::string& sha : shas) EXPECT_EQ((*mirror)->Resolve(sha)->sha, sha);
  auto lost_info = (*mirror)->Resolve(lost);  // unreachable from any branch, still kept
  ASSERT_TRUE(lost_info.ok()) << lost_info.status().ToString();
  auto source = gorch::compiler::OpenGitSource(MirrorDir(), lost, "deploy");
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ(*(*source)->ReadFile("a.yaml", 1 << 10), "lost\n");
  Sh("git -C '" + MirrorDir() + "' fsck --no-dangling --no-progress");  // every object and link intact

  const std::string next = up.Commit({{"deploy/a.yaml", "after\n"}}, "after repack", 1700009999);
  auto after = (*mirror)->Fetch("main");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->sha, next);
  EXPECT_EQ(PackFiles(MirrorDir()), 2u);
}

TEST_F(GitMirrorTest, MirrorsFetchFromSeveralThreadsAtOnce) {
  Upstream up(root_ / "up");
  const std::string sha = up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  constexpr int kThreads = 4;
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto mirror = GitMirror::Open((root_ / ("m" + std::to_string(i))).string(), up.dir().string());
      if (!mirror.ok()) return;
      for (int round = 0; round < 5; ++round) {
        auto info = (*mirror)->Fetch("main");
        if (!info.ok()) return;
        got[i] = info->sha;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(got[i], sha) << "mirror " << i;
}

constexpr char kBase64Digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(const std::string& in) {
  std::string out;
  int value = 0, bits = 0;
  for (unsigned char c : in) {
    value = (value << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64Digits[(value >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kBase64Digits[(value << (6 - bits)) & 63]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

// git http-backend as a CGI program behind cpp-httplib, requiring basic auth:
// the smart http protocol libgit2 speaks to GitHub or GitLab.
class GitHttpServer {
 public:
  GitHttpServer(fs::path root, const std::string& user, const std::string& password)
      : root_(std::move(root)), expected_auth_("Basic " + Base64(user + ":" + password)) {
    std::signal(SIGPIPE, SIG_IGN);
    auto handle = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
    server_.Get(".*", handle);
    server_.Post(".*", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~GitHttpServer() {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& repo) const { return "http://127.0.0.1:" + std::to_string(port_) + "/" + repo; }
  int port() const { return port_; }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != expected_auth_) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"git\"");
      res.set_content("denied\n", "text/plain");
      return;
    }
    size_t q = req.target.find('?');
    std::vector<std::string> env = {
        "GIT_PROJECT_ROOT=" + root_.string(),
        "GIT_HTTP_EXPORT_ALL=1",
        "REQUEST_METHOD=" + req.method,
        "PATH_INFO=" + req.path,
        "QUERY_STRING=" + (q == std::string::npos ? std::string() : req.target.substr(q + 1)),
        "CONTENT_TYPE=" + req.get_header_value("Content-Type"),
        "CONTENT_LENGTH=" + std::to_string(req.body.size()),
        "HTTP_CONTENT_ENCODING=" + req.get_header_value("Content-Encoding"),
        "GIT_PROTOCOL=" + req.get_header_value("Git-Protocol"),
        "REMOTE_USER=test",
        "REMOTE_ADDR=127.0.0.1",
        std::string("PATH=") + (getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin"),
        std::string("HOME=") + (getenv("HOME") ? getenv("HOME") : "/tmp"),
    };
    std::string out = RunCgi(env, req.body);
    size_t split = out.find("\r\n\r\n");
    size_t skip = 4;
    if (split == std::string::npos) split = out.find("\n\n"), skip = 2;
    if (split == std::string::npos) {
      res.status = 500;
      return;
    }
    std::istringstream headers(out.substr(0, split));
    std::string line, content_type = "application/octet-stream";
    while (std::getline(headers, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(": ");
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon), value = line.substr(colon + 2);
      if (name == "Status") res.status = std::stoi(value);
      else if (name == "Content-Type") content_type = value;
      else res.set_header(name.c_str(), value);
    }
    res.set_content(out.substr(split + skip), content_type.c_str());
  }

  // Runs `git http-backend` with env, body on its stdin; returns its stdout.
  static std::string RunCgi(const std::vector<std::string>& env, const std::string& body) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return "";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    for (int fd : {in[0], in[1], out[0], out[1]}) posix_spawn_file_actions_addclose(&actions, fd);
    std::vector<char*> envp;
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    char* argv[] = {const_cast<char*>("git"), const_cast<char*>("http-backend"), nullptr};
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, "git", &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    std::thread writer([fd = in[1], &body] {
      size_t done = 0;
      while (done < body.size()) {
        ssize_t n = write(fd, body.data() + done, body.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      close(fd);
    });
    std::string result;
    char buf[65536];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0) result.append(buf, static_cast<size_t>(n));
    close(out[0]);
    writer.join();
    if (rc == 0) waitpid(pid, nullptr, 0);
    return result;
  }

  fs::path root_;
  std::string expected_auth_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(GitMirrorTest, HttpCredentialsComeFromFilesReadAtEachFetch) {
  Upstream up(root_ / "up");
  const std::string sha = up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  GitHttpServer server(root_, "ada", "right-token");
  const fs::path password_file = root_ / "password";
  WriteFile(password_file, "wrong-token\n");
  GitCredentials creds;
  creds.username = "ada";
  creds.password_file = password_file.string();
  auto mirror = GitMirror::Open(MirrorDir(), server.Url("up"), creds);
  ASSERT_TRUE(mirror.ok()) << mirror.status().ToString();

  auto refused = (*mirror)->Fetch("main");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsUnavailable()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("authentication failed"), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find(server.Url("up")), std::string::npos) << refused.status().message();
  EXPECT_EQ(refused.status().message().find("wrong-token"), std::string::npos) << refused.status().message();

  WriteFile(password_file, "right-token\n");  // rotated: the trailing newline is trimmed
  auto info = (*mirror)->Fetch("main");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->sha, sha);
  const std::string next = up.Commit({{"a.yaml", "a: 2\n"}}, "second", 1700000100);
  auto again = (*mirror)->Fetch("main");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->sha, next);
}

TEST_F(GitMirrorTest, HttpWithoutCredentialsIsUnavailableAndSaysSo) {
  Upstream up(root_ / "up");
  up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  GitHttpServer server(root_, "ada", "right-token");
  auto mirror = GitMirror::Open(MirrorDir(), server.Url("up"));
  ASSERT_TRUE(mirror.ok());
  auto info = (*mirror)->Fetch("main");
  EXPECT_TRUE(info.status().IsUnavailable()) << info.status().ToString();
  EXPECT_NE(info.status().message().find("no credentials are configured"), std::string::npos)
      << info.status().message();

  GitCredentials missing_file;
  missing_file.password_file = (root_ / "absent").string();
  auto unreadable = GitMirror::Open(MirrorDir(), server.Url("up"), missing_file);
  ASSERT_TRUE(unreadable.ok());
  auto unread = (*unreadable)->Fetch("main");
  EXPECT_TRUE(unread.status().IsUnavailable()) << unread.status().ToString();
  EXPECT_NE(unread.status().message().find((root_ / "absent").string()), std::string::npos) << unread.status().message();
}

TEST_F(GitMirrorTest, APasswordInTheUrlNeverReachesAMessage) {
  Upstream up(root_ / "up");
  const std::string sha = up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  GitHttpServer server(root_, "ada", "right-token");
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  auto wrong = GitMirror::Open(MirrorDir(), "http://ada:url-secret@" + host + "/up");
  ASSERT_TRUE(wrong.ok());
  auto info = (*wrong)->Fetch("main");
  EXPECT_TRUE(info.status().IsUnavailable()) << info.status().ToString();
  EXPECT_EQ(info.status().message().find("url-secret"), std::string::npos) << info.status().message();
  EXPECT_NE(info.status().message().find("refused the credentials in the url"), std::string::npos)
      << info.status().message();
  EXPECT_NE(info.status().message().find("http://ada@" + host + "/up"), std::string::npos) << info.status().message();
  EXPECT_TRUE((*wrong)->Fetch("no-such-branch").status().IsUnavailable());

  auto right = GitMirror::Open(MirrorDir(), "http://ada:right-token@" + host + "/up");
  ASSERT_TRUE(right.ok());
  auto ok = (*right)->Fetch("main");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->sha, sha);
  auto missing = (*right)->Fetch("no-such-branch");
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(missing.status().message().find("right-token"), std::string::npos) << missing.status().message();
}

// Two ed25519 host keys made with ssh-keygen, and a known_hosts file listing them
// for git.example.com and [git.example.com]:2222, then hashed with `ssh-keygen -H`.
constexpr char kKey1[] = "AAAAC3NzaC1lZDI1NTE5AAAAIHHxZoLaseXR8J96JIdIju5w2y7gNnB2ZiFUvcIBRiAD";
constexpr char kKey2[] = "AAAAC3NzaC1lZDI1NTE5AAAAIIIziRpOEN9duq3CYgsMy5kI2nJS2nfGlvgnMMfwP94W";
constexpr char kHashedKnownHosts[] =
    "|1|i/kPLloqsymh++WLm3K5MsKsLCY=|xamXQmToJX0LuMhOfXIQNQAU4Vg= ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIHHxZoLaseXR8J96JIdIju5w2y7gNnB2ZiFUvcIBRiAD\n"
    "|1|KHQ1k7R1xglWFbOsqZQp95nV2oU=|JbvvOLBziGwGdavE/6bFGwToRvI= ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIIIziRpOEN9duq3CYgsMy5kI2nJS2nfGlvgnMMfwP94W\n";

// A private OpenSSH server on a loopback port, letting the current user in with
// one generated key; git-upload-pack runs through the user's shell, as on a git host.
class SshServer {
 public:
  static constexpr char kSshd[] = "/usr/sbin/sshd";

  explicit SshServer(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    Sh("ssh-keygen -q -t ed25519 -N '' -C '' -f '" + (dir_ / "host_key").string() + "'");
    Sh("ssh-keygen -q -t ed25519 -N '' -C '' -f '" + (dir_ / "client_key").string() + "'");
    fs::copy_file(dir_ / "client_key.pub", dir_ / "authorized_keys");
    if (geteuid() == 0) mkdir("/run/sshd", 0755);  // sshd's privilege separation directory
    port_ = FreePort();
    std::ofstream(dir_ / "sshd_config") << "Port " << port_ << "\nListenAddress 127.0.0.1\n"
                                        << "HostKey " << (dir_ / "host_key").string() << "\n"
                                        << "PidFile " << (dir_ / "sshd.pid").string() << "\n"
                                        << "AuthorizedKeysFile " << (dir_ / "authorized_keys").string() << "\n"
                                        << "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
                                        << "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n";
    const std::string config = (dir_ / "sshd_config").string();
    const std::string log = (dir_ / "sshd.log").string();
    char* argv[] = {const_cast<char*>(kSshd), const_cast<char*>("-D"), const_cast<char*>("-f"),
                    const_cast<char*>(config.c_str()), const_cast<char*>("-E"), const_cast<char*>(log.c_str()),
                    nullptr};
    if (posix_spawn(&pid_, kSshd, nullptr, nullptr, argv, environ) != 0) pid_ = 0;
    for (int i = 0; i < 500 && pid_ && !Accepts(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~SshServer() {
    if (pid_) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool running() const { return pid_ != 0 && Accepts(); }
  std::string Url(const fs::path& repo) const {
    const passwd* pw = getpwuid(geteuid());
    return "ssh://" + std::string(pw ? pw->pw_name : "root") + "@127.0.0.1:" + std::to_string(port_) + repo.string();
  }
  // A known_hosts line for this server's host key.
  std::string KnownHostsLine() const {
    std::ifstream in(dir_ / "host_key.pub");
    std::string type, key;
    in >> type >> key;
    return "[127.0.0.1]:" + std::to_string(port_) + " " + type + " " + key + "\n";
  }
  std::string client_key() const { return (dir_ / "client_key").string(); }
  std::string log() const {
    std::ifstream in(dir_ / "sshd.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
  }
  bool Accepts() const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
  }

  fs::path dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};

#define SKIP_WITHOUT_SSHD()                                                                         \
  if (!fs::exists(SshServer::kSshd)) GTEST_SKIP() << "needs OpenSSH's server (Debian openssh-server)"

TEST_F(GitMirrorTest, SshWithAKeyAndKnownHosts) {
  SKIP_WITHOUT_SSHD();
  Upstream up(root_ / "up");
  const std::string sha = up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  SshServer server(root_ / "ssh");
  ASSERT_TRUE(server.running()) << server.log();
  WriteFile(root_ / "known_hosts", "other.example.com ssh-ed25519 " + std::string(kKey1) + "\n" + server.KnownHostsLine());
  GitCredentials creds;
  creds.ssh_key_file = server.client_key();
  creds.ssh_known_hosts_file = (root_ / "known_hosts").string();
  auto mirror = GitMirror::Open(MirrorDir(), server.Url(up.dir()), creds);
  ASSERT_TRUE(mirror.ok()) << mirror.status().ToString();
  auto info = (*mirror)->Fetch("main");
  ASSERT_TRUE(info.ok()) << info.status().ToString() << "\n" << server.log();
  EXPECT_EQ(info->sha, sha);
  const std::string next = up.Commit({{"a.yaml", "a: 2\n"}}, "second", 1700000100);
  auto again = (*mirror)->Fetch("main");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->sha, next);

  Sh("ssh-keygen -q -H -f '" + (root_ / "known_hosts").string() + "'");  // hashed entries work too
  ASSERT_EQ(Sh("grep -c '^|1|' '" + (root_ / "known_hosts").string() + "'"), "2\n");
  auto hashed = (*mirror)->Fetch("main");
  ASSERT_TRUE(hashed.ok()) << hashed.status().ToString();
  EXPECT_EQ(hashed->sha, next);
}

TEST_F(GitMirrorTest, SshRefusesAnUnknownHostKeyUnlessToldNotToCheck) {
  SKIP_WITHOUT_SSHD();
  Upstream up(root_ / "up");
  const std::string sha = up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  SshServer server(root_ / "ssh");
  ASSERT_TRUE(server.running()) << server.log();
  GitCredentials creds;
  creds.ssh_key_file = server.client_key();

  auto unchecked = GitMirror::Open(MirrorDir(), server.Url(up.dir()), creds);  // no known_hosts file
  ASSERT_TRUE(unchecked.ok());
  auto refused = (*unchecked)->Fetch("main");
  EXPECT_TRUE(refused.status().IsUnavailable()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("no known_hosts file is configured"), std::string::npos)
      << refused.status().message();

  WriteFile(root_ / "known_hosts", "[127.0.0.1]:1 ssh-ed25519 " + std::string(kKey1) + "\n");
  creds.ssh_known_hosts_file = (root_ / "known_hosts").string();
  auto unlisted = GitMirror::Open(MirrorDir(), server.Url(up.dir()), creds);
  ASSERT_TRUE(unlisted.ok());
  auto not_listed = (*unlisted)->Fetch("main");
  EXPECT_TRUE(not_listed.status().IsUnavailable()) << not_listed.status().ToString();
  EXPECT_NE(not_listed.status().message().find("is not listed in " + creds.ssh_known_hosts_file), std::string::npos)
      << not_listed.status().message();
  EXPECT_TRUE((*unlisted)->Resolve("main").status().IsNotFound());  // nothing was fetched

  creds.insecure_skip_host_check = true;
  auto insecure = GitMirror::Open(MirrorDir(), server.Url(up.dir()), creds);
  ASSERT_TRUE(insecure.ok());
  auto info = (*insecure)->Fetch("main");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->sha, sha);
}

TEST_F(GitMirrorTest, SshWithAKeyTheServerDoesNotKnowIsUnavailable) {
  SKIP_WITHOUT_SSHD();
  Upstream up(root_ / "up");
  up.Commit({{"a.yaml", "a: 1\n"}}, "first", 1700000000);
  SshServer server(root_ / "ssh");
  ASSERT_TRUE(server.running()) << server.log();
  Sh("ssh-keygen -q -t ed25519 -N '' -C '' -f '" + (root_ / "stranger").string() + "'");
  GitCredentials creds;
  creds.ssh_key_file = (root_ / "stranger").string();
  creds.insecure_skip_host_check = true;
  auto mirror = GitMirror::Open(MirrorDir(), server.Url(up.dir()), creds);
  ASSERT_TRUE(mirror.ok());
  auto info = (*mirror)->Fetch("main");
  EXPECT_TRUE(info.status().IsUnavailable()) << info.status().ToString();
  EXPECT_NE(info.status().message().find("authentication failed"), std::string::npos) << info.status().message();
  EXPECT_NE(info.status().message().find(server.Url(up.dir())), std::string::npos) << info.status().message();
}

std::string Blob(const std::string& base64) {
  std::string out;
  int value = 0, bits = 0;
  for (char c : base64) {
    const char* at = std::strchr(kBase64Digits, c);
    if (c == '=' || !at) break;
    value = (value << 6) | static_cast<int>(at - kBase64Digits);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((value >> bits) & 0xff));
    }
  }
  return out;
}

TEST(KnownHosts, PlainWildcardAndNegatedPatterns) {
  using gorch::engine::KnownHostsListKey;
  const std::string key1 = Blob(kKey1), key2 = Blob(kKey2);
  const std::string text = std::string("# comment\n\n") + "git.example.com,10.0.0.1 ssh-ed25519 " + kKey1 + "\n" +
                           "[git.example.com]:2222 ssh-ed25519 " + kKey2 + "\n" +
                           "*.corp.example,!bad.corp.example ssh-ed25519 " + kKey2 + " comment\n";
  EXPECT_TRUE(KnownHostsListKey(text, "git.example.com", 22, key1));
  EXPECT_TRUE(KnownHostsListKey(text, "GIT.Example.com", 22, key1));
  EXPECT_TRUE(KnownHostsListKey(text, "10.0.0.1", 22, key1));
  EXPECT_FALSE(KnownHostsListKey(text, "git.example.com", 22, key2));   // another key
  EXPECT_FALSE(KnownHostsListKey(text, "other.example.com", 22, key1));  // another host
  EXPECT_TRUE(KnownHostsListKey(text, "git.example.com", 2222, key2));
  EXPECT_FALSE(KnownHostsListKey(text, "git.example.com", 2222, key1));  // listed for port 22 only
  EXPECT_TRUE(KnownHostsListKey(text, "git.corp.example", 22, key2));
  EXPECT_FALSE(KnownHostsListKey(text, "bad.corp.example", 22, key2));  // negated
  EXPECT_FALSE(KnownHostsListKey("", "git.example.com", 22, key1));
}

TEST(KnownHosts, HashedEntriesAndRevokedKeys) {
  using gorch::engine::KnownHostsListKey;
  const std::string key1 = Blob(kKey1), key2 = Blob(kKey2);
  EXPECT_TRUE(KnownHostsListKey(kHashedKnownHosts, "git.example.com", 22, key1));
  EXPECT_TRUE(KnownHostsListKey(kHashedKnownHosts, "git.example.com", 2222, key2));
  EXPECT_FALSE(KnownHostsListKey(kHashedKnownHosts, "git.example.com", 22, key2));
  EXPECT_FALSE(KnownHostsListKey(kHashedKnownHosts, "git.example.org", 22, key1));
  const std::string revoked = std::string(kHashedKnownHosts) + "@revoked * ssh-ed25519 " + kKey1 + "\n";
  EXPECT_FALSE(KnownHostsListKey(revoked, "git.example.com", 22, key1));
  EXPECT_TRUE(KnownHostsListKey(revoked, "git.example.com", 2222, key2));
}

TEST(GitUrl, RedactionDropsThePassword) {
  using gorch::engine::RedactGitUrl;
  EXPECT_EQ(RedactGitUrl("https://bob:s3cret@git.example.com/org/repo.git"), "https://bob@git.example.com/org/repo.git");
  EXPECT_EQ(RedactGitUrl("https://bob@git.example.com/repo.git"), "https://bob@git.example.com/repo.git");
  EXPECT_EQ(RedactGitUrl("ssh://git@host:2222/repo.git"), "ssh://git@host:2222/repo.git");
  EXPECT_EQ(RedactGitUrl("git@github.com:org/repo.git"), "git@github.com:org/repo.git");
  EXPECT_EQ(RedactGitUrl("/srv/git/repo"), "/srv/git/repo");
}

}  // namespace
